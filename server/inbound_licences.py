"""The licence side of the licensee feed (issue 19, docs/integrations.md "Inbound feeds"): what a licensee
item says beyond its values, and the customer it falls on.

- **Cancellation** (``"cancellation": {"kind": "cancelled" | "revoked", "day": "YYYY-MM-DD", "reason": …}``):
  the licence was cancelled (注销) or revoked (吊销). It starts the closing of the outlet (销户) with the
  lifecycle's closing step (server/apply.py ``close``: ``closure`` and ``closed_at``), as a system change
  whose provenance names the integration, with 客户状态 set to 注销. As for a person, a customer waiting for
  review is not closed (``closure.pending``: decide the submission, then send the item again).
- **Issue time** (``"issued_at"``, ISO 8601; without it the licence's 发证日期 at the end of that working
  day, 17:00 China time): the moment the licence system had the new licensee. 专卖 forwards within half a
  working day (F3 L382–383): the onboarding case counts its first step from it and is flagged ``late_feed``
  when the message arrived later than that (server/onboarding.py ``open_new``).
- **Matching** a new external id to a customer keyed by hand: the one customer (not deleted) whose 许可证号
  is the licensee's and that no licensee message has linked yet is linked and updated, not duplicated;
  two or more such customers are ``licence.ambiguous``, one linked to another external id ``licence.linked``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.config import CHINA_TZ
from server.records import Rec, UnitOfWork
from server.schema import customers
from server.schema_integrations import inbound_messages

KINDS = {"cancelled": "注销", "revoked": "吊销"}
CANCEL_KEYS = {"kind", "day", "reason"}
END_OF_WORK = dt.time(17)
MAX_REASON = 500


def err(field_key: str | None, code: str, message: str) -> dict[str, Any]:
    return {"field": field_key, "code": code, "message": message}


@dataclass(frozen=True)
class Cancellation:
    kind: str  # cancelled | revoked
    day: str  # ISO date
    reason: str


def cancellation(raw: Any, today: dt.date) -> tuple[Cancellation | None, list[dict[str, Any]]]:
    """The item's ``cancellation`` (None when absent), or why it is refused."""
    if raw is None:
        return None, []
    bad = err(
        "cancellation",
        "cancellation.invalid",
        'cancellation is {"kind": "cancelled" or "revoked", "day": "YYYY-MM-DD", "reason": text}.',
    )
    if not isinstance(raw, dict) or set(raw) - CANCEL_KEYS:
        return None, [bad]
    kind, day, reason = raw.get("kind", "cancelled"), raw.get("day"), raw.get("reason", "")
    if kind not in KINDS or not isinstance(reason, str) or len(reason) > MAX_REASON:
        return None, [bad]
    when: dt.date | None = today
    if day is not None:
        try:
            when = dt.date.fromisoformat(day) if isinstance(day, str) and len(day) == 10 else None
        except ValueError:
            when = None
        if when is None or when > today:
            return None, [err("cancellation", "cancellation.day", "The day is a date (YYYY-MM-DD), not in the future.")]
    assert when is not None
    return Cancellation(kind, when.isoformat(), reason.strip()), []


def issued_at(raw: Any, values: dict[str, Any], received: float) -> tuple[float | None, list[dict[str, Any]]]:
    """When the licence system had the licensee: ``issued_at``, else its issue date at the end of that
    working day (a date alone flags a feed late only when it is late whatever the hour), never after it
    arrived; None when neither is given."""
    if raw is not None:
        when = None
        if isinstance(raw, str) and len(raw) <= 40:
            try:
                when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                when = None
        if when is None:
            return None, [err("issued_at", "issued_at.invalid", "issued_at is a date and time (ISO 8601).")]
        if when.tzinfo is None:
            when = when.replace(tzinfo=CHINA_TZ)
        if when.timestamp() > received + 300:
            return None, [err("issued_at", "issued_at.future", "issued_at cannot be in the future.")]
        return min(when.timestamp(), received), []
    day = values.get("licence_issue_date")
    if isinstance(day, str):
        try:
            at = dt.datetime.combine(dt.date.fromisoformat(day), END_OF_WORK, CHINA_TZ).timestamp()
        except ValueError:
            return None, []
        return min(at, received), []
    return None, []


def match(conn: Connection, number: Any, taken: dict[str, str]) -> tuple[str | None, list[dict[str, Any]]]:
    """The id of the customer keyed by hand that a new licensee with licence number ``number`` links to
    (None: none, make a new one), or why it cannot be decided. ``taken``: the numbers this call has already
    given to a customer (new or linked), not yet written."""
    if not isinstance(number, str) or not number:
        return None, []
    if number in taken:
        return None, [err("licence_no", "licence.linked", f"Licence {number} was given to another external id.")]
    q = select(customers.c.id).where(customers.c.licence_no == number, customers.c.deleted.is_(False))
    found = sorted(conn.execute(q).scalars())
    if len(found) > 1:
        return None, [
            err(
                "licence_no",
                "licence.ambiguous",
                f"{len(found)} customers have licence number {number}: the archive must keep one before "
                "this licensee can be linked (send the item again then).",
            )
        ]
    if not found:
        return None, []
    q = select(inbound_messages.c.external_id).where(
        inbound_messages.c.kind == "licensee", inbound_messages.c.record_id == found[0]
    )
    linked = conn.execute(q.limit(1)).scalar()
    if linked is not None:
        return None, [
            err("licence_no", "licence.linked", f"Licence {number} belongs to a customer linked to {linked} already.")
        ]
    return found[0], []


def close(uow: UnitOfWork, rec: Rec, cancel: Cancellation, provenance: dict[str, Any], by_name: str) -> None:
    """The lifecycle's closing step (销户) as a system change: ``closure``, ``closed_at`` and 客户状态 注销."""
    word = KINDS[cancel.kind]
    reason = f"许可证{word}（{provenance['source_ref']}）" + (f"：{cancel.reason}" if cancel.reason else "")
    rec.closure = {
        "state": "closed",
        "day": cancel.day,
        "reason": reason,
        "by": uow.user.name,
        "by_name": by_name,
        "at": uow.iso_now,
    }
    rec.closed_at = uow.now
    changes: dict[str, Any] = {"closure": rec.closure}
    if rec.values.get("customer_status") != "cancelled" and "customer_status" in uow.form:
        changes["customer_status"] = {"old": rec.values.get("customer_status"), "new": "cancelled"}
        rec.values["customer_status"] = "cancelled"
        if rec.approved_values is not None:
            rec.approved_values["customer_status"] = "cancelled"
    uow.touch(rec, "system.licence_cancelled", changes, None, provenance)
    if "customer_status" in changes:
        rec.field_versions["customer_status"] = rec.version

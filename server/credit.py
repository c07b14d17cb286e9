"""Integrity (credit) grading, §3.11: initial rating, public notice, appeal, final decision.

Rules as built (docs/classification.md):

* ``rate``: grade A–D for a customer with an official code, not deleted, with no procedure still
  open. The notice (公示) lasts ``notice_days`` working days, at least 7, counted with the work
  calendar (server calendar, else the built-in one). It starts on ``notice_start`` (default: the
  rating date); if that is not a working day the first working day after it is day 1. The notice
  ends on its last working day (``notice_end``, inclusive).
* ``appeal``: only while the notice runs (notice_start ≤ date ≤ notice_end), once per procedure.
* ``decide``: only after the notice has ended (date > notice_end): a decision during the notice
  would cut it short. An appealed rating needs a note saying how the appeal was settled, and the
  final grade may differ from the initial one; without an appeal it defaults to the initial one.
* The rating and the decision name the person who acted (``--by``): an enabled server account of a
  market manager or an administrator, the person designated for it (指定专人, F3 L169); never a
  generic "admin".
* The rating reads the customer's integrity archive (信息采集, F3 L175: the information collected is the
  basis of the rating): the entries of the year before the rating date are counted by kind and kept with
  the rating (``basis``); grade A ("no violation", F3 L171) is refused while that year holds a violation.
* Only the decision changes the record's ``credit_grade``, as a system change (source ``credit``)
  that reaches clients through the feed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from app.i18n import translate
from app.models.catalogue import FieldRole
from app.validation.integrity import KIND_LABELS
from server.calendar import server_calendar
from server.db import Tx
from server.forms import current_form
from server.integrity import basis
from server.records import dumps
from server.schema import credit_ratings, customers, users
from server.scope import visible_clause
from server.system import apply_system_changes

GRADES = ("A", "B", "C", "D")
MIN_NOTICE_WORKDAYS = 7
OPEN = ("notice", "appealed")


class CreditError(Exception):
    """A refused step of the procedure; the message says why."""


def _customer(conn: Connection, customer: str) -> Any:
    row = conn.execute(
        select(customers.c.id, customers.c.code, customers.c.deleted, customers.c.code_official).where(
            (customers.c.code == customer) | (customers.c.id == customer.lower())
        )
    ).first()
    if row is None or row.deleted:
        raise CreditError(f"there is no customer {customer!r}")
    if not row.code_official:
        raise CreditError(f"the customer {customer!r} has no official code yet; grade it after approval")
    return row


def responsible(conn: Connection, name: str | None) -> str:
    """The account name of the person who takes a grading step: an enabled supervisor or admin account."""
    if not name or not name.strip():
        raise CreditError("name the person who takes this step (--by USER): the documents want a named person")
    row = conn.execute(select(users.c.name, users.c.role, users.c.disabled).where(users.c.name == name.strip())).first()
    if row is None or row.disabled:
        raise CreditError(f"there is no enabled user {name!r} to take this step")
    if row.role not in ("supervisor", "admin"):
        raise CreditError(f"{name!r} is a {row.role}; a market manager or an administrator grades customers")
    return str(row.name)


def _open(conn: Connection, record_id: str) -> Any:
    return conn.execute(
        select(credit_ratings)
        .where(credit_ratings.c.record_id == record_id, credit_ratings.c.status.in_(OPEN))
        .order_by(credit_ratings.c.id.desc())
    ).first()


def rate(
    tx: Tx, customer: str, grade: str, notice_days: int, on: dt.date, actor: str, notice_start: dt.date | None = None
) -> dict[str, Any]:
    grade = grade.strip().upper()
    if grade not in GRADES:
        raise CreditError(f"the grade must be one of {', '.join(GRADES)}, not {grade!r}")
    if notice_days < MIN_NOTICE_WORKDAYS:
        raise CreditError(
            f"the public notice must last at least {MIN_NOTICE_WORKDAYS} working days (asked for {notice_days})"
        )
    actor = responsible(tx.conn, actor)
    start = notice_start or on
    if start < on:
        raise CreditError(f"the notice cannot start ({start}) before the rating date ({on})")
    row = _customer(tx.conn, customer)
    current = _open(tx.conn, row.id)
    if current is not None:
        raise CreditError(
            f"the customer {row.code} already has a rating in progress (grade {current.grade}, "
            f"{current.status} since {current.notice_start}); decide it first"
        )
    found = basis(tx.conn, row.id, on)
    violations = found["counts"]["violation"]
    if grade == "A" and violations:
        raise CreditError(
            f"grade A means no violation (F3 L171), and the integrity archive of {row.code} holds {violations} "
            f"between {found['since']} and {found['until']}; give B, C or D"
        )
    cal = server_calendar(tx.conn)
    end = cal.add_workdays(start - dt.timedelta(days=1), notice_days)
    rid = tx.conn.execute(
        insert(credit_ratings).values(
            record_id=row.id,
            grade=grade,
            rated_on=on,
            notice_start=start,
            notice_end=end,
            notice_workdays=notice_days,
            status="notice",
            rated_by=actor,
            created_at=time.time(),
            basis=dumps(found),
        )
    ).inserted_primary_key[0]  # type: ignore[index]  # set after every single-row INSERT
    return _wire(tx.conn.execute(select(credit_ratings).where(credit_ratings.c.id == rid)).one(), row.code)


def appeal(tx: Tx, customer: str, text: str, on: dt.date) -> dict[str, Any]:
    if not text.strip():
        raise CreditError("say what the appeal is about")
    row = _customer(tx.conn, customer)
    current = _open(tx.conn, row.id)
    if current is None:
        raise CreditError(f"the customer {row.code} has no rating in its notice period")
    if current.status == "appealed":
        raise CreditError(f"the rating of {row.code} was already appealed on {current.appeal_on}")
    if not current.notice_start <= on <= current.notice_end:
        raise CreditError(
            f"appeals are accepted only within the notice period, {current.notice_start} to "
            f"{current.notice_end}; {on} is outside it"
        )
    tx.conn.execute(
        update(credit_ratings)
        .where(credit_ratings.c.id == current.id)
        .values(status="appealed", appeal_on=on, appeal_text=text.strip())
    )
    return _wire(tx.conn.execute(select(credit_ratings).where(credit_ratings.c.id == current.id)).one(), row.code)


def decide(tx: Tx, customer: str, on: dt.date, actor: str, grade: str | None = None, note: str = "") -> dict[str, Any]:
    actor = responsible(tx.conn, actor)
    row = _customer(tx.conn, customer)
    current = _open(tx.conn, row.id)
    if current is None:
        raise CreditError(f"the customer {row.code} has no rating to decide")
    if on <= current.notice_end:
        raise CreditError(
            f"the notice runs until {current.notice_end}; the final decision can be made from the next day on"
        )
    final = (grade or current.grade).strip().upper()
    if final not in GRADES:
        raise CreditError(f"the grade must be one of {', '.join(GRADES)}, not {final!r}")
    if current.status == "appealed" and not note.strip():
        raise CreditError("the rating was appealed: say how the appeal was settled (--note)")
    if current.status == "notice" and final != current.grade:
        raise CreditError(
            f"without an appeal the final grade is the notified one ({current.grade}); "
            f"start a new rating to give another"
        )
    tx.conn.execute(
        update(credit_ratings)
        .where(credit_ratings.c.id == current.id)
        .values(
            status="decided", decided_on=on, final_grade=final, decision_note=note.strip() or None, decided_by=actor
        )
    )
    key = current_form(tx.conn).by_role(FieldRole.CREDIT_GRADE)
    apply_system_changes(
        tx,
        {row.id: {key.key if key else "credit_grade": final}},
        "credit",
        f"rating {current.id} decided {on.isoformat()}",
    )
    return _wire(tx.conn.execute(select(credit_ratings).where(credit_ratings.c.id == current.id)).one(), row.code)


def _day(v: Any) -> str | None:
    return v.isoformat() if v is not None else None


def _wire(r: Any, code: str | None) -> dict[str, Any]:
    return {
        "id": r.id,
        "customer_code": code,
        "grade": r.grade,
        "status": r.status,
        "rated_on": _day(r.rated_on),
        "notice_start": _day(r.notice_start),
        "notice_end": _day(r.notice_end),
        "notice_workdays": r.notice_workdays,
        "appeal_on": _day(r.appeal_on),
        "appeal_text": r.appeal_text,
        "decided_on": _day(r.decided_on),
        "final_grade": r.final_grade,
        "decision_note": r.decision_note,
        "rated_by": r.rated_by,
        "decided_by": r.decided_by,
        "basis": json.loads(r.basis) if r.basis else None,
    }


def basis_text(found: dict[str, Any] | None) -> str:
    """A rating's basis in one line, for the ``credit`` command: the period of the integrity archive read,
    the entries by kind, the complaints received and those still unanswered when it was rated."""
    if not found:
        return "no basis recorded (rated before the integrity archive was read)"
    counts = found.get("counts") or {}
    kinds = ", ".join(f"{translate(label, 'en').lower()} {counts.get(k, 0)}" for k, label in KIND_LABELS.items())
    return (
        f"integrity archive {found.get('since')} to {found.get('until')}: {kinds}; "
        f"{found.get('complaints', 0)} complaint(s) received, {found.get('complaints_open', 0)} not answered"
    )


def history(conn: Connection, record_id: str) -> list[dict[str, Any]]:
    code = conn.execute(select(customers.c.code).where(customers.c.id == record_id)).scalar()
    rows = conn.execute(
        select(credit_ratings).where(credit_ratings.c.record_id == record_id).order_by(credit_ratings.c.id)
    ).all()
    return [_wire(r, code) for r in rows]


def notices(conn: Connection, user: Any, on: dt.date) -> list[dict[str, Any]]:
    """The public notice list (公示, F3 L177) on ``on``: every outlet the caller may see whose initial rating
    is in its notice period that day (notice_start ≤ on ≤ notice_end, not decided), by code."""
    q = (
        select(credit_ratings, customers.c.code, customers.c.data, customers.c.owner_id)
        .join(customers, customers.c.id == credit_ratings.c.record_id)
        .where(
            credit_ratings.c.status.in_(OPEN),
            credit_ratings.c.notice_start <= on,
            credit_ratings.c.notice_end >= on,
            customers.c.deleted.is_(False),
            visible_clause(user),
        )
        .order_by(customers.c.code, credit_ratings.c.id)
    )
    rows = conn.execute(q).all()
    owners = {r.id: r.name for r in conn.execute(select(users.c.id, users.c.name))} if rows else {}
    return [
        {
            "record_id": r.record_id,
            "code": r.code,
            "shop_name": json.loads(r.data).get("shop_name"),
            "owner": owners.get(r.owner_id),
            "grade": r.grade,
            "status": r.status,
            "rated_on": r.rated_on.isoformat(),
            "notice_start": r.notice_start.isoformat(),
            "notice_end": r.notice_end.isoformat(),
            "appeal_on": _day(r.appeal_on),
        }
        for r in rows
    ]

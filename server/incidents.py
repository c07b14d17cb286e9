"""Incident records (安全事件, issue 18, audit S2): a leak of customers' personal data, a lost or stolen
laptop, a disclosure to the wrong person. The admin records what happened and when, the customers affected,
and then each step: the device revoked (the same revocation as ``devices revoke``, in the same
transaction, so a lost laptop's tokens stop working at once), the remedy, who was told (the customers, the
bureau, the authority), and the closing, which needs the remedy and the notice first. Every call is in the
admin log with ``via`` api or cli; the incident keeps its own dated steps with who took them.

The documents ask for the procedure, not its fields (F1 L377, F3 L110, F2 L38: a leak is remedied and
reported at once, the affected customers told); the kinds and
the rule that an incident closes only with its remedy and its notice recorded are this deployment's
reading, written in docs/domain.md."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server import accounts
from server.administration import Actor, AdminError, read_logged, write_logged
from server.db import Database, Tx
from server.schema import customers
from server.schema_incidents import incident_steps, incidents
from server.territories import clean_name

KINDS = ("leak", "lost_device", "disclosure", "other")
TEXT_MAX = 2000
#: Affected customers named in one incident at most (a larger leak is recorded as "all of a team" in words).
CUSTOMERS_MAX = 5000


def _text(value: object, what: str) -> str:
    """Free text of a step: one line or several (line breaks allowed), no NUL, no broken character."""
    if not isinstance(value, str):
        raise AdminError(f"{what} must be text")
    return clean_name(value.replace("\r\n", " ").replace("\n", " ").replace("\t", " "), what, TEXT_MAX)


def _day(value: object) -> str:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        raise AdminError(f"the day {str(value)[:20]!r} is not a date (YYYY-MM-DD)") from None
    if day.year < 2000 or day > dt.date.today() + dt.timedelta(days=1):
        raise AdminError(f"the day {day.isoformat()} is not a day an incident can have happened on")
    return day.isoformat()


def _customer_ids(conn: Connection, refs: list[str]) -> list[str]:
    """The ids of the named customers (ids or official codes); all unknown ones are named at once."""
    if len(refs) > CUSTOMERS_MAX:
        raise AdminError(f"{len(refs)} customers named; at most {CUSTOMERS_MAX} in one incident")
    found: dict[str, str] = {}
    clean = [clean_name(r, "a customer", 40) for r in refs]
    for i in range(0, len(clean), 500):
        part = clean[i : i + 500]
        q = select(customers.c.id, customers.c.code).where(
            customers.c.id.in_([p.lower() for p in part]) | customers.c.code.in_(part)
        )
        for row in conn.execute(q):
            found[row.id] = row.id
            if row.code:
                found[row.code] = row.id
    unknown = [r for r in clean if r not in found and r.lower() not in found]
    if unknown:
        raise AdminError(f"no such customer: {', '.join(unknown[:10])}" + (" …" if len(unknown) > 10 else ""))
    return sorted({found.get(r) or found[r.lower()] for r in clean})


def _step(tx: Tx, incident_id: int, action: str, detail: dict[str, Any], actor: Actor) -> None:
    tx.conn.execute(
        insert(incident_steps).values(
            incident_id=incident_id,
            action=action,
            detail=json.dumps(detail, ensure_ascii=False),
            by=actor.name,
            at=time.time(),
        )
    )


def _open_row(conn: Connection, incident_id: int) -> Any:
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    if row is None:
        raise AdminError(f"there is no incident {incident_id}", 404)
    if row.state != "open":
        raise AdminError(f"incident {incident_id} is closed")
    return row


def open_incident(
    db: Database, actor: Actor, kind: str, occurred_on: str, summary: str, refs: list[str]
) -> dict[str, Any]:
    """Record an incident; returns it with its number."""
    if kind not in KINDS:
        raise AdminError(f"the kind {str(kind)[:20]!r} is not one of {', '.join(KINDS)}")
    day, text = _day(occurred_on), _text(summary, "what happened")

    def go(tx: Tx) -> dict[str, Any]:
        ids = _customer_ids(tx.conn, refs)
        new_id = tx.conn.execute(
            insert(incidents)
            .values(
                kind=kind,
                occurred_on=day,
                summary=text,
                customers=json.dumps(ids),
                state="open",
                created_by=actor.name,
                created_at=time.time(),
            )
            .returning(incidents.c.id)
        ).scalar_one()
        _step(tx, new_id, "opened", {"kind": kind, "occurred_on": day, "customers": len(ids)}, actor)
        return _one(tx.conn, new_id)

    return write_logged(db, actor, "incidents.open", kind, {"occurred_on": day, "customers": len(refs)}, go)


def revoke_device(db: Database, actor: Actor, incident_id: int, user: str, device_id: str) -> dict[str, Any]:
    """The lost or exposed device is revoked as a step of the incident (its tokens stop at once)."""

    def go(tx: Tx) -> dict[str, Any]:
        _open_row(tx.conn, incident_id)
        accounts.revoke_device(tx, user, device_id)
        _step(tx, incident_id, "revoked", {"user": user, "device": device_id}, actor)
        return _one(tx.conn, incident_id)

    return write_logged(db, actor, "incidents.revoke", str(incident_id), {"user": user, "device": device_id}, go)


def record(db: Database, actor: Actor, incident_id: int, what: str, text: str) -> dict[str, Any]:
    """The remedy taken (``remedy``) or who was told (``notified``); a later one replaces the earlier text
    on the incident, and both stay among its steps."""
    if what not in ("remedy", "notified"):
        raise AdminError(f"{what!r} is not remedy or notified")
    value = _text(text, "the remedy" if what == "remedy" else "who was told")

    def go(tx: Tx) -> dict[str, Any]:
        _open_row(tx.conn, incident_id)
        tx.conn.execute(update(incidents).where(incidents.c.id == incident_id).values({what: value}))
        _step(tx, incident_id, what, {"text": value}, actor)
        return _one(tx.conn, incident_id)

    return write_logged(db, actor, f"incidents.{what}", str(incident_id), {}, go)


def close(db: Database, actor: Actor, incident_id: int) -> dict[str, Any]:
    """Close the incident: only once its remedy and who was told are recorded."""

    def go(tx: Tx) -> dict[str, Any]:
        row = _open_row(tx.conn, incident_id)
        missing = [w for w, v in (("the remedy", row.remedy), ("who was told", row.notified)) if not v]
        if missing:
            raise AdminError(f"incident {incident_id} cannot close before {' and '.join(missing)} is recorded")
        tx.conn.execute(
            update(incidents).where(incidents.c.id == incident_id).values(state="closed", closed_at=time.time())
        )
        _step(tx, incident_id, "closed", {}, actor)
        return _one(tx.conn, incident_id)

    return write_logged(db, actor, "incidents.close", str(incident_id), {}, go)


def _one(conn: Connection, incident_id: int) -> dict[str, Any]:
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    if row is None:
        raise AdminError(f"there is no incident {incident_id}", 404)
    steps = conn.execute(
        select(incident_steps).where(incident_steps.c.incident_id == incident_id).order_by(incident_steps.c.id)
    ).all()
    return {
        "id": row.id,
        "kind": row.kind,
        "occurred_on": row.occurred_on,
        "summary": row.summary,
        "customers": json.loads(row.customers),
        "remedy": row.remedy,
        "notified": row.notified,
        "state": row.state,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "closed_at": row.closed_at,
        "steps": [{"action": s.action, "detail": json.loads(s.detail), "by": s.by, "at": s.at} for s in steps],
    }


def show(db: Database, actor: Actor, incident_id: int) -> dict[str, Any]:
    return read_logged(db, actor, "incidents.show", str(incident_id), {}, lambda c: _one(c, incident_id))


def list_incidents(db: Database, actor: Actor, state: str | None = None) -> list[dict[str, Any]]:
    """Every incident (or those open / closed), newest first, without their steps."""

    def go(conn: Connection) -> list[dict[str, Any]]:
        q = select(incidents).order_by(incidents.c.id.desc())
        if state is not None:
            q = q.where(incidents.c.state == state)
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "occurred_on": r.occurred_on,
                "summary": r.summary,
                "customers": len(json.loads(r.customers)),
                "state": r.state,
                "remedy": r.remedy,
                "notified": r.notified,
            }
            for r in conn.execute(q)
        ]

    return read_logged(db, actor, "incidents.list", state or "", {}, go)

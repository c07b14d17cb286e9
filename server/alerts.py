"""The alerts to admins (issue 18, audit R13), as admins see them: listed newest first and acknowledged (by whom,
when), through the API, the command line and the desktop admin area; every call in the admin log. What is
counted and when a count becomes an alert: server/alert_count.py (docs/server.md, "Alerts")."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from server.administration import Actor, AdminError, read_logged, write_logged
from server.alert_count import KINDS, threshold
from server.config import Settings
from server.db import Database, Tx
from server.schema_guard import alerts


def _out(r: Any, settings: Settings) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "subject": r.subject,
        "count": r._mapping["count"],  # a Row's .count is the tuple method
        "threshold": threshold(settings, r.kind) if r.kind in KINDS else 0,
        "first_at": r.first_at,
        "last_at": r.last_at,
        "raised_at": r.raised_at,
        "acknowledged_by": r.acknowledged_by,
        "acknowledged_at": r.acknowledged_at,
    }


def rows(conn: Connection, settings: Settings, unacknowledged: bool = False, limit: int = 500) -> list[dict[str, Any]]:
    q = select(alerts).where(alerts.c.raised_at.is_not(None))
    if unacknowledged:
        q = q.where(alerts.c.acknowledged_at.is_(None))
    return [
        _out(r, settings) for r in conn.execute(q.order_by(alerts.c.raised_at.desc(), alerts.c.id.desc()).limit(limit))
    ]


def list_alerts(
    db: Database, actor: Actor, settings: Settings, *, unacknowledged: bool = False
) -> list[dict[str, Any]]:
    """The alerts raised, newest first (at most 500)."""
    params = {"unacknowledged": unacknowledged}
    return read_logged(db, actor, "alerts.list", "", params, lambda conn: rows(conn, settings, unacknowledged))


def waiting(db: Database) -> int:
    """How many raised alerts wait for an acknowledgement. A count names no account and no address, so it is
    not written to the admin log: an admin's client asks it after every sync (it would fill the log)."""
    c = alerts.c
    with db.read() as conn:
        q = select(func.count()).select_from(alerts).where(c.raised_at.is_not(None), c.acknowledged_at.is_(None))
        return int(conn.execute(q).scalar_one())


def acknowledge(db: Database, actor: Actor, settings: Settings, alert_id: int) -> dict[str, Any]:
    """Mark an alert seen, by whom and when (an alert acknowledged already keeps its first acknowledgement)."""

    def go(tx: Tx) -> dict[str, Any]:
        c = alerts.c
        row = tx.conn.execute(select(alerts).where(c.id == alert_id, c.raised_at.is_not(None))).first()
        if row is None:
            raise AdminError(f"there is no alert {alert_id}", 404)
        if row.acknowledged_at is None:
            tx.conn.execute(
                update(alerts)
                .where(c.id == alert_id)
                .values(acknowledged_by=actor.name[:64], acknowledged_at=time.time())
            )
        return _out(tx.conn.execute(select(alerts).where(c.id == alert_id)).one(), settings)

    return write_logged(db, actor, "alerts.acknowledge", str(alert_id), {}, go)

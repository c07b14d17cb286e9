"""Counting towards the alerts to admins (server/alerts.py lists and acknowledges them; issue 18, audit R13;
F4 L20 "客户档案应建立报警机制,对非法获取客户信息的行为进行查处"): repeated
failed sign-ins (per account name and per client address), refused tokens (per address) and unusual export
volumes (customers one user exported in a day, from the exports' entries of the audit trail) are counted per
kind, subject and window; the count that reaches the kind's threshold (server config, docs/server.md
"Alerts") raises the alert, once per window. Admins list them (API, command line, desktop admin area) and
acknowledge them (by whom, when).

Counting is one statement (``INSERT … ON CONFLICT DO UPDATE SET count = count + n … RETURNING``), so concurrent
requests, in threads or server processes, never lose a count; the alert is raised by a conditional update
(``raised_at IS NULL``), so it is raised once; in that transaction its event is queued for the webhooks of
integrations holding ``alerts:read`` (server/alert_events.py), and admins' desktop clients show a notice of
the alerts not acknowledged (app/ui/admin/alert_notice.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server import alert_events
from server.config import CHINA_TZ, Settings
from server.db import Database, Tx
from server.schema_guard import alerts

log = logging.getLogger("server.alerts")
USER_FAILURES = "failed_logins_user"
ADDRESS_FAILURES = "failed_logins_address"
REFUSED_TOKENS = "refused_tokens"
EXPORT_VOLUME = "export_volume"
KINDS = (USER_FAILURES, ADDRESS_FAILURES, REFUSED_TOKENS, EXPORT_VOLUME)


def threshold(settings: Settings, kind: str) -> int:
    return {
        USER_FAILURES: settings.alert_user_failures,
        ADDRESS_FAILURES: settings.alert_address_failures,
        REFUSED_TOKENS: settings.alert_refused_tokens,
        EXPORT_VOLUME: settings.alert_export_customers,
    }[kind]


def window_of(settings: Settings, kind: str, at: float) -> float:
    """The start of the window ``at`` falls in: a day in China for export volumes, else ``alert_window``."""
    if kind == EXPORT_VOLUME:
        day = dt.datetime.fromtimestamp(at, CHINA_TZ).date()
        return dt.datetime.combine(day, dt.time(), CHINA_TZ).timestamp()
    return float(int(at // settings.alert_window) * settings.alert_window)


def add(tx: Tx, settings: Settings, kind: str, subject: str, n: int = 1, at: float | None = None) -> bool:
    """Count ``n`` more of ``kind`` for ``subject`` (in the caller's transaction); True when this raised the alert."""
    now = time.time() if at is None else at
    start = window_of(settings, kind, now)
    values = {
        "kind": kind,
        "subject": subject[:200],
        "window_start": start,
        "count": n,
        "first_at": now,
        "last_at": now,
    }
    ins = (pg_insert if tx.db.is_postgres else sqlite_insert)(alerts).values(**values)
    c = alerts.c
    row = tx.conn.execute(
        ins.on_conflict_do_update(
            index_elements=["kind", "subject", "window_start"],
            set_={"count": c.count + n, "last_at": now},
        ).returning(c.id, c.count.label("n"), c.raised_at)
    ).one()
    if row.raised_at is not None or row.n < threshold(settings, kind):
        return False
    raised = tx.conn.execute(update(alerts).where(c.id == row.id, c.raised_at.is_(None)).values(raised_at=now))
    if raised.rowcount:
        log.warning("alert %s: %s reached %d", kind, subject[:200], row.n)
        alert_events.enqueue(tx, tx.conn.execute(select(alerts).where(c.id == row.id)).one(), threshold(settings, kind))
    return bool(raised.rowcount)


def count(db: Database, settings: Settings, kind: str, subject: str | None, n: int = 1) -> None:
    """:func:`add` in a transaction of its own; a failure to count is logged, never the request's failure."""
    if not subject:
        return
    try:
        db.write(lambda tx: add(tx, settings, kind, subject, n))
    except Exception:  # the request's own answer matters more than its count
        log.exception("could not count %s", kind)


def purge(db: Database, settings: Settings, now: float | None = None) -> int:
    """Forget counters that never became alerts once their window is two days past."""
    cutoff = (time.time() if now is None else now) - max(2 * 86400, 2 * settings.alert_window)
    return int(
        db.write(
            lambda tx: (
                tx.conn.execute(delete(alerts).where(alerts.c.raised_at.is_(None), alerts.c.last_at < cutoff)).rowcount
            )
        )
        or 0
    )

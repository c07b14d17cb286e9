"""Purging the outbound tables (issue 19, docs/integrations.md "Retention of the outbound tables").

``python -m server outbound purge`` and ``POST /api/v1/admin/outbound/purge`` remove what is older than
the deployment's ``outbound_retention_days`` (``[retention]``, FIELDARCHIVE_OUTBOUND_RETENTION_DAYS;
default 90):

- webhook batches **delivered** before then, and **dismissed** dead batches created before then;
- outbound changes numbered before then that every registered webhook has already formed into a batch
  (a batch keeps its own frozen body, so its changes are no longer needed to send it).

Never removed: a pending batch (not yet delivered), a dead batch not replayed or dismissed, a change a
webhook has not reached. The newest change removed is kept as the outbound horizon: a cursor below it
(other than 0, an initial load of what is kept) answers ``410 gone`` instead of silently skipping.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, true, update

from server.db import Tx
from server.schema import feed_counter
from server.schema_integrations import outbound_changes, webhook_deliveries, webhooks

DELIVERED, DISMISSED = "delivered", "dismissed"
RECORD_ID = re.compile(r'"record_id":\s*"([^"]+)"')  # in a batch's body (canonical JSON: no space)
DAY = 86400.0


def purge(tx: Tx, retention_days: float, *, now: float | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Remove what the retention allows; the counts (and the horizon) as JSON-ready values."""
    if retention_days < 1:
        raise ValueError("the outbound retention is at least 1 day")
    cutoff = (time.time() if now is None else now) - retention_days * DAY
    old_batches = or_(
        and_(webhook_deliveries.c.state == DELIVERED, webhook_deliveries.c.delivered_at < cutoff),
        and_(webhook_deliveries.c.state == DISMISSED, webhook_deliveries.c.created_at < cutoff),
    )
    # a prefix of the feed goes: the changes before the first one still young, and (with webhooks) only those
    # every webhook has formed into batches already (its cursor is past them)
    first_young = tx.conn.execute(select(func.min(outbound_changes.c.seq)).where(outbound_changes.c.at >= cutoff))
    young, hook = first_young.scalar(), tx.conn.execute(select(func.min(webhooks.c.cursor))).scalar()
    bounds = ([young - 1] if young is not None else []) + ([hook] if hook is not None else [])
    old_changes = outbound_changes.c.seq <= min(bounds) if bounds else true()
    batches = int(tx.conn.execute(select(func.count()).select_from(webhook_deliveries).where(old_batches)).scalar_one())
    top = tx.conn.execute(select(func.count(), func.max(outbound_changes.c.seq)).where(old_changes)).one()
    changes, newest = int(top[0]), top[1]
    horizon = int(tx.conn.execute(select(feed_counter.c.outbound_horizon).where(feed_counter.c.id == 1)).scalar_one())
    if not dry_run:
        tx.conn.execute(delete(webhook_deliveries).where(old_batches))
        if changes:
            tx.conn.execute(delete(outbound_changes).where(old_changes))
            horizon = max(horizon, int(newest))
            tx.conn.execute(update(feed_counter).where(feed_counter.c.id == 1).values(outbound_horizon=horizon))
    return {
        "retention_days": retention_days,
        "cutoff": cutoff,
        "deliveries": batches,
        "changes": changes,
        "horizon": horizon,
        "dry_run": dry_run,
    }


def redact_records(conn: Any, record_ids: Sequence[str]) -> dict[str, int]:
    """Redact the records' changes in every kept webhook batch: ``values`` and ``code`` become null,
    ``changed`` empty and ``redacted`` true; the seq, kind, record id and version stay (a receiver can
    still tell the batch's place and which record its values were removed from). A pending batch is sent
    so, with its delivery id unchanged. One pass over the kept bodies, whatever the number of records (a
    destruction of hundreds at once does not read them once per record): each body's record ids are read
    with a pattern, and only the bodies naming one of them are parsed and rewritten. Returns, per record,
    how many batches changed."""
    w = webhook_deliveries.c
    counts = dict.fromkeys(record_ids, 0)
    wanted = set(counts)
    hits: list[tuple[str, str]] = []
    for row in conn.execute(select(w.id, w.body).execution_options(yield_per=200)):
        if wanted.intersection(RECORD_ID.findall(row.body)):
            hits.append((row.id, row.body))
    for delivery_id, text in hits:
        body = json.loads(text)
        hit: set[str] = set()
        for change in body.get("changes") or []:
            rid = change.get("record_id")
            if rid in wanted and not change.get("redacted"):
                change.update(values=None, code=None, changed=[], redacted=True)
                hit.add(rid)
        if hit:
            new = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            conn.execute(update(webhook_deliveries).where(w.id == delivery_id).values(body=new))
            for rid in hit:
                counts[rid] += 1
    return counts

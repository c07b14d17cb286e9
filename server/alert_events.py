"""Alerts delivered as events to the deployment's webhooks (issue 18: "an alert to admins … that reaches
someone"; docs/integrations.md, "Alert events").

An integration holding the scope ``alerts:read`` and a webhook (a security monitor, the bureau's on-call
system) gets one batch per alert raised, formed in the transaction that raises the alert
(server/alert_count.py ``add``), so an alert is queued once and only when it is raised. The batch goes
through the webhook's ordinary delivery (server/webhooks.py: signed, retried, dead-letter list, replay) after
the feed batches formed before it. Its body carries **no personal value**: no account name and no address
(the alert's subject), only the alert's number, kind, count, threshold and times; an admin reads the subject
in the admin area or with ``python -m server alert list``.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import insert, select

from server.config import iso
from server.db import Tx
from server.integrations import Scope
from server.schema_integrations import integrations, webhook_deliveries, webhooks

EVENT = "alert"


def event(alert: Any, threshold: int) -> dict[str, Any]:
    """The event of a raised alert (an ``alerts`` row): without its subject."""
    return {
        "type": EVENT,
        "alert": int(alert.id),
        "kind": alert.kind,
        "count": int(alert._mapping["count"]),  # a Row's .count is the tuple method
        "threshold": threshold,
        "window_start": iso(alert.window_start),
        "first_at": iso(alert.first_at),
        "raised_at": iso(alert.raised_at),
    }


def enqueue(tx: Tx, alert: Any, threshold: int) -> int:
    """Queue the alert's event for every webhook of an integration holding ``alerts:read`` (not revoked), in
    the caller's transaction. Returns how many batches were queued."""
    rows = tx.conn.execute(
        select(integrations.c.id, integrations.c.name, integrations.c.scopes, webhooks.c.cursor)
        .join(webhooks, webhooks.c.integration_id == integrations.c.id)
        .where(integrations.c.revoked_at.is_(None))
        .order_by(integrations.c.id)
    ).all()
    now, made = time.time(), 0
    for r in rows:
        if Scope.ALERTS_READ.value not in json.loads(r.scopes):
            continue
        did = str(uuid.uuid4())
        body = {"delivery": did, "integration": r.name, "changes": [], "events": [event(alert, threshold)]}
        tx.conn.execute(
            insert(webhook_deliveries).values(
                id=did,
                integration_id=r.id,
                number=r.cursor,  # after the feed batches formed so far (their number is their last seq)
                body=json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                first_seq=r.cursor,
                last_seq=r.cursor,
                size=1,
                state="pending",
                attempts=0,
                next_at=now,
                created_at=now,
            )
        )
        made += 1
    return made

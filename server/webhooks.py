"""Webhooks: the outbound feed (server/outbound.py) POSTed to an integration's URL in signed batches.

An admin gives an integration holding ``feed:read`` a webhook URL (``https://``; ``http://`` only to a
loopback address, for tests and development) and gets its secret, shown once. The secret must be kept
where the server can sign with it, so it is stored as it is in the ``webhooks`` row: it is as secret as
the database (and its backups), which hold every customer anyway; ``list``/``show`` never print it, and
``webhook secret NAME`` replaces it.

Delivery. Every server process runs :func:`run_once` every ``webhook_poll`` seconds (a background task of
``serve``; ``webhook deliver`` runs rounds from the command line). A process first takes the webhook's
*lease* with one conditional UPDATE (``lease_until`` in the past): with several workers or servers on one
database, one process at a time delivers a webhook's batches, in order, and a process that dies loses
its lease after ``LEASE`` seconds. No queue or process beside the servers is needed.

A batch is *formed* once: the integration's next page of the outbound feed after the webhook's cursor
(its territory, its fields), frozen as a ``webhook_deliveries`` row with a new delivery id, in the same
transaction that moves the cursor past it. Every attempt sends the same id and body; only the timestamp
and the signature are new. A 2xx answer delivers it; anything else (another status, a refused or
dropped connection, a timeout, a redirect) is a failed attempt, retried after
``min(cap, base * 2**(n-1))`` seconds times a random factor in [0.5, 1] (n: failed attempts so far);
after ``webhook_attempts`` failures it goes to the dead-letter list, and the next batch goes on. An
admin sees that list and replays a batch (same id, same body) from the command line or the admin API.
A receiver that keeps the delivery ids it has applied gets each batch's effect exactly once.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import secrets
import ssl
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert, or_, select, update

from server import outbound
from server.config import Settings, iso
from server.db import Database, Tx
from server.integrations import IntegrationError, Machine, Scope
from server.schema_integrations import integrations, webhook_deliveries, webhooks

log = logging.getLogger(__name__)

LEASE = 120.0  # seconds a process holds a webhook without renewing it
ROUND = 20  # batches sent per webhook per round at most
PENDING, DELIVERED, DEAD, DISMISSED = "pending", "delivered", "dead", "dismissed"
HEADER_DELIVERY = "X-FieldArchive-Delivery"
HEADER_TIMESTAMP = "X-FieldArchive-Timestamp"
HEADER_SIGNATURE = "X-FieldArchive-Signature"
LOOPBACK_NAMES = ("localhost",)


def check_url(url: str) -> str:
    """The URL as given, or :class:`IntegrationError` saying why it cannot receive webhooks."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        _ = parts.port  # a bad port is a ValueError
    except ValueError:
        raise IntegrationError(f"{url!r} is not a URL") from None
    host = parts.hostname or ""
    if len(url) > 500 or not host:
        raise IntegrationError("a webhook URL is https://HOST/PATH, at most 500 characters")
    if parts.username or parts.password:
        raise IntegrationError("a webhook URL carries no user name or password (the signature proves the sender)")
    if parts.fragment:
        raise IntegrationError("a webhook URL has no #fragment")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _loopback(host):
        return url
    raise IntegrationError("a webhook URL must be https:// (http:// only to 127.0.0.1, ::1 or localhost)")


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _integration(conn: Any, name: str) -> Any:
    row = conn.execute(select(integrations).where(integrations.c.name == name)).first()
    if row is None:
        raise IntegrationError(f"there is no integration {name!r}")
    return row


def set_webhook(tx: Tx, name: str, url: str, *, from_start: bool = False) -> str | None:
    """Give the integration a webhook, or point its webhook elsewhere. Returns the new secret (shown
    once) for a new webhook, None when only the URL changed. A new webhook starts with the changes
    committed from now on (``from_start``: with every change since the beginning)."""
    url = check_url(url)
    row = _integration(tx.conn, name)
    if row.revoked_at is not None:
        raise IntegrationError(f"the integration {name!r} is revoked")
    if not {Scope.FEED_READ.value, Scope.ALERTS_READ.value} & set(json.loads(row.scopes)):
        raise IntegrationError(
            f"the integration {name!r} needs the scope {Scope.FEED_READ.value} or {Scope.ALERTS_READ.value}"
            " for a webhook"
        )
    old = tx.conn.execute(select(webhooks.c.url).where(webhooks.c.integration_id == row.id)).first()
    if old is not None:
        tx.conn.execute(update(webhooks).where(webhooks.c.integration_id == row.id).values(url=url))
        return None
    secret = secrets.token_hex(32)
    start = 0 if from_start else outbound.counter(tx.conn)
    tx.conn.execute(
        insert(webhooks).values(integration_id=row.id, url=url, secret=secret, cursor=start, created_at=time.time())
    )
    return secret


def new_secret(tx: Tx, name: str) -> str:
    """Replace the webhook's secret (the next attempt is signed with the new one)."""
    row = _integration(tx.conn, name)
    secret = secrets.token_hex(32)
    if tx.conn.execute(update(webhooks).where(webhooks.c.integration_id == row.id).values(secret=secret)).rowcount != 1:
        raise IntegrationError(f"the integration {name!r} has no webhook")
    return secret


def remove_webhook(tx: Tx, name: str) -> int:
    """No more deliveries; the pending batches go to the dead-letter list (returns how many)."""
    row = _integration(tx.conn, name)
    if tx.conn.execute(webhooks.delete().where(webhooks.c.integration_id == row.id)).rowcount != 1:
        raise IntegrationError(f"the integration {name!r} has no webhook")
    q = update(webhook_deliveries).where(
        webhook_deliveries.c.integration_id == row.id, webhook_deliveries.c.state == PENDING
    )
    return int(tx.conn.execute(q.values(state=DEAD, last_error="the webhook was removed")).rowcount)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256, keyed with the secret, of ``timestamp``, ``.`` and the body."""
    mac = hmac.new(secret.encode("ascii"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(failures: int, settings: Settings, rand: float | None = None) -> float:
    """Seconds before the next attempt after ``failures`` failed ones."""
    full = min(settings.webhook_retry_cap, settings.webhook_retry_base * 2.0 ** min(failures - 1, 40))
    return float(full * (0.5 + 0.5 * (random.random() if rand is None else rand)))


def _delivery_out(r: Any, name: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "integration": name,
        "state": r.state,
        "first_seq": r.first_seq,
        "last_seq": r.last_seq,
        "changes": r.size,
        "attempts": r.attempts,
        "last_status": r.last_status,
        "last_error": r.last_error,
        "created_at": iso(r.created_at),
        "delivered_at": iso(r.delivered_at) if r.delivered_at is not None else None,
    }


def deliveries(conn: Any, name: str | None = None, state: str = DEAD, limit: int = 100) -> list[dict[str, Any]]:
    """The newest batches in ``state`` (the dead-letter list by default), of one integration or all."""
    q = (
        select(webhook_deliveries, integrations.c.name.label("i_name"))
        .join(integrations, integrations.c.id == webhook_deliveries.c.integration_id)
        .where(webhook_deliveries.c.state == state)
    )
    if name is not None:
        q = q.where(integrations.c.id == _integration(conn, name).id)
    q = q.order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.number.desc()).limit(limit)
    return [_delivery_out(r, r.i_name) for r in conn.execute(q).all()]


def replay(tx: Tx, delivery_id: str) -> dict[str, Any]:
    """A dead batch is sent again (the same id and body), before the webhook's newer batches."""
    row = tx.conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)).first()
    if row is None:
        raise IntegrationError(f"there is no webhook delivery {delivery_id!r}")
    if row.state != DEAD:
        raise IntegrationError(f"the delivery {delivery_id} is {row.state}, not in the dead-letter list")
    if tx.conn.execute(select(webhooks.c.url).where(webhooks.c.integration_id == row.integration_id)).first() is None:
        raise IntegrationError("its integration has no webhook now; set one first")
    tx.conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(state=PENDING, attempts=0, next_at=time.time())
    )
    name = tx.conn.execute(select(integrations.c.name).where(integrations.c.id == row.integration_id)).scalar_one()
    return {**_delivery_out(row, name), "state": PENDING, "attempts": 0}


def dismiss(tx: Tx, delivery_id: str) -> dict[str, Any]:
    """A dead batch an admin gave up on: no longer in the dead-letter list, purged after the retention."""
    row = tx.conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)).first()
    if row is None:
        raise IntegrationError(f"there is no webhook delivery {delivery_id!r}")
    if row.state != DEAD:
        raise IntegrationError(f"the delivery {delivery_id} is {row.state}, not in the dead-letter list")
    tx.conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(state=DISMISSED))
    name = tx.conn.execute(select(integrations.c.name).where(integrations.c.id == row.integration_id)).scalar_one()
    return {**_delivery_out(row, name), "state": DISMISSED}


# ------------------------------------------------------------------------------------------ delivery


def run_once(db: Database, settings: Settings, owner: str) -> int:
    """One round: every webhook whose lease this process gets sends its due batches. Returns the
    number of attempts made. ``owner``: this process's name in the leases."""
    now = time.time()
    with db.read() as conn:
        ids = [
            r.integration_id
            for r in conn.execute(
                select(webhooks.c.integration_id)
                .join(integrations, integrations.c.id == webhooks.c.integration_id)
                .where(integrations.c.revoked_at.is_(None))
                .where(or_(webhooks.c.lease_until.is_(None), webhooks.c.lease_until < now))
            )
        ]
    attempts = 0
    for iid in ids:
        if not _lease(db, iid, owner, take=True):
            continue
        try:
            attempts += _serve(db, settings, iid, owner)
        except Exception:  # one receiver's or database's trouble must not stop the others
            log.exception("webhook delivery for integration %s failed", iid)
        finally:
            _lease(db, iid, owner, take=False)
    return attempts


def _lease(db: Database, iid: int, owner: str, *, take: bool) -> bool:
    def work(tx: Tx) -> bool:
        now = time.time()
        q = update(webhooks).where(webhooks.c.integration_id == iid)
        if take:
            q = q.where(or_(webhooks.c.lease_until.is_(None), webhooks.c.lease_until < now))
            q = q.values(lease_owner=owner, lease_until=now + LEASE)
        else:
            q = q.where(webhooks.c.lease_owner == owner).values(lease_owner=None, lease_until=None)
        return bool(tx.conn.execute(q).rowcount == 1)

    return db.write(work)


def _serve(db: Database, settings: Settings, iid: int, owner: str) -> int:
    made = 0
    for _ in range(ROUND):
        with db.read() as conn:
            hook = conn.execute(select(webhooks).where(webhooks.c.integration_id == iid)).first()
            if hook is None or hook.lease_owner != owner:
                return made
            batch = conn.execute(
                select(webhook_deliveries)
                .where(webhook_deliveries.c.integration_id == iid, webhook_deliveries.c.state == PENDING)
                .order_by(webhook_deliveries.c.number, webhook_deliveries.c.created_at)  # alert batches: by time
                .limit(1)
            ).first()
        if batch is None:
            batch = _form(db, settings, iid, owner)
            if batch is None:
                return made
        if batch.next_at > time.time():
            return made
        made += 1
        if not _attempt(db, settings, hook, batch, owner):
            return made
    return made


def _machine(row: Any) -> Machine:
    territory = json.loads(row.territory) if row.territory is not None else None
    return Machine(
        int(row.id),
        row.name,
        row.department,
        frozenset(json.loads(row.scopes)),
        tuple(territory) if territory is not None else None,
        "",
        int(row.rate_per_minute),
        int(row.burst),
        tuple(json.loads(row.fields)) if row.fields is not None else None,
    )


def _form(db: Database, settings: Settings, iid: int, owner: str) -> Any:
    """The next batch after the webhook's cursor, frozen in a new delivery row (None: nothing to send).
    Pages whose changes this integration may not see move the cursor on and are not sent."""
    for _ in range(ROUND):
        with db.read() as conn:
            row = conn.execute(select(integrations).where(integrations.c.id == iid)).one()
            cursor = conn.execute(select(webhooks.c.cursor).where(webhooks.c.integration_id == iid)).scalar_one()
            machine = _machine(row)
            if Scope.FEED_READ.value not in machine.scopes:
                return None
            page = outbound.read_changes(conn, machine, cursor, settings.webhook_batch)
        if page["cursor"] == cursor:
            return None
        delivery_id = str(uuid.uuid4())
        body = outbound.dumps(
            {
                "delivery": delivery_id,
                "integration": machine.name,
                "epoch": page["epoch"],
                "cursor": page["cursor"],
                "changes": page["changes"],
            }
        )

        def work(
            tx: Tx, old: int = cursor, page: dict[str, Any] = page, body: str = body, did: str = delivery_id
        ) -> Any:
            moved = tx.conn.execute(
                update(webhooks)
                .where(webhooks.c.integration_id == iid, webhooks.c.cursor == old, webhooks.c.lease_owner == owner)
                .values(cursor=page["cursor"], lease_until=time.time() + LEASE)
            ).rowcount
            if moved != 1 or not page["changes"]:
                return None
            now = time.time()
            values = {
                "id": did,
                "integration_id": iid,
                "number": page["cursor"],
                "body": body,
                "first_seq": page["changes"][0]["seq"],
                "last_seq": page["cursor"],
                "size": len(page["changes"]),
                "state": PENDING,
                "attempts": 0,
                "next_at": now,
                "created_at": now,
            }
            tx.conn.execute(insert(webhook_deliveries).values(**values))
            return tx.conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.id == did)).one()

        batch = db.write(work)
        if batch is not None:
            return batch
        if not page["changes"] and page["more"]:
            continue
        return None
    return None


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """The TLS check of a receiver: the system's store, and ``ca_file`` (``webhook_ca_file``) beside it;
    the certificate must chain to one of them and name the URL's host."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float, ca_file: str = "") -> int:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=tls_context(ca_file)
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)
        return int(response.status)
    finally:
        conn.close()


def _attempt(db: Database, settings: Settings, hook: Any, batch: Any, owner: str) -> bool:
    """One POST of the batch; records the outcome. True when delivered."""
    body = batch.body.encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "FieldArchive-Webhooks/1",
        HEADER_DELIVERY: batch.id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_SIGNATURE: sign(hook.secret, timestamp, body),
    }
    status: int | None = None
    problem: str | None = None
    try:
        status = _post(hook.url, body, headers, settings.webhook_timeout, settings.webhook_ca_file)
        if not 200 <= status < 300:
            problem = f"HTTP {status}"
    except ssl.SSLCertVerificationError as exc:  # never sent: the receiver is not who the URL names
        problem = f"TLS certificate not trusted: {exc.verify_message or exc}"[:500]
    except (OSError, http.client.HTTPException) as exc:
        problem = f"{type(exc).__name__}: {exc}"[:500]

    def record(tx: Tx) -> None:
        now = time.time()
        q = update(webhook_deliveries).where(webhook_deliveries.c.id == batch.id, webhook_deliveries.c.state == PENDING)
        if problem is None:
            tx.conn.execute(q.values(state=DELIVERED, delivered_at=now, last_status=status, last_error=None))
        else:
            failures = batch.attempts + 1
            dead = failures >= settings.webhook_attempts
            tx.conn.execute(
                q.values(
                    attempts=failures,
                    state=DEAD if dead else PENDING,
                    next_at=now + backoff(failures, settings),
                    last_status=status,
                    last_error=problem,
                )
            )
        tx.conn.execute(
            update(webhooks)
            .where(webhooks.c.integration_id == hook.integration_id, webhooks.c.lease_owner == owner)
            .values(lease_until=now + LEASE)
        )

    db.write(record)
    if problem is not None:
        log.warning("webhook delivery %s to integration %s failed: %s", batch.id, hook.integration_id, problem)
    return problem is None

"""Machine accounts (integrations): their scopes, territory, tokens, rate limits and call audit.

An admin creates an integration (name, owning department, allowed scopes, territory) and gets a
token shown once: ``fa_<id>_<secret>``, the id 16 hex digits (public, the row's key), the secret 256
random bits (64 hex digits) of which only a SHA-256 is kept. A call looks the row up by id and
compares the hash of the presented secret with ``hmac.compare_digest`` (constant time; a cheap hash
suffices for a random 256-bit secret, unlike a password, so no Argon2 per call). An unknown id is
compared against a dummy hash all the same.

A rotation issues a new token; the old ones stay valid for a grace period the admin chooses (default
0: refused at once). A revocation refuses every token of the integration. With the deployment's
``integration_token_days`` (``[tokens]``, docs/deploy.md) above 0, a token older than that is refused.

Every call made with a valid token is recorded in ``integration_calls`` with the integration's name,
its path and the answer's status (server/machines.py). Rate limits: a token bucket per integration
kept in each worker process (:class:`RateLimiter`), see docs/integrations.md "Rate limits".

The functions here are what the command line (``python -m server integration …``) calls and what an
admin HTTP API would call: they take a transaction or a connection and raise
:class:`IntegrationError` with a one-line English reason.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from app.models.wire import ErrorCode
from app.validation import secrecy
from server.accounts import AccountError, User, get_user_by_id, team_supervisor
from server.config import Settings
from server.db import Database, Tx
from server.errors import ApiError
from server.forms import current_form
from server.schema_integrations import integration_calls, integration_tokens, integrations, webhooks
from server.scope import INTEGRATION

PREFIX = "fa_"
TOKEN_RE = re.compile(r"fa_([0-9a-f]{16})_([0-9a-f]{64})")
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,47}")
DEFAULT_RATE_PER_MINUTE = 600
DEFAULT_BURST = 60
_DUMMY = hashlib.sha256(secrets.token_bytes(32)).hexdigest()


class Scope(enum.StrEnum):
    """What an integration may do (a closed list; docs/integrations.md says which endpoint needs which)."""

    RECORDS_READ = "records:read"  # GET /records/{id}, /records/{id}/credit
    PHOTOS_READ = "photos:read"  # GET /photos/{sha256}
    CALENDAR_READ = "calendar:read"  # GET /calendar
    PURCHASES_WRITE = "purchases:write"  # POST /purchases
    # the inbound and outbound parts of issue 19 (server/inbound_api.py, server/outbound_api.py)
    FEED_READ = "feed:read"  # GET /integrations/changes
    LICENSEES_WRITE = "licensees:write"  # POST /integrations/licensees
    ASSIGNMENTS_WRITE = "assignments:write"  # staff assignments, routes, quotas
    CUSTOMERS_IMPORT = "customers:import"  # large initial loads (no endpoint yet)
    WEBHOOKS_MANAGE = "webhooks:manage"  # webhook endpoints and the dead-letter list (no endpoint yet)
    ALERTS_READ = "alerts:read"  # its webhook gets the alerts to admins as events (server/alert_events.py)


SCOPES = tuple(s.value for s in Scope)


class IntegrationError(Exception):
    """A refused integration operation; the message is one English line."""


@dataclass(frozen=True)
class Machine:
    """An authenticated integration, as a request sees it."""

    id: int
    name: str
    department: str
    scopes: frozenset[str]
    territory: tuple[int, ...] | None
    token_id: str
    rate_per_minute: int
    burst: int
    fields: tuple[str, ...] | None = None  # the form fields its outbound feed carries; None: every field

    def as_user(self) -> User:
        """The stand-in user the scope rules (server/scope.py) judge: role ``integration``, its territory."""
        return User(0, f"integration:{self.name}", self.name, INTEGRATION, None, False, self.territory)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _new_token(conn: Connection, integration_id: int, now: float) -> str:
    token_id, secret = secrets.token_hex(8), secrets.token_hex(32)
    conn.execute(
        insert(integration_tokens).values(
            token_id=token_id,
            integration_id=integration_id,
            secret_hash=secret_hash(secret),
            created_at=now,
            retires_at=None,
        )
    )
    return f"{PREFIX}{token_id}_{secret}"


def _row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(integrations).where(integrations.c.name == name)).first()
    if row is None:
        raise IntegrationError(f"there is no integration {name!r}")
    return row


def parse_scopes(values: list[str]) -> list[str]:
    out = sorted({v.strip() for v in values if v.strip()})
    bad = [v for v in out if v not in SCOPES]
    if bad:
        raise IntegrationError(f"unknown scope {bad[0]!r}: the scopes are {', '.join(SCOPES)}")
    if not out:
        raise IntegrationError("an integration needs at least one scope")
    return out


def add_integration(
    tx: Tx,
    name: str,
    department: str,
    scopes: list[str],
    *,
    territory: list[str] | None = None,
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
    burst: int = DEFAULT_BURST,
    created_by: str = "(command line)",
) -> tuple[dict[str, Any], str]:
    """Create an integration; returns its description and its token (shown once, never stored).
    ``territory``: the supervisors whose teams it reaches; None for the whole deployment."""
    if not NAME_RE.fullmatch(name):
        raise IntegrationError("an integration name has 1 to 48 letters, digits, '.', '_' or '-'")
    if not department.strip() or len(department) > 200:
        raise IntegrationError("an integration needs its owning department (at most 200 characters)")
    if rate_per_minute < 1 or burst < 1:
        raise IntegrationError("the rate per minute and the burst must be at least 1")
    chosen = parse_scopes(scopes)
    team_ids: list[int] | None = None
    if territory is not None:
        try:
            team_ids = sorted({team_supervisor(tx.conn, s).id for s in territory})
        except AccountError as exc:
            raise IntegrationError(str(exc)) from None
        if not team_ids:
            raise IntegrationError("a territory names at least one supervisor (or leave it out: the whole deployment)")
    if tx.conn.execute(select(integrations.c.id).where(integrations.c.name == name)).first() is not None:
        raise IntegrationError(f"the integration {name!r} already exists")
    now = time.time()
    iid = tx.conn.execute(
        insert(integrations).values(
            name=name,
            department=department.strip(),
            scopes=json.dumps(chosen),
            territory=json.dumps(team_ids) if team_ids is not None else None,
            rate_per_minute=rate_per_minute,
            burst=burst,
            created_at=now,
            created_by=created_by,
            revoked_at=None,
        )
    ).inserted_primary_key[0]  # type: ignore[index]  # set after every single-row INSERT
    token = _new_token(tx.conn, int(iid), now)
    return describe(tx.conn, name), token


def describe(conn: Connection, name: str) -> dict[str, Any]:
    """An integration as the admin sees it: never a secret, only the public ids of its tokens."""
    row = _row(conn, name)
    return _describe(conn, row)


def _describe(conn: Connection, row: Any) -> dict[str, Any]:
    teams = json.loads(row.territory) if row.territory is not None else None
    names = None
    if teams is not None:
        names = sorted(u.name for u in (get_user_by_id(conn, t) for t in teams) if u is not None)
    tokens = conn.execute(
        select(integration_tokens.c.token_id, integration_tokens.c.created_at, integration_tokens.c.retires_at)
        .where(integration_tokens.c.integration_id == row.id)
        .order_by(integration_tokens.c.created_at)
    ).all()
    calls, last = conn.execute(
        select(func.count(), func.max(integration_calls.c.at)).where(integration_calls.c.integration_id == row.id)
    ).one()
    return {
        "name": row.name,
        "department": row.department,
        "scopes": json.loads(row.scopes),
        "territory": names,  # None: the whole deployment
        "rate_per_minute": row.rate_per_minute,
        "burst": row.burst,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "revoked": row.revoked_at is not None,
        "tokens": [{"id": t.token_id, "created_at": t.created_at, "retires_at": t.retires_at} for t in tokens],
        "calls": int(calls or 0),
        "last_call_at": last,
        "fields": json.loads(row.fields) if row.fields is not None else None,  # None: every field
        "webhook": conn.execute(select(webhooks.c.url).where(webhooks.c.integration_id == row.id)).scalar(),
        "secrecy": standing(conn, row.name),
    }


def standing(conn: Connection, name: str) -> dict[str, bool]:
    """What the form in force lets the integration read (its ``meta.secrecy``: docs/integrations.md, "Secrecy"):
    机密 (``secret``), 绝密 (``top_secret``), and whether it is in the masked view (no person)."""
    form = current_form(conn)
    reader = secrecy.Reader(f"{INTEGRATION}:{name}", INTEGRATION)
    return {
        "secret": secrecy.may_read(form, secrecy.SECRET, reader),
        "top_secret": secrecy.may_read(form, secrecy.TOP_SECRET, reader),
        "masked_view": secrecy.in_masked_view(form, reader),
    }


def set_fields(tx: Tx, name: str, keys: list[str] | None) -> list[str] | None:
    """The form fields the integration's outbound feed and webhook carry (None: every field, also those
    a later form adds). Each key must be a field of the current form."""
    row = _row(tx.conn, name)
    chosen: list[str] | None = None
    if keys is not None:
        form = current_form(tx.conn)
        chosen = sorted({k.strip() for k in keys if k.strip()})
        unknown = [k for k in chosen if k not in form]
        if unknown:
            raise IntegrationError(f"{unknown[0]!r} is not a field of the form (form version {form.version})")
        if not chosen:
            raise IntegrationError("name at least one field (or all of them with --all-fields)")
    tx.conn.execute(
        update(integrations).where(integrations.c.id == row.id).values(fields=json.dumps(chosen) if chosen else None)
    )
    return chosen


def list_integrations(conn: Connection) -> list[dict[str, Any]]:
    return [_describe(conn, r) for r in conn.execute(select(integrations).order_by(integrations.c.name)).all()]


def rotate(tx: Tx, name: str, grace_seconds: float = 0.0) -> str:
    """A new token; the integration's older tokens stay valid ``grace_seconds`` more (0: refused at once)."""
    if grace_seconds < 0 or not math.isfinite(grace_seconds):
        raise IntegrationError("the grace period is a number of seconds of at least 0")
    row = _row(tx.conn, name)
    if row.revoked_at is not None:
        raise IntegrationError(f"the integration {name!r} is revoked; add a new one")
    now = time.time()
    end = now + grace_seconds
    live = integration_tokens.c.integration_id == row.id
    tx.conn.execute(
        update(integration_tokens).where(live, integration_tokens.c.retires_at.is_(None)).values(retires_at=end)
    )
    tx.conn.execute(
        update(integration_tokens).where(live, integration_tokens.c.retires_at > end).values(retires_at=end)
    )
    return _new_token(tx.conn, row.id, now)


def revoke(tx: Tx, name: str) -> None:
    """Every token of the integration is refused from now on (its calls stay in the audit)."""
    row = _row(tx.conn, name)
    now = time.time()
    tx.conn.execute(update(integrations).where(integrations.c.id == row.id).values(revoked_at=row.revoked_at or now))
    tx.conn.execute(
        update(integration_tokens)
        .where(integration_tokens.c.integration_id == row.id, integration_tokens.c.retires_at.is_(None))
        .values(retires_at=now)
    )


def calls(conn: Connection, name: str, limit: int = 50) -> list[dict[str, Any]]:
    """The integration's newest calls, newest first."""
    row = _row(conn, name)
    q = (
        select(integration_calls)
        .where(integration_calls.c.integration_id == row.id)
        .order_by(integration_calls.c.at.desc(), integration_calls.c.id.desc())
        .limit(limit)
    )
    return [
        {"at": r.at, "token": r.token_id, "method": r.method, "path": r.path, "status": r.status}
        for r in conn.execute(q).all()
    ]


def looks_like_token(token: str | None) -> bool:
    return token is not None and token.startswith(PREFIX)  # (PREFIX is not empty: "" is no token)


INVALID = "The integration token is not valid."


def authenticate(db: Database, settings: Settings, token: str) -> Machine:
    """The integration of a ``fa_`` token, or 401. The secret is always hashed and compared in
    constant time, also for a garbled token or an unknown id (against a dummy hash)."""
    m = TOKEN_RE.fullmatch(token)
    token_id, secret = (m.group(1), m.group(2)) if m else ("", token)
    presented = secret_hash(secret)
    row = None
    if m:
        with db.read() as conn:
            row = conn.execute(
                select(integration_tokens, integrations)
                .join(integrations, integrations.c.id == integration_tokens.c.integration_id)
                .where(integration_tokens.c.token_id == token_id)
            ).first()
    ok = hmac.compare_digest(presented, row.secret_hash if row is not None else _DUMMY)
    if row is None or not ok:
        raise ApiError(401, ErrorCode.UNAUTHORIZED, INVALID)
    now = time.time()
    if row.revoked_at is not None:
        raise ApiError(401, ErrorCode.UNAUTHORIZED, "This integration is revoked.")
    if row.retires_at is not None and row.retires_at <= now:
        raise ApiError(401, ErrorCode.UNAUTHORIZED, "This integration token was replaced by a newer one.")
    days = settings.integration_token_days
    if days > 0 and row.created_at + days * 86400 <= now:
        raise ApiError(401, ErrorCode.UNAUTHORIZED, "This integration token is expired; ask for a new one.")
    territory = json.loads(row.territory) if row.territory is not None else None
    return Machine(
        int(row.integration_id),
        row.name,
        row.department,
        frozenset(json.loads(row.scopes)),
        tuple(territory) if territory is not None else None,
        token_id,
        int(row.rate_per_minute),
        int(row.burst),
        tuple(json.loads(row.fields)) if row.fields is not None else None,
    )


def record_call(db: Database, machine: Machine, method: str, path: str, status: int) -> None:
    db.write(
        lambda tx: tx.conn.execute(
            insert(integration_calls).values(
                integration_id=machine.id,
                integration_name=machine.name,
                token_id=machine.token_id,
                at=time.time(),
                method=method[:8],
                path=path[:300],
                status=status,
            )
        )
    )


class RateLimiter:
    """A token bucket per integration, in this worker process: ``burst`` calls at once, refilled at
    ``rate_per_minute``. Kept in memory, not in the database: the check costs no write and no lock
    shared by every call of an integration (SQLite has one writer); the price is that a deployment
    with N workers lets an integration make up to N times its rate (docs/integrations.md)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[int, tuple[float, float]] = {}  # integration id -> (tokens, at)

    def take(self, machine: Machine, now: float | None = None) -> float:
        """0 when the call may go ahead (one token taken), else the seconds until a token is there."""
        now = time.monotonic() if now is None else now
        per_second = machine.rate_per_minute / 60.0
        with self._lock:
            tokens, at = self._buckets.get(machine.id, (float(machine.burst), now))
            tokens = min(float(machine.burst), tokens + (now - at) * per_second)
            if tokens >= 1.0:
                self._buckets[machine.id] = (tokens - 1.0, now)
                return 0.0
            self._buckets[machine.id] = (tokens, now)
            return (1.0 - tokens) / per_second

"""Login, refresh and logout; login budgets kept in the database (shared by processes).

A failed login never says whether the user name exists: unknown names cost the same Argon2
verification and count towards the same budgets. The policy (docs/server.md, "Login policy"):

- Every attempt first *reserves* a slot in its budgets, in one write transaction that holds the
  budget rows (``FOR UPDATE`` on PostgreSQL; SQLite serialises writers), and only then is the
  password verified. However many attempts arrive at once, at most ``max_failures`` of a budget
  are verified before its delay starts; a success gives its slot back.
- A login from one of the user's own devices (a device id the server issued tokens to, used
  within ``trust_seconds``) or from an address the user logged in from within
  ``trust_seconds`` has a budget of its own: strangers failing on the name do not lock the user out.
- Other logins share the budget of the user name and the budget of their client address (across
  all names, ``address_max_failures``).
- Past the free attempts a budget waits ``lock_base`` seconds, doubling with each further
  attempt up to ``lock_seconds``. While it waits, every attempt gets the same answer at once
  (423 for a name, 429 for an address, with ``Retry-After``), whatever the password: nothing is
  verified.
- At most ``hash_concurrency`` verifications run at once per process (Argon2id takes 64 MiB
  each); up to ``hash_queue`` more wait without holding a thread; past that an attempt gets 429
  at once and its reserved slot is given back (it was never verified).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from app.models.wire import ErrorCode
from server import alert_count
from server.accounts import (
    AccountError,
    Caller,
    User,
    check_password_strength,
    get_user_by_id,
    hasher,
    issue_tokens,
    revoke_device_pk,
    set_password,
    supervisor_name,
    token_hash,
    user_from_row,
)
from server.config import Settings, iso
from server.db import Database, Tx
from server.errors import ApiError
from server.schema import devices, login_budgets, login_sources, refresh_tokens, users
from server.schema_guard import password_history

WRONG = "Wrong user name or password."


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both cases take as long."""
    return hasher(Settings()).hash("not a password of anyone")


def _name_key(name: str) -> str:
    return name.casefold()[:64]


def _key(kind: str, *parts: str) -> str:
    """A budget's key: its kind and a SHA-256 of what it limits (no names or addresses kept in clear)."""
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}:{h}"


class HashGate:
    """Bounds the password checks of one process: ``concurrency`` at once, ``queue`` more waiting
    (on an asyncio semaphore, without a thread), the rest refused at once with 429."""

    def __init__(self, concurrency: int, queue: int, retry_after: int) -> None:
        self.concurrency, self.limit, self.retry_after = concurrency, concurrency + queue, retry_after
        self.admitted = 0
        self._sem: asyncio.Semaphore | None = None

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._sem is None:  # made in the event loop that uses it
            self._sem = asyncio.Semaphore(self.concurrency)
        return self._sem

    def full(self) -> bool:
        return self.admitted >= self.limit

    def busy(self) -> ApiError:
        return ApiError(
            429,
            ErrorCode.RATE_LIMITED,
            "The server is busy with other logins; try again shortly.",
            headers={"Retry-After": str(self.retry_after)},
        )

    @contextmanager
    def admit(self) -> Iterator[None]:
        if self.full():
            raise self.busy()
        self.admitted += 1
        try:
            yield
        finally:
            self.admitted -= 1


def gate_for(settings: Settings) -> HashGate:
    return HashGate(settings.hash_concurrency, settings.hash_queue, settings.busy_retry_after)


@dataclass
class Slot:
    """What a reservation found: the user row (None for an unknown name) and the budgets it took a slot in."""

    row: Any
    budgets: list[tuple[str, int]]  # (key, free attempts)
    trusted: bool
    attempts: int


def _retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def _delay(settings: Settings, attempts: int, free: int, base: float) -> float:
    """How long a budget waits after its ``attempts``-th attempt: nothing before the last free one."""
    if attempts < free:
        return 0.0
    return min(float(settings.lock_seconds), base * 2.0 ** min(attempts - free, 40))


def _ensure_rows(tx: Tx, keys: list[str], now: float) -> None:
    rows = [{"key": k, "attempts": 0, "next_at": 0.0, "expires_at": now} for k in keys]
    ins = (pg_insert if tx.db.is_postgres else sqlite_insert)(login_budgets)
    tx.conn.execute(ins.on_conflict_do_nothing(index_elements=["key"]), rows)


def _trusted_key(
    conn: Connection, settings: Settings, row: Any, key: str, device_id: str, address: str | None, now: float
) -> str | None:
    """The budget of the user's own device or address, when the login comes from one. A device logged
    out (or revoked) keeps it: trust gives a budget of its own, never a session."""
    since = now - settings.trust_seconds
    dev = conn.execute(
        select(devices.c.id).where(
            devices.c.user_id == row.id, devices.c.device_id == device_id, devices.c.last_login_at >= since
        )
    ).first()
    if dev is not None:
        return _key("d", key, device_id)
    if (
        address
        and conn.execute(
            select(login_sources.c.user_id).where(
                login_sources.c.user_id == row.id, login_sources.c.address == address, login_sources.c.last_at >= since
            )
        ).first()
        is not None
    ):
        return _key("s", key, address)
    return None


def _reserve(tx: Tx, settings: Settings, username: str, device_id: str, address: str | None) -> Slot:
    """Take one attempt in each budget of this login, or raise the refusal; nothing is verified yet."""
    now = time.time()
    key = _name_key(username)
    row = tx.conn.execute(select(users).where(users.c.name == username)).first()
    trusted = _trusted_key(tx.conn, settings, row, key, device_id, address, now) if row is not None else None
    # (key, free attempts, first delay, refusal)
    if trusted:
        budgets = [(trusted, settings.max_failures, settings.lock_base, "name")]
    else:
        budgets = [(_key("n", key), settings.max_failures, settings.lock_base, "name")]
        if address:
            budgets.append((_key("a", address), settings.address_max_failures, settings.address_lock_base, "address"))
    keys = sorted(b[0] for b in budgets)  # always locked in the same order
    _ensure_rows(tx, keys, now)
    q = select(login_budgets).where(login_budgets.c.key.in_(keys)).order_by(login_budgets.c.key)
    if tx.db.is_postgres:
        q = q.with_for_update()
    rows = {r.key: r for r in tx.conn.execute(q).all()}
    now = time.time()  # after the rows are ours: another process may have held them a while
    # the address first: an address past its budget is refused whatever the name
    for k, _free, _base, kind in sorted(budgets, key=lambda b: b[3] != "address"):
        r = rows[k]
        if r.expires_at > now and r.next_at > now:
            raise _refusal(kind, r.next_at - now)
    attempts = 0
    for k, free, base, kind in budgets:
        r = rows[k]
        fresh = r.expires_at <= now
        n = (0 if fresh else r.attempts) + 1
        delay = _delay(settings, n, free, base)
        next_at = now + delay if delay else (0.0 if fresh else r.next_at)  # never later than now without a delay
        tx.conn.execute(
            update(login_budgets)
            .where(login_budgets.c.key == k)
            .values(attempts=n, next_at=next_at, expires_at=max(now, next_at) + settings.failure_window)
        )
        if kind == "name":
            attempts = n
    return Slot(row, [(b[0], b[1]) for b in budgets], trusted is not None, attempts)


def _refusal(kind: str, wait: float) -> ApiError:
    headers = {"Retry-After": _retry_after(wait)}
    if kind == "address":
        return ApiError(
            429, ErrorCode.RATE_LIMITED, "Too many failed logins from this address; try again later.", headers=headers
        )
    return ApiError(423, ErrorCode.LOCKED, "Too many failed logins; try again later.", headers=headers)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher(Settings()).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check(row: Any, password: str) -> bool:
    """The password check (in a worker thread): against the dummy hash for an unknown name."""
    return _verify(row.password_hash if row is not None else _dummy_hash(), password)


def _grant(
    tx: Tx, settings: Settings, slot: Slot, password: str, device_id: str, device_name: str, address: str | None
) -> dict[str, Any]:
    """A verified login: its slots are given back (its own device's budget starts again), the device
    and address are remembered, the tokens issued."""
    now = time.time()
    user, stored_hash = user_from_row(slot.row), slot.row.password_hash
    if slot.trusted:
        tx.conn.execute(delete(login_budgets).where(login_budgets.c.key.in_([k for k, _ in slot.budgets])))
    else:
        _give_back(tx, slot)
    dev = tx.conn.execute(select(devices.c.id, devices.c.user_id).where(devices.c.device_id == device_id)).first()
    if dev is not None and dev.user_id != user.id:
        # a device id belongs to the account that first signed in with it: its audit trail is
        # that account's (server/audit.py); an archive is bound to one account anyway
        raise ApiError(
            409,
            ErrorCode.CONFLICT,
            "This device id is registered to another account; sign in from a profile created for this account.",
        )
    if dev is None:
        pk = tx.conn.execute(
            insert(devices).values(
                user_id=user.id, device_id=device_id, device_name=device_name, created_at=now, last_login_at=now
            )
        ).inserted_primary_key[0]  # type: ignore[index]  # set after every single-row INSERT
    else:
        pk = dev.id
        tx.conn.execute(
            update(devices)
            .where(devices.c.id == pk)
            .values(revoked_at=None, device_name=device_name, last_login_at=now)
        )
    if address:
        ins = (pg_insert if tx.db.is_postgres else sqlite_insert)(login_sources).values(
            user_id=user.id, address=address, last_at=now
        )
        tx.conn.execute(ins.on_conflict_do_update(index_elements=["user_id", "address"], set_={"last_at": now}))
    if hasher(settings).check_needs_rehash(stored_hash):
        tx.conn.execute(
            update(users).where(users.c.id == user.id).values(password_hash=hasher(settings).hash(password))
        )
    return _token_answer(tx.conn, settings, user, int(pk))


def _give_back(tx: Tx, slot: Slot) -> None:
    """An attempt that was not a failure (a success, or one never verified) leaves its budgets as before;
    a budget back under its free attempts has no delay."""
    now = time.time()
    for key, free in slot.budgets:
        q = select(login_budgets).where(login_budgets.c.key == key)
        row = tx.conn.execute(q.with_for_update() if tx.db.is_postgres else q).first()
        if row is None or row.attempts <= 0:
            continue
        n = row.attempts - 1
        values: dict[str, Any] = {"attempts": n}
        if n < free:
            values["next_at"] = min(row.next_at, now)
        tx.conn.execute(update(login_budgets).where(login_budgets.c.key == key).values(**values))


def client_address(host: str | None) -> str | None:
    """The client's address as the server sees it (uvicorn applies X-Forwarded-For from trusted proxies)."""
    return host[:64] if host else None


async def _verified(
    db: Database, settings: Settings, gate: HashGate, username: str, password: str, device_id: str, address: str | None
) -> Slot:
    """The slot of a sign-in whose password is right, or the refusal; each failure (a wrong password, or a
    budget in its delay) is counted for the alerts (server/alerts.py)."""
    try:
        slot = await run_in_threadpool(db.write, lambda tx: _reserve(tx, settings, username, device_id, address))
    except ApiError:
        await run_in_threadpool(_count_failure, db, settings, username, address)
        raise
    if gate.full():  # too many checks waiting: this attempt is not verified, so it takes nothing
        await run_in_threadpool(db.write, lambda tx: _give_back(tx, slot))
        raise gate.busy()
    with gate.admit():
        async with gate.semaphore:
            verified = await run_in_threadpool(_check, slot.row, password)
    if not verified or slot.row is None or slot.row.disabled:
        await run_in_threadpool(_count_failure, db, settings, username, address)
        await asyncio.sleep(min(settings.failure_delay * max(slot.attempts - 1, 0), settings.failure_delay_cap))
        raise ApiError(401, ErrorCode.UNAUTHORIZED, WRONG)
    return slot


def _count_failure(db: Database, settings: Settings, username: str, address: str | None) -> None:
    alert_count.count(db, settings, alert_count.USER_FAILURES, _name_key(username))
    alert_count.count(db, settings, alert_count.ADDRESS_FAILURES, address)


def expired(settings: Settings, row: Any, now: float | None = None) -> bool:
    """Whether the account's password is older than ``password_days`` (0: passwords never expire)."""
    changed = getattr(row, "password_changed_at", None)
    if not settings.password_days or changed is None:
        return False
    return bool((time.time() if now is None else now) - changed > settings.password_days * 86400)


async def login(
    db: Database,
    settings: Settings,
    gate: HashGate,
    username: str,
    password: str,
    device_id: str,
    device_name: str,
    address: str | None,
) -> dict[str, Any]:
    slot = await _verified(db, settings, gate, username, password, device_id, address)
    if expired(settings, slot.row):  # right password, too old: no session until it is changed
        await run_in_threadpool(db.write, lambda tx: _give_back(tx, slot))
        raise ApiError(
            403,
            ErrorCode.PASSWORD_EXPIRED,
            f"Your password is older than {settings.password_days} days: choose a new one to sign in.",
        )
    return await run_in_threadpool(
        db.write, lambda tx: _grant(tx, settings, slot, password, device_id, device_name, address)
    )


async def change_password(
    db: Database,
    settings: Settings,
    gate: HashGate,
    username: str,
    old: str,
    new: str,
    device: tuple[str, str],
    address: str | None,
) -> dict[str, Any]:
    """A user's own change (also of an expired password): the old one checked like a sign-in, the new one
    neither the old one nor one of the last ``password_history``; then signed in on this device, every other
    session ended (server.accounts.set_password)."""
    try:
        check_password_strength(new)
    except AccountError as exc:
        raise ApiError(422, ErrorCode.VALIDATION, f"The new password is refused: {exc}.") from None
    slot = await _verified(db, settings, gate, username, old, device[0], address)
    if await run_in_threadpool(used_before, db, settings, slot.row, new):
        await run_in_threadpool(db.write, lambda tx: _give_back(tx, slot))
        raise ApiError(
            422,
            ErrorCode.VALIDATION,
            f"The new password must differ from your last {settings.password_history + 1} passwords.",
            fields=[{"field": "new_password", "code": "password.reused", "message": "used before"}],
        )

    def go(tx: Tx) -> dict[str, Any]:
        set_password(tx, settings, slot.row.name, new)
        row = tx.conn.execute(select(users).where(users.c.id == slot.row.id)).one()
        return _grant(tx, settings, Slot(row, slot.budgets, slot.trusted, slot.attempts), new, *device, address)

    return await run_in_threadpool(db.write, go)


def used_before(db: Database, settings: Settings, row: Any, password: str) -> bool:
    """Whether ``password`` is the account's current one or one of its last ``password_history``."""
    with db.read() as conn:
        q = select(password_history.c.password_hash).where(password_history.c.user_id == row.id)
        old = conn.execute(q.order_by(password_history.c.id.desc()).limit(settings.password_history)).scalars()
        hashes = [row.password_hash, *old]
    return any(bool(_verify(h, password)) for h in hashes)


def purge_logins(db: Database, settings: Settings) -> int:
    """Forget the budgets whose window passed and the login sources older than ``trust_seconds``."""
    now = time.time()

    def go(tx: Tx) -> int:
        n = tx.conn.execute(delete(login_budgets).where(login_budgets.c.expires_at < now)).rowcount
        tx.conn.execute(delete(login_sources).where(login_sources.c.last_at < now - settings.trust_seconds))
        return int(n or 0)

    gone = db.write(go)
    alert_count.purge(db, settings, now)
    return gone


def _token_answer(conn: Connection, settings: Settings, user: User, device_pk: int) -> dict[str, Any]:
    access, refresh = issue_tokens(conn, settings, device_pk)
    return {
        "access_token": access,
        "access_expires_in": settings.access_seconds,
        "refresh_token": refresh,
        "user": user.to_wire(supervisor_name(conn, user)),
        "server_time": iso(time.time()),
    }


def refresh(db: Database, settings: Settings, token: str, device_id: str) -> dict[str, Any]:
    """Rotate: the presented refresh token is spent; a spent one presented again revokes the device."""
    expired = ApiError(401, ErrorCode.UNAUTHORIZED, "The refresh token is expired or revoked; log in again.")

    def rotate(tx: Tx) -> dict[str, Any] | None:
        row = tx.conn.execute(
            select(refresh_tokens, devices.c.device_id, devices.c.revoked_at, devices.c.user_id)
            .join(devices, devices.c.id == refresh_tokens.c.device_pk)
            .where(refresh_tokens.c.token_hash == token_hash(token))
        ).first()
        if row is None or row.device_id != device_id or row.revoked_at is not None:
            return None
        if row.used_at is not None:
            revoke_device_pk(tx.conn, row.device_pk)
            return {"reused": True}
        user = get_user_by_id(tx.conn, row.user_id)
        if user is None or user.disabled or row.expires_at < time.time():
            return None
        tx.conn.execute(
            update(refresh_tokens).where(refresh_tokens.c.token_hash == row.token_hash).values(used_at=time.time())
        )
        return _token_answer(tx.conn, settings, user, row.device_pk)

    answer = db.write(rotate)
    if answer is None or answer.get("reused"):
        raise expired
    return answer


def logout(db: Database, caller: Caller) -> None:
    db.write(lambda tx: revoke_device_pk(tx.conn, caller.device_pk))


def me(db: Database, caller: Caller) -> dict[str, Any]:
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.id == caller.user.id)).first()
        user = user_from_row(row)
        return user.to_wire(supervisor_name(conn, user))

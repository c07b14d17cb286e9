"""Login, refresh and logout; failed-login throttling kept in the database (shared by processes).

A failed login never says whether the user name exists: unknown names cost the same Argon2
verification and count towards the same lock. Each failure answers a little later than the last
(up to a cap), and after ``max_failures`` failures in ``failure_window`` the name is locked for
``lock_seconds`` (423), whatever password comes next.
"""
from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from app.models.wire import ErrorCode
from server.accounts import (Caller, User, get_user_by_id, hasher, issue_tokens, revoke_device_pk,
                             supervisor_name, token_hash, user_from_row)
from server.config import Settings, iso
from server.db import Database, Tx
from server.errors import ApiError
from server.schema import devices, login_failures, refresh_tokens, users

WRONG = "Wrong user name or password."


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both cases take as long."""
    return hasher(Settings()).hash("not a password of anyone")


def _name_key(name: str) -> str:
    return name.casefold()[:64]


def _locked(conn: Connection, key: str, now: float) -> bool:
    row = conn.execute(select(login_failures.c.locked_until).where(login_failures.c.name_key == key)).first()
    return bool(row and row.locked_until and row.locked_until > now)


def _record_failure(tx: Tx, settings: Settings, key: str) -> int:
    now = time.time()
    row = tx.conn.execute(select(login_failures).where(login_failures.c.name_key == key)).first()
    if row is None or now - row.first_at > settings.failure_window:
        tx.conn.execute(delete(login_failures).where(login_failures.c.name_key == key))
        tx.conn.execute(insert(login_failures).values(name_key=key, count=1, first_at=now, locked_until=None))
        return 1
    count = row.count + 1
    locked = now + settings.lock_seconds if count >= settings.max_failures else None
    tx.conn.execute(update(login_failures).where(login_failures.c.name_key == key)
                    .values(count=count, locked_until=locked))
    return count


def _locked_error(settings: Settings) -> ApiError:
    return ApiError(423, ErrorCode.LOCKED, "Too many failed logins; try again later.",
                    headers={"Retry-After": str(settings.lock_seconds)})


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher(Settings()).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def login(db: Database, settings: Settings, username: str, password: str, device_id: str,
          device_name: str) -> dict[str, Any]:
    """Tokens for ``device_id``, registered to this account at its first sign-in; a device id already
    registered to another account is refused (409 ``conflict``) after the password was checked."""
    key = _name_key(username)
    with db.read() as conn:
        if _locked(conn, key, time.time()):
            raise _locked_error(settings)
        row = conn.execute(select(users).where(users.c.name == username)).first()
    verified = _verify(row.password_hash if row else _dummy_hash(), password)
    if not verified or row is None or row.disabled:
        count = db.write(lambda tx: _record_failure(tx, settings, key))
        time.sleep(min(settings.failure_delay * (count - 1), settings.failure_delay_cap))
        raise ApiError(401, ErrorCode.UNAUTHORIZED, WRONG)
    user, stored_hash = user_from_row(row), row.password_hash

    def grant(tx: Tx) -> dict[str, Any]:
        if _locked(tx.conn, key, time.time()):
            raise _locked_error(settings)
        tx.conn.execute(delete(login_failures).where(login_failures.c.name_key == key))
        now = time.time()
        dev = tx.conn.execute(select(devices.c.id, devices.c.user_id).where(devices.c.device_id == device_id)).first()
        if dev is not None and dev.user_id != user.id:
            # a device id belongs to the account that first signed in with it: its audit trail is
            # that account's (server/audit.py); an archive is bound to one account anyway
            raise ApiError(409, ErrorCode.CONFLICT, "This device id is registered to another account; "
                                                    "sign in from a profile created for this account.")
        if dev is None:
            pk = tx.conn.execute(insert(devices).values(user_id=user.id, device_id=device_id, device_name=device_name,
                                                        created_at=now, last_login_at=now)).inserted_primary_key[0]
        else:
            pk = dev.id
            tx.conn.execute(update(devices).where(devices.c.id == pk).values(
                revoked_at=None, device_name=device_name, last_login_at=now))
        if hasher(settings).check_needs_rehash(stored_hash):
            tx.conn.execute(update(users).where(users.c.id == user.id)
                            .values(password_hash=hasher(settings).hash(password)))
        return _token_answer(tx.conn, settings, user, int(pk))

    return db.write(grant)


def _token_answer(conn: Connection, settings: Settings, user: User, device_pk: int) -> dict[str, Any]:
    access, refresh = issue_tokens(conn, settings, device_pk)
    return {"access_token": access, "access_expires_in": settings.access_seconds, "refresh_token": refresh,
            "user": user.to_wire(supervisor_name(conn, user)), "server_time": iso(time.time())}


def refresh(db: Database, settings: Settings, token: str, device_id: str) -> dict[str, Any]:
    """Rotate: the presented refresh token is spent; a spent one presented again revokes the device."""
    expired = ApiError(401, ErrorCode.UNAUTHORIZED, "The refresh token is expired or revoked; log in again.")

    def rotate(tx: Tx) -> dict[str, Any] | None:
        row = tx.conn.execute(
            select(refresh_tokens, devices.c.device_id, devices.c.revoked_at, devices.c.user_id)
            .join(devices, devices.c.id == refresh_tokens.c.device_pk)
            .where(refresh_tokens.c.token_hash == token_hash(token))).first()
        if row is None or row.device_id != device_id or row.revoked_at is not None:
            return None
        if row.used_at is not None:
            revoke_device_pk(tx.conn, row.device_pk)
            return {"reused": True}
        user = get_user_by_id(tx.conn, row.user_id)
        if user is None or user.disabled or row.expires_at < time.time():
            return None
        tx.conn.execute(update(refresh_tokens).where(refresh_tokens.c.token_hash == row.token_hash)
                        .values(used_at=time.time()))
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
        user, stored_hash = user_from_row(row), row.password_hash
        return user.to_wire(supervisor_name(conn, user))

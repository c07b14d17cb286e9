"""Users, devices and tokens: Argon2id passwords, short access tokens, rotating refresh tokens.

Tokens are random (``secrets.token_urlsafe``) and only their SHA-256 is stored. Every request
looks the access token up together with its device and user, so a revoked device or a disabled
user is refused at once. A refresh token is good for one use; presenting a used one means someone
else has a copy, and the whole device is revoked.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from sqlalchemy import Float, String, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from app.models.wire import ErrorCode, UserRole
from server.config import Settings
from server.db import Database, Tx
from server.errors import ApiError
from server.schema import access_tokens, devices, refresh_tokens, users
from server.schema_guard import covers, password_history

if TYPE_CHECKING:
    from server.integrations import Machine

NAME_RE = re.compile(r"[^\s/\\]{1,64}")
ROLES = tuple(r.value for r in UserRole)


class AccountError(Exception):
    """A refused account operation (admin command line); the message is one English line."""


class NoSuchUser(AccountError):
    """The user named does not exist (the admin API answers 404)."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    display_name: str
    role: str
    supervisor_id: int | None
    disabled: bool
    # only for an integration (role "integration", server/integrations.py): the supervisors whose teams'
    # customers it reaches; None: the whole deployment
    teams: tuple[int, ...] | None = None
    # the users whose customers this one covers now (an AB post, server/covers.py): set per request by
    # :func:`authenticate`, from the covers in force at that moment
    covering: tuple[int, ...] = ()

    def to_wire(self, supervisor_name: str | None) -> dict[str, Any]:
        return {"name": self.name, "display_name": self.display_name, "role": self.role, "supervisor": supervisor_name}


@dataclass(frozen=True)
class Caller:
    """Who makes a request: a person on a device, or an integration (``machine`` set, ``device_pk`` 0,
    ``user`` a stand-in with the role ``integration`` and its territory)."""

    user: User
    device_pk: int
    machine: Machine | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(settings.hash_time_cost, settings.hash_memory_kib)


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def user_from_row(row: Any) -> User:
    return User(row.id, row.name, row.display_name, row.role, row.supervisor_id, bool(row.disabled))


def get_user(conn: Connection, name: str) -> User | None:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    return user_from_row(row) if row else None


def get_user_by_id(conn: Connection, uid: int) -> User | None:
    row = conn.execute(select(users).where(users.c.id == uid)).first()
    return user_from_row(row) if row else None


def require_user(conn: Connection, name: str) -> User:
    user = get_user(conn, name)
    if user is None:
        raise NoSuchUser(f"there is no user {name!r}")
    return user


def check_password_strength(password: str) -> None:
    if len(password) < 8:
        raise AccountError("the password must have at least 8 characters")
    if len(password) > 1024:
        raise AccountError("the password is too long")


def add_user(
    tx: Tx,
    settings: Settings,
    name: str,
    role: str,
    password: str,
    *,
    display_name: str | None = None,
    supervisor: str | None = None,
) -> User:
    """Create a user; a collector may name the supervisor whose team they join."""
    if not NAME_RE.fullmatch(name):
        raise AccountError("a user name has 1 to 64 characters, without spaces or slashes")
    if name.casefold() == "system":
        raise AccountError("the name 'system' is reserved for the changes the server makes itself")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    check_password_strength(password)
    if get_user(tx.conn, name) is not None:
        raise AccountError(f"the user {name!r} already exists")
    if supervisor and role == UserRole.VIEWER.value:
        raise AccountError("a viewer joins no team: place them in the territory tree instead")
    sup_id = team_supervisor(tx.conn, supervisor).id if supervisor else None
    uid = tx.conn.execute(
        insert(users).values(
            name=name,
            display_name=display_name or name,
            role=role,
            supervisor_id=sup_id,
            password_hash=hasher(settings).hash(password),
            disabled=False,
            created_at=time.time(),
            password_changed_at=time.time(),
        )
    ).inserted_primary_key[0]  # type: ignore[index]  # set after every single-row INSERT
    user = get_user_by_id(tx.conn, int(uid))
    assert user is not None
    return user


def team_supervisor(conn: Connection, name: str) -> User:
    sup = require_user(conn, name)
    if sup.role != UserRole.SUPERVISOR.value:
        raise AccountError(f"{name!r} is not a supervisor")
    return sup


def set_password(tx: Tx, settings: Settings, name: str, password: str) -> None:
    """A new password also logs the user out everywhere (every device's tokens are revoked)."""
    user = require_user(tx.conn, name)
    check_password_strength(password)
    now = time.time()
    old = tx.conn.execute(select(users.c.password_hash).where(users.c.id == user.id)).scalar_one()
    tx.conn.execute(insert(password_history).values(user_id=user.id, password_hash=old, changed_at=now))
    keep = select(password_history.c.id).where(password_history.c.user_id == user.id)
    keep = keep.order_by(password_history.c.id.desc()).limit(max(settings.password_history, 1))
    tx.conn.execute(
        delete(password_history).where(
            password_history.c.user_id == user.id, password_history.c.id.not_in(keep.scalar_subquery())
        )
    )
    tx.conn.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(password_hash=hasher(settings).hash(password), password_changed_at=now)
    )
    for row in tx.conn.execute(select(devices.c.id).where(devices.c.user_id == user.id)).all():
        revoke_device_pk(tx.conn, row.id)


def set_disabled(tx: Tx, name: str, disabled: bool = True) -> None:
    """Disabling also ends every session of the user (each device's tokens are revoked), so that
    enabling the user again does not bring back a token of before: they log in with the password."""
    user = require_user(tx.conn, name)
    tx.conn.execute(update(users).where(users.c.id == user.id).values(disabled=disabled))
    if disabled:
        for row in tx.conn.execute(select(devices.c.id).where(devices.c.user_id == user.id)).all():
            revoke_device_pk(tx.conn, row.id)


def revoke_device_pk(conn: Connection, device_pk: int) -> None:
    now = time.time()
    conn.execute(
        update(devices).where(devices.c.id == device_pk, devices.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    conn.execute(delete(access_tokens).where(access_tokens.c.device_pk == device_pk))
    conn.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.device_pk == device_pk, refresh_tokens.c.used_at.is_(None))
        .values(used_at=now)
    )


def issue_tokens(conn: Connection, settings: Settings, device_pk: int) -> tuple[str, str]:
    """A new access token and refresh token for a device; expired ones of that device go."""
    now = time.time()
    conn.execute(delete(access_tokens).where(access_tokens.c.device_pk == device_pk, access_tokens.c.expires_at < now))
    conn.execute(
        delete(refresh_tokens).where(refresh_tokens.c.device_pk == device_pk, refresh_tokens.c.expires_at < now)
    )
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(
        insert(access_tokens).values(
            token_hash=token_hash(access), device_pk=device_pk, expires_at=now + settings.access_seconds
        )
    )
    conn.execute(
        insert(refresh_tokens).values(
            token_hash=token_hash(refresh), device_pk=device_pk, expires_at=now + settings.refresh_seconds, used_at=None
        )
    )
    return access, refresh


def _in_force(now: Any) -> ColumnElement[bool]:
    """An AB post in force at ``now`` (a value or a bound parameter): started, not ended."""
    c = covers.c
    return and_(or_(c.starts_at <= now, c.start_recorded.is_not(None)), c.ends_at > now)


#: A request's sign-in check in one statement, built once: the token's device and user, and a row per AB
#: post the user holds now (``covered_by``), none but the first when there is no post.
_CALLER = (
    select(
        access_tokens.c.expires_at,
        devices.c.id.label("device_pk"),
        devices.c.revoked_at,
        users,
        covers.c.absent_id.label("covers_absent_id"),
    )
    .join(devices, devices.c.id == access_tokens.c.device_pk)
    .join(users, users.c.id == devices.c.user_id)
    .outerjoin(covers, and_(covers.c.cover_id == users.c.id, _in_force(bindparam("now", type_=Float))))
    .where(access_tokens.c.token_hash == bindparam("token_hash", type_=String))
)


def authenticate(db: Database, token: str | None) -> Caller:
    """The caller of a request, checked against its device and user on every call."""
    if not token:
        raise ApiError(401, ErrorCode.UNAUTHORIZED, "Log in first: the request has no access token.")
    now = time.time()
    with db.read() as conn:
        rows = conn.execute(_CALLER, {"token_hash": token_hash(token), "now": now}).all()
    row = rows[0] if rows else None
    if row is None or row.expires_at < now or row.revoked_at is not None or row.disabled:
        raise ApiError(401, ErrorCode.UNAUTHORIZED, "The access token is expired or revoked; log in again.")
    covering = tuple(sorted({r.covers_absent_id for r in rows if r.covers_absent_id is not None}))
    return Caller(replace(user_from_row(row), covering=covering), int(row.device_pk))


def covered_by(conn: Connection, uid: int, now: float) -> tuple[int, ...]:
    """The users whose customers ``uid`` covers at ``now`` (AB posts in force: started, not ended)."""
    q = select(covers.c.absent_id).where(covers.c.cover_id == uid, _in_force(now))
    return tuple(sorted(set(conn.execute(q).scalars())))


def supervisor_name(conn: Connection, user: User) -> str | None:
    if user.supervisor_id is None:
        return None
    sup = get_user_by_id(conn, user.supervisor_id)
    return sup.name if sup else None


def list_devices(conn: Connection, name: str | None = None) -> list[dict[str, Any]]:
    q = select(devices, users.c.name.label("user_name")).join(users, users.c.id == devices.c.user_id)
    if name:
        q = q.where(users.c.name == name)
    return [
        {
            "user": r.user_name,
            "device_id": r.device_id,
            "device_name": r.device_name,
            "last_login_at": r.last_login_at,
            "revoked": r.revoked_at is not None,
        }
        for r in conn.execute(q.order_by(users.c.name, devices.c.device_id)).all()
    ]


def revoke_device(tx: Tx, name: str, device_id: str) -> None:
    user = require_user(tx.conn, name)
    row = tx.conn.execute(
        select(devices.c.id).where(devices.c.user_id == user.id, devices.c.device_id == device_id)
    ).first()
    if row is None:
        raise AccountError(f"the user {name!r} has no device {device_id!r}")
    revoke_device_pk(tx.conn, row.id)

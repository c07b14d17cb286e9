"""The server's answers decoded once, into the frozen values of app.models.remote.

``SyncClient`` calls one ``*_answer`` function per endpoint on the JSON it received; nothing past
app.sync sees the server's dicts. An answer this client cannot read (a key missing, a value of
the wrong type, a status or change kind it does not know) is ``SyncError(PROTOCOL)`` naming
where it went wrong, never a KeyError or TypeError further on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.errors import SyncError, SyncErrorKind
from app.i18n import N_
from app.models.record import CustomerStatus
from app.models.remote import (
    FeedChange,
    FeedPage,
    FieldConflict,
    FieldError,
    PhotoProgress,
    PushResult,
    RemoteRecord,
    RemoteUser,
    SignIn,
)
from app.models.wire import ChangeKind, ResultStatus, UserRole

T = TypeVar("T")


class _Bad(Exception):
    """Where an answer does not have the protocol's shape (a path such as ``results[3].record.values``)."""


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(where)
    return value


def _req(d: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = d.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Bad(f"{where}.{key}")
    return value


def _opt(d: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = d.get(key)
    if value is not None and not isinstance(value, kind):
        raise _Bad(f"{where}.{key}")
    return value


def _list(d: dict[str, Any], key: str, where: str) -> list[Any]:
    value = d.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad(f"{where}.{key}")
    return value


def _enum(cls: Callable[[Any], T], value: Any, where: str) -> T:
    try:
        return cls(value)
    except ValueError:
        raise _Bad(where) from None


def decode(fn: Callable[[Any, str], T], data: Any, what: str) -> T:
    """``fn(data)``; an answer of the wrong shape becomes SyncError(PROTOCOL)."""
    try:
        return fn(data, what)
    except _Bad as bad:
        raise SyncError(
            SyncErrorKind.PROTOCOL,
            N_("The server's answer cannot be read ({where}); this version of FieldArchive may not match the server."),
            where=str(bad),
        ) from None


# ---- pieces ------------------------------------------------------------------------------------
def record(d: Any, where: str) -> RemoteRecord:
    d = _obj(d, where)
    return RemoteRecord(
        id=_req(d, "id", str, where),
        version=_req(d, "version", int, where),
        status=_enum(CustomerStatus, d.get("status"), f"{where}.status").value,
        values=_obj(d.get("values") if d.get("values") is not None else {}, f"{where}.values"),
        code=_opt(d, "code", str, where),
        code_official=bool(d.get("code_official")),
        approved_values=_opt(d, "approved_values", dict, where) or None,
        review=_opt(d, "review", dict, where) or None,
        owner=_opt(d, "owner", str, where),
        deleted=bool(d.get("deleted")),
        created_by=_opt(d, "created_by", str, where),
        updated_by=_opt(d, "updated_by", str, where),
        people=_people(_opt(d, "people", dict, where)),
        provisional_code=_opt(d, "provisional_code", str, where),
        wire=d,
    )


def _people(d: dict[str, Any] | None) -> dict[str, str]:
    """Login name -> display name (added to ``Record`` later: absent from older servers' answers);
    an entry that is not two strings is left out, it only names someone."""
    return {k: v for k, v in (d or {}).items() if isinstance(k, str) and isinstance(v, str) and v}


def user(d: Any, where: str) -> RemoteUser:
    d = _obj(d, where)
    return RemoteUser(
        name=_req(d, "name", str, where),
        display_name=_opt(d, "display_name", str, where) or "",
        role=_enum(UserRole, d.get("role"), f"{where}.role"),
        supervisor=_opt(d, "supervisor", str, where),
    )


def _conflict(d: Any, where: str) -> FieldConflict:
    d = _obj(d, where)
    return FieldConflict(_req(d, "field", str, where), d.get("base"), d.get("mine"), d.get("server"))


def _error(d: Any, where: str) -> FieldError:
    d = _obj(d, where)
    return FieldError(
        _opt(d, "field", str, where),
        _req(d, "code", str, where),
        _opt(d, "message", str, where) or "",
        _opt(d, "params", dict, where),
    )


def _result(d: Any, where: str) -> PushResult:
    d = _obj(d, where)
    rec = d.get("record")
    return PushResult(
        mutation_id=_req(d, "mutation_id", str, where),
        status=_enum(ResultStatus, d.get("status"), f"{where}.status"),
        record=None if rec is None else record(rec, f"{where}.record"),
        conflicts=tuple(_conflict(c, f"{where}.conflicts[{i}]") for i, c in enumerate(_list(d, "conflicts", where))),
        errors=tuple(_error(e, f"{where}.errors[{i}]") for i, e in enumerate(_list(d, "errors", where))),
    )


def _change(d: Any, where: str) -> FeedChange:
    d = _obj(d, where)
    rec = d.get("record")
    return FeedChange(
        seq=_opt(d, "seq", int, where) or 0,
        kind=_enum(ChangeKind, d.get("kind"), f"{where}.kind"),
        record=None if rec is None else record(rec, f"{where}.record"),
        record_id=_opt(d, "record_id", str, where),
        form=_opt(d, "form", dict, where),
    )


# ---- one per endpoint ----------------------------------------------------------------------------
def sign_in_answer(d: Any, where: str) -> SignIn:
    """``POST /auth/login`` and ``/auth/refresh``."""
    d = _obj(d, where)
    return SignIn(
        _req(d, "access_token", str, where), _req(d, "refresh_token", str, where), user(d.get("user"), f"{where}.user")
    )


def push_answer(d: Any, where: str) -> list[PushResult]:
    """``POST /sync/push``: the results, in the order the server sent them."""
    d = _obj(d, where)
    return [_result(r, f"{where}.results[{i}]") for i, r in enumerate(_list(d, "results", where))]


def pull_answer(d: Any, where: str) -> FeedPage:
    """``GET /sync/pull``: one page of the feed."""
    d = _obj(d, where)
    changes = tuple(_change(c, f"{where}.changes[{i}]") for i, c in enumerate(_list(d, "changes", where)))
    return FeedPage(changes, _req(d, "cursor", int, where), bool(d.get("more")))


def photo_answer(d: Any, where: str) -> PhotoProgress:
    """``GET /photos/{sha}/status`` and each chunk's ``PATCH``."""
    d = _obj(d, where)
    offset = _opt(d, "offset", int, where)
    return PhotoProgress(bool(d.get("complete")), offset or 0)


def audit_answer(d: Any, where: str) -> int | None:
    """``POST /audit``: the newest entry the server holds (None: it did not say)."""
    return _opt(_obj(d, where), "head", int, where) or None


def calendar_answer(d: Any, where: str) -> dict[str, Any]:
    """``GET /calendar``: the calendar as published (app.models.workdays reads it, and refuses what it
    cannot use before it is kept); here only its shape."""
    return _obj(d, where)

"""The checks that decode a server's answer (app.sync.protocol, app.sync.protocol_reports): each names
where an answer does not have the protocol's shape, and ``decode`` turns that into ``SyncError(PROTOCOL)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.errors import SyncError, SyncErrorKind
from app.i18n import N_

T = TypeVar("T")


class Bad(Exception):
    """Where an answer does not have the protocol's shape (a path such as ``results[3].record.values``)."""


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Bad(where)
    return value


def req(d: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = d.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Bad(f"{where}.{key}")
    return value


def opt(d: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = d.get(key)
    if value is not None and not isinstance(value, kind):
        raise Bad(f"{where}.{key}")
    return value


def listed(d: dict[str, Any], key: str, where: str) -> list[Any]:
    value = d.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Bad(f"{where}.{key}")
    return value


def enum_value(cls: Callable[[Any], T], value: Any, where: str) -> T:
    try:
        return cls(value)
    except ValueError:
        raise Bad(where) from None


def decode(fn: Callable[[Any, str], T], data: Any, what: str) -> T:
    """``fn(data)``; an answer of the wrong shape becomes SyncError(PROTOCOL)."""
    try:
        return fn(data, what)
    except Bad as bad:
        raise SyncError(
            SyncErrorKind.PROTOCOL,
            N_("The server's answer cannot be read ({where}); this version of FieldArchive may not match the server."),
            where=str(bad),
        ) from None


def strings(d: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = listed(d, key, where)
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise Bad(f"{where}.{key}[{i}]")
    return tuple(values)

"""The admin API's answers decoded once, into the frozen values of app.models.admin (the way
app.sync.protocol does it for the sync protocol): an answer of the wrong shape is SyncError(PROTOCOL)
naming where, never a KeyError further on."""

from __future__ import annotations

from typing import Any

from app.models.admin import (
    AdminDevice,
    AdminUser,
    AuditEntry,
    CalendarChange,
    ClassChange,
    ClassifyRun,
    Destroyed,
    DueRecord,
    Handover,
    LogEntry,
    Moved,
    OneTimeCode,
    PurchaseImport,
    Verification,
)
from app.models.wire import UserRole
from app.sync.protocol import _Bad, _enum, _list, _obj, _opt, _req

NUM = (int, float)


def _items(d: Any, where: str) -> list[Any]:
    if not isinstance(d, list):
        raise _Bad(where)
    return d


def _strs(d: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = _list(d, key, where)
    if not all(isinstance(v, str) for v in values):
        raise _Bad(f"{where}.{key}")
    return tuple(values)


def users(d: Any, where: str) -> list[AdminUser]:
    out = []
    for i, u in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        u = _obj(u, w)
        out.append(
            AdminUser(
                _req(u, "name", str, w),
                _opt(u, "display_name", str, w) or "",
                _enum(UserRole, u.get("role"), f"{w}.role"),
                _opt(u, "supervisor", str, w),
                bool(u.get("disabled")),
                float(_req(u, "created_at", NUM, w)),
                _opt(u, "customers", int, w) or 0,
                _opt(u, "devices", int, w) or 0,
            )
        )
    return out


def code(d: Any, where: str) -> OneTimeCode:
    d = _obj(d, where)
    expires = _opt(d, "code_expires_at", NUM, where)
    return OneTimeCode(_req(d, "name", str, where), _opt(d, "code", str, where), float(expires) if expires else None)


def changed(d: Any, where: str) -> int:
    return int(_req(_obj(d, where), "customers", int, where))


def devices(d: Any, where: str) -> list[AdminDevice]:
    out = []
    for i, v in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        v = _obj(v, w)
        last = _opt(v, "last_login_at", NUM, w)
        out.append(
            AdminDevice(
                _req(v, "user", str, w),
                _req(v, "device_id", str, w),
                _opt(v, "device_name", str, w) or "",
                float(last) if last is not None else None,
                bool(v.get("revoked")),
            )
        )
    return out


def _moved(m: Any, w: str) -> Moved:
    m = _obj(m, w)
    return Moved(
        _req(m, "record_id", str, w),
        _opt(m, "code", str, w),
        _opt(m, "shop", str, w) or "",
        _opt(m, "old_owner", str, w),
    )


def handover(d: Any, where: str) -> Handover:
    d = _obj(d, where)
    moved = tuple(_moved(m, f"{where}.moved[{i}]") for i, m in enumerate(_list(d, "moved", where)))
    return Handover(
        _req(d, "to", str, where), _opt(d, "from_user", str, where), _opt(d, "note", str, where) or "", moved
    )


def log(d: Any, where: str) -> list[LogEntry]:
    out = []
    for i, e in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        e = _obj(e, w)
        out.append(
            LogEntry(
                float(_req(e, "at", NUM, w)),
                _req(e, "actor", str, w),
                _req(e, "via", str, w),
                _req(e, "action", str, w),
                _opt(e, "target", str, w) or "",
                _req(e, "outcome", str, w),
                _opt(e, "detail", dict, w) or {},
            )
        )
    return out


def calendar_change(d: Any, where: str) -> CalendarChange:
    d = _obj(d, where)
    years = _list(d, "years", where)
    if not all(isinstance(y, int) for y in years):
        raise _Bad(f"{where}.years")
    return CalendarChange(tuple(years), _req(d, "version", str, where))


def purchases(d: Any, where: str) -> PurchaseImport:
    d = _obj(d, where)
    return PurchaseImport(
        _req(d, "imported", int, where),
        _req(d, "replaced", int, where),
        _strs(d, "periods", where),
        _req(d, "figures_updated", int, where),
        bool(d.get("dry_run")),
    )


def _class_change(c: Any, w: str) -> ClassChange:
    c = _obj(c, w)
    score = _opt(c, "score", NUM, w)
    return ClassChange(
        _req(c, "record_id", str, w),
        _req(c, "code", str, w),
        _opt(c, "shop", str, w) or "",
        _opt(c, "retail_format", str, w) or "",
        float(score) if score is not None else None,
        _opt(c, "old_scale", str, w),
        _opt(c, "new_scale", str, w),
        _opt(c, "old_class", str, w),
        _opt(c, "new_class", str, w),
    )


def classify(d: Any, where: str) -> ClassifyRun:
    d = _obj(d, where)
    return ClassifyRun(
        _req(d, "period", str, where),
        bool(d.get("applied")),
        _req(d, "ranked", int, where),
        _req(d, "unchanged", int, where),
        _req(d, "no_figures", int, where),
        tuple(_class_change(c, f"{where}.changes[{i}]") for i, c in enumerate(_list(d, "changes", where))),
        _strs(d, "no_format", where),
        _strs(d, "no_code_letter", where),
        _strs(d, "formats_without_purchases", where),
    )


def audit(d: Any, where: str) -> list[AuditEntry]:
    out = []
    for i, e in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        e = _obj(e, w)
        out.append(
            AuditEntry(
                _req(e, "device", str, w),
                _req(e, "seq", int, w),
                _req(e, "at", str, w),
                _req(e, "actor", str, w),
                _req(e, "entity", str, w),
                _req(e, "entity_id", str, w),
                _req(e, "action", str, w),
                _opt(e, "field", str, w),
                _opt(e, "old", str, w),
                _opt(e, "new", str, w),
                _opt(e, "uploaded_by", str, w) or "",
            )
        )
    return out


def verification(d: Any, where: str) -> Verification:
    d = _obj(d, where)
    return Verification(bool(d.get("intact")), _strs(d, "problems", where))


def due(d: Any, where: str) -> list[DueRecord]:
    out = []
    for i, r in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        r = _obj(r, w)
        out.append(
            DueRecord(
                _req(r, "record_id", str, w),
                _opt(r, "code", str, w),
                _req(r, "class", str, w),
                _req(r, "since", str, w),
                int(_req(r, "retention_days", int, w)),
                _req(r, "due_since", str, w),
            )
        )
    return out


def destroyed(d: Any, where: str) -> list[Destroyed]:
    out = []
    for i, r in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        r = _obj(r, w)
        removed = _obj(r.get("removed") or {}, f"{w}.removed")
        out.append(
            Destroyed(
                _req(r, "record_id", str, w),
                _req(r, "class", str, w),
                {str(k): int(v) for k, v in removed.items() if isinstance(v, int)},
            )
        )
    return out

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
    CalendarDraft,
    ClassChange,
    ClassifyRun,
    Department,
    Destroyed,
    DraftDay,
    DueRecord,
    Handover,
    Incident,
    IncidentRow,
    IncidentStep,
    LogEntry,
    Moved,
    OneTimeCode,
    Place,
    PurchaseImport,
    Territories,
    TerritoryNode,
    Verification,
)
from app.models.wire import UserRole
from app.sync.decoding import Bad, enum_value, listed, obj, opt, req

NUM = (int, float)
LEVELS = ("province", "city", "county", "team")


def _items(d: Any, where: str) -> list[Any]:
    if not isinstance(d, list):
        raise Bad(where)
    return d


def _strs(d: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = listed(d, key, where)
    if not all(isinstance(v, str) for v in values):
        raise Bad(f"{where}.{key}")
    return tuple(values)


def users(d: Any, where: str) -> list[AdminUser]:
    out = []
    for i, u in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        u = obj(u, w)
        out.append(
            AdminUser(
                req(u, "name", str, w),
                opt(u, "display_name", str, w) or "",
                enum_value(UserRole, u.get("role"), f"{w}.role"),
                opt(u, "supervisor", str, w),
                bool(u.get("disabled")),
                float(req(u, "created_at", NUM, w)),
                opt(u, "customers", int, w) or 0,
                opt(u, "devices", int, w) or 0,
            )
        )
    return out


def code(d: Any, where: str) -> OneTimeCode:
    d = obj(d, where)
    expires = opt(d, "code_expires_at", NUM, where)
    return OneTimeCode(req(d, "name", str, where), opt(d, "code", str, where), float(expires) if expires else None)


def changed(d: Any, where: str) -> int:
    return int(req(obj(d, where), "customers", int, where))


def devices(d: Any, where: str) -> list[AdminDevice]:
    out = []
    for i, v in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        v = obj(v, w)
        last = opt(v, "last_login_at", NUM, w)
        out.append(
            AdminDevice(
                req(v, "user", str, w),
                req(v, "device_id", str, w),
                opt(v, "device_name", str, w) or "",
                float(last) if last is not None else None,
                bool(v.get("revoked")),
            )
        )
    return out


def _moved(m: Any, w: str) -> Moved:
    m = obj(m, w)
    return Moved(
        req(m, "record_id", str, w),
        opt(m, "code", str, w),
        opt(m, "shop", str, w) or "",
        opt(m, "old_owner", str, w),
    )


def handover(d: Any, where: str) -> Handover:
    d = obj(d, where)
    moved = tuple(_moved(m, f"{where}.moved[{i}]") for i, m in enumerate(listed(d, "moved", where)))
    return Handover(req(d, "to", str, where), opt(d, "from_user", str, where), opt(d, "note", str, where) or "", moved)


def log(d: Any, where: str) -> list[LogEntry]:
    out = []
    for i, e in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        e = obj(e, w)
        out.append(
            LogEntry(
                float(req(e, "at", NUM, w)),
                req(e, "actor", str, w),
                req(e, "via", str, w),
                req(e, "action", str, w),
                opt(e, "target", str, w) or "",
                req(e, "outcome", str, w),
                opt(e, "detail", dict, w) or {},
            )
        )
    return out


def calendar_change(d: Any, where: str) -> CalendarChange:
    d = obj(d, where)
    years = listed(d, "years", where)
    if not all(isinstance(y, int) for y in years):
        raise Bad(f"{where}.years")
    return CalendarChange(
        tuple(years),
        req(d, "version", str, where),
        opt(d, "draft_changes", int, where),
        opt(d, "changed_days", int, where),
    )


def calendar_draft(d: Any, where: str) -> CalendarDraft:
    d = obj(d, where)
    years = listed(d, "years", where)
    if not all(isinstance(y, int) for y in years):
        raise Bad(f"{where}.years")
    changes = []
    for i, c in enumerate(listed(d, "changes", where)):
        w = f"{where}.changes[{i}]"
        c = obj(c, w)
        changes.append(DraftDay(req(c, "day", str, w), req(c, "published", str, w), req(c, "draft", str, w)))
    return CalendarDraft(tuple(years), tuple(changes), req(d, "published_version", str, where))


def purchases(d: Any, where: str) -> PurchaseImport:
    d = obj(d, where)
    return PurchaseImport(
        req(d, "imported", int, where),
        req(d, "replaced", int, where),
        _strs(d, "periods", where),
        req(d, "figures_updated", int, where),
        bool(d.get("dry_run")),
    )


def _class_change(c: Any, w: str) -> ClassChange:
    c = obj(c, w)
    score = opt(c, "score", NUM, w)
    return ClassChange(
        req(c, "record_id", str, w),
        req(c, "code", str, w),
        opt(c, "shop", str, w) or "",
        opt(c, "retail_format", str, w) or "",
        float(score) if score is not None else None,
        opt(c, "old_scale", str, w),
        opt(c, "new_scale", str, w),
        opt(c, "old_class", str, w),
        opt(c, "new_class", str, w),
    )


def classify(d: Any, where: str) -> ClassifyRun:
    d = obj(d, where)
    return ClassifyRun(
        req(d, "period", str, where),
        bool(d.get("applied")),
        req(d, "ranked", int, where),
        req(d, "unchanged", int, where),
        req(d, "no_figures", int, where),
        tuple(_class_change(c, f"{where}.changes[{i}]") for i, c in enumerate(listed(d, "changes", where))),
        _strs(d, "no_format", where),
        _strs(d, "no_code_letter", where),
        _strs(d, "formats_without_purchases", where),
        opt(d, "changed", int, where) or 0,
    )


def audit(d: Any, where: str) -> list[AuditEntry]:
    out = []
    for i, e in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        e = obj(e, w)
        out.append(
            AuditEntry(
                req(e, "device", str, w),
                req(e, "seq", int, w),
                req(e, "at", str, w),
                req(e, "actor", str, w),
                req(e, "entity", str, w),
                req(e, "entity_id", str, w),
                req(e, "action", str, w),
                opt(e, "field", str, w),
                opt(e, "old", str, w),
                opt(e, "new", str, w),
                opt(e, "uploaded_by", str, w) or "",
            )
        )
    return out


def verification(d: Any, where: str) -> Verification:
    d = obj(d, where)
    return Verification(bool(d.get("intact")), _strs(d, "problems", where))


def due(d: Any, where: str) -> list[DueRecord]:
    out = []
    for i, r in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        r = obj(r, w)
        out.append(
            DueRecord(
                req(r, "record_id", str, w),
                opt(r, "code", str, w),
                req(r, "class", str, w),
                req(r, "since", str, w),
                int(req(r, "retention_days", int, w)),
                req(r, "due_since", str, w),
            )
        )
    return out


def destroyed(d: Any, where: str) -> list[Destroyed]:
    out = []
    for i, r in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        r = obj(r, w)
        removed = obj(r.get("removed") or {}, f"{w}.removed")
        out.append(
            Destroyed(
                req(r, "record_id", str, w),
                req(r, "class", str, w),
                {str(k): int(v) for k, v in removed.items() if isinstance(v, int)},
                tuple(str(b) for b in listed(r, "kept_in_backups", w)),
            )
        )
    return out


def territories(d: Any, where: str) -> Territories:
    d = obj(d, where)
    nodes = []
    for i, n in enumerate(_items(d.get("nodes"), f"{where}.nodes")):
        w = f"{where}.nodes[{i}]"
        n = obj(n, w)
        level = req(n, "level", str, w)
        if level not in LEVELS:
            raise Bad(f"{w}.level")
        nodes.append(
            TerritoryNode(
                req(n, "id", int, w),
                opt(n, "parent", int, w),
                level,
                req(n, "name", str, w),
                opt(n, "supervisor", str, w),
                _strs(n, "users", w) if "users" in n else (),
            )
        )
    deps = []
    for i, x in enumerate(_items(d.get("departments"), f"{where}.departments")):
        w = f"{where}.departments[{i}]"
        x = obj(x, w)
        deps.append(
            Department(
                req(x, "code", str, w), req(x, "name", str, w), req(x, "users", int, w), req(x, "fields", int, w)
            )
        )
    places = []
    for i, p in enumerate(_items(d.get("places"), f"{where}.places")):
        w = f"{where}.places[{i}]"
        p = obj(p, w)
        manager = bool(opt(p, "manager", bool, w))
        places.append(Place(req(p, "user", str, w), opt(p, "territory", int, w), opt(p, "department", str, w), manager))
    return Territories(tuple(nodes), tuple(deps), tuple(places))


def node_id(d: Any, where: str) -> int:
    return int(req(obj(d, where), "id", int, where))


def incident_rows(d: Any, where: str) -> list[IncidentRow]:
    out = []
    for i, r in enumerate(_items(d, where)):
        w = f"{where}[{i}]"
        r = obj(r, w)
        out.append(
            IncidentRow(
                int(req(r, "id", int, w)),
                req(r, "kind", str, w),
                req(r, "occurred_on", str, w),
                req(r, "summary", str, w),
                int(req(r, "customers", int, w)),
                req(r, "state", str, w),
                opt(r, "remedy", str, w),
                opt(r, "notified", str, w),
            )
        )
    return out


def incident(d: Any, where: str) -> Incident:
    d = obj(d, where)
    steps = []
    for i, s in enumerate(_items(d.get("steps"), f"{where}.steps")):
        w = f"{where}.steps[{i}]"
        s = obj(s, w)
        steps.append(
            IncidentStep(
                req(s, "action", str, w),
                dict(obj(s.get("detail") or {}, f"{w}.detail")),
                req(s, "by", str, w),
                float(req(s, "at", NUM, w)),
            )
        )
    customers = _items(d.get("customers"), f"{where}.customers")
    if not all(isinstance(c, str) for c in customers):
        raise Bad(f"{where}.customers")
    closed = opt(d, "closed_at", NUM, where)
    return Incident(
        int(req(d, "id", int, where)),
        req(d, "kind", str, where),
        req(d, "occurred_on", str, where),
        req(d, "summary", str, where),
        tuple(customers),
        opt(d, "remedy", str, where),
        opt(d, "notified", str, where),
        req(d, "state", str, where),
        req(d, "created_by", str, where),
        float(req(d, "created_at", NUM, where)),
        float(closed) if closed is not None else None,
        tuple(steps),
    )

"""Decoding the access guards' answers (``/covers``, ``/admin/alerts``; server/guard_api.py) into
app.models.guards values; a wrong shape is ``decoding.Bad`` (a PROTOCOL SyncError through ``decode``)."""

from __future__ import annotations

from typing import Any

from app.models.guards import Alert, Cover, HandoverRecord, OpenItem
from app.sync.decoding import Bad, listed, obj, opt, req

NUM = (int, float)


def cover(d: Any, where: str) -> Cover:
    d = obj(d, where)
    events = []
    for i, e in enumerate(listed(d, "handover", where) if "handover" in d else []):
        w = f"{where}.handover[{i}]"
        e = obj(e, w)
        items = tuple(
            OpenItem(req(o, "id", str, w), opt(o, "code", str, w), req(o, "shop", str, w), req(o, "status", str, w))
            for o in (obj(x, w) for x in listed(e, "open", w))
        )
        events.append(
            HandoverRecord(req(e, "event", str, w), float(req(e, "at", NUM, w)), req(e, "customers", int, w), items)
        )
    return Cover(
        req(d, "id", int, where),
        req(d, "absent", str, where),
        req(d, "cover", str, where),
        float(req(d, "starts_at", NUM, where)),
        float(req(d, "ends_at", NUM, where)),
        req(d, "reason", str, where),
        req(d, "set_by", str, where),
        opt(d, "cut_by", str, where),
        req(d, "state", str, where),
        tuple(events),
    )


def covers(d: Any, where: str) -> list[Cover]:
    if not isinstance(d, list):
        raise Bad(f"{where}: not a list")
    return [cover(c, f"{where}[{i}]") for i, c in enumerate(d)]


def alert(d: Any, where: str) -> Alert:
    d = obj(d, where)
    at = opt(d, "acknowledged_at", NUM, where)
    return Alert(
        req(d, "id", int, where),
        req(d, "kind", str, where),
        req(d, "subject", str, where),
        req(d, "count", int, where),
        req(d, "threshold", int, where),
        float(req(d, "raised_at", NUM, where)),
        float(req(d, "last_at", NUM, where)),
        opt(d, "acknowledged_by", str, where),
        float(at) if at is not None else None,
    )


def waiting(d: Any, where: str) -> int:
    """``GET /admin/alerts/waiting``: how many alerts wait for an acknowledgement."""
    n = req(obj(d, where), "waiting", int, where)
    if n < 0:
        raise Bad(f"{where}.waiting")
    return int(n)


def alerts(d: Any, where: str) -> list[Alert]:
    if not isinstance(d, list):
        raise Bad(f"{where}: not a list")
    return [alert(a, f"{where}[{i}]") for i, a in enumerate(d)]

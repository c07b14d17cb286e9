"""The server's answers decoded once, into the frozen values of app.models.remote.

``SyncClient`` calls one ``*_answer`` function per endpoint on the JSON it received; nothing past
app.sync sees the server's dicts. An answer this client cannot read (a key missing, a value of
the wrong type, a status or change kind it does not know) is ``SyncError(PROTOCOL)`` naming
where it went wrong, never a KeyError or TypeError further on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.record import CustomerStatus
from app.models.remote import (
    AccessView,
    CustomerAccess,
    ExportRequest,
    FeedChange,
    FeedPage,
    FieldConflict,
    FieldError,
    PhotoProgress,
    PushResult,
    RemoteCalendar,
    RemoteRecord,
    RemoteUser,
    ServerInfo,
    SignIn,
)
from app.models.wire import ChangeKind, ResultStatus, UserRole
from app.sync.decoding import Bad, enum_value, listed, obj, opt, req, strings


# ---- pieces ------------------------------------------------------------------------------------
def record(d: Any, where: str) -> RemoteRecord:
    d = obj(d, where)
    return RemoteRecord(
        id=req(d, "id", str, where),
        version=req(d, "version", int, where),
        status=enum_value(CustomerStatus, d.get("status"), f"{where}.status").value,
        values=obj(d.get("values") if d.get("values") is not None else {}, f"{where}.values"),
        code=opt(d, "code", str, where),
        code_official=bool(d.get("code_official")),
        approved_values=opt(d, "approved_values", dict, where) or None,
        review=opt(d, "review", dict, where) or None,
        owner=opt(d, "owner", str, where),
        deleted=bool(d.get("deleted")),
        created_by=opt(d, "created_by", str, where),
        updated_by=opt(d, "updated_by", str, where),
        people=_people(opt(d, "people", dict, where)),
        provisional_code=opt(d, "provisional_code", str, where),
        integrity=_integrity(opt(d, "integrity", dict, where), f"{where}.integrity"),
        closure=_closure(opt(d, "closure", dict, where), f"{where}.closure"),
        signatures=_signatures(d, where),
        service=_service(d, where),
        wire=d,
    )


def _integrity(d: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
    """A customer's integrity file (added later: absent from older servers and from push answers): two
    lists of objects, each with a text ``id``; their other values are read by app.storage.integrity."""
    if d is None:
        return None
    out: dict[str, Any] = {}
    for key in ("entries", "complaints"):
        items = listed(d, key, where)
        for i, item in enumerate(items):
            req(obj(item, f"{where}.{key}[{i}]"), "id", str, f"{where}.{key}[{i}]")
        out[key] = items
    return out


def _closure(d: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
    """The record's last close or reopen (added in issue 18: absent from older servers' records)."""
    if not d:
        return None
    if d.get("state") not in ("closed", "reopened"):
        raise Bad(f"{where}.state")
    req(d, "reason", str, where)
    return d


def _signatures(d: dict[str, Any], where: str) -> tuple[dict[str, Any], ...] | None:
    """A customer's signatures (added later: absent from older servers and from push answers): objects with a
    text ``id`` and ``image``; their other values are read by app.storage.signatures."""
    if d.get("signatures") is None:
        return None
    out = []
    for i, item in enumerate(listed(d, "signatures", where)):
        w = f"{where}.signatures[{i}]"
        req(obj(item, w), "id", str, w)
        req(item, "image", str, w)
        out.append(item)
    return tuple(out)


def _service(d: dict[str, Any], where: str) -> tuple[dict[str, Any], ...] | None:
    """A customer's service records (added in issue 18: absent from older servers and from push answers):
    objects with a text ``id`` and ``kind``; their other values are read by app.storage.service."""
    if d.get("service") is None:
        return None
    out = []
    for i, item in enumerate(listed(d, "service", where)):
        w = f"{where}.service[{i}]"
        req(obj(item, w), "id", str, w)
        req(item, "kind", str, w)
        out.append(item)
    return tuple(out)


def _people(d: dict[str, Any] | None) -> dict[str, str]:
    """Login name -> display name (added to ``Record`` later: absent from older servers' answers);
    an entry that is not two strings is left out, it only names someone."""
    return {k: v for k, v in (d or {}).items() if isinstance(k, str) and isinstance(v, str) and v}


def user(d: Any, where: str) -> RemoteUser:
    d = obj(d, where)
    return RemoteUser(
        name=req(d, "name", str, where),
        display_name=opt(d, "display_name", str, where) or "",
        role=enum_value(UserRole, d.get("role"), f"{where}.role"),
        supervisor=opt(d, "supervisor", str, where),
    )


def _conflict(d: Any, where: str) -> FieldConflict:
    d = obj(d, where)
    return FieldConflict(req(d, "field", str, where), d.get("base"), d.get("mine"), d.get("server"))


def _error(d: Any, where: str) -> FieldError:
    d = obj(d, where)
    return FieldError(
        opt(d, "field", str, where),
        req(d, "code", str, where),
        opt(d, "message", str, where) or "",
        opt(d, "params", dict, where),
    )


def _result(d: Any, where: str) -> PushResult:
    d = obj(d, where)
    rec = d.get("record")
    return PushResult(
        mutation_id=req(d, "mutation_id", str, where),
        status=enum_value(ResultStatus, d.get("status"), f"{where}.status"),
        record=None if rec is None else record(rec, f"{where}.record"),
        conflicts=tuple(_conflict(c, f"{where}.conflicts[{i}]") for i, c in enumerate(listed(d, "conflicts", where))),
        errors=tuple(_error(e, f"{where}.errors[{i}]") for i, e in enumerate(listed(d, "errors", where))),
    )


def _change(d: Any, where: str) -> FeedChange:
    d = obj(d, where)
    rec = d.get("record")
    return FeedChange(
        seq=opt(d, "seq", int, where) or 0,
        kind=enum_value(ChangeKind, d.get("kind"), f"{where}.kind"),
        record=None if rec is None else record(rec, f"{where}.record"),
        record_id=opt(d, "record_id", str, where),
        form=opt(d, "form", dict, where),
    )


# ---- one per endpoint ----------------------------------------------------------------------------
def sign_in_answer(d: Any, where: str) -> SignIn:
    """``POST /auth/login`` and ``/auth/refresh``."""
    d = obj(d, where)
    return SignIn(
        req(d, "access_token", str, where), req(d, "refresh_token", str, where), user(d.get("user"), f"{where}.user")
    )


def push_answer(d: Any, where: str) -> list[PushResult]:
    """``POST /sync/push``: the results, in the order the server sent them."""
    d = obj(d, where)
    return [_result(r, f"{where}.results[{i}]") for i, r in enumerate(listed(d, "results", where))]


def pull_answer(d: Any, where: str) -> FeedPage:
    """``GET /sync/pull``: one page of the feed."""
    d = obj(d, where)
    changes = tuple(_change(c, f"{where}.changes[{i}]") for i, c in enumerate(listed(d, "changes", where)))
    return FeedPage(changes, req(d, "cursor", int, where), bool(d.get("more")))


def photo_answer(d: Any, where: str) -> PhotoProgress:
    """``GET /photos/{sha}/status`` and each chunk's ``PATCH``."""
    d = obj(d, where)
    offset = opt(d, "offset", int, where)
    return PhotoProgress(bool(d.get("complete")), offset or 0)


def audit_answer(d: Any, where: str) -> int | None:
    """``POST /audit``: the newest entry the server holds (None: it did not say)."""
    return opt(obj(d, where), "head", int, where) or None


def _day(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Bad(where) from None


def calendar_answer(d: Any, where: str) -> RemoteCalendar:
    """``GET /calendar``: the calendar as published (every date a real date, every year a number)."""
    d = obj(d, where)
    years = listed(d, "years", where)
    for i, y in enumerate(years):
        if not isinstance(y, int) or isinstance(y, bool):
            raise Bad(f"{where}.years[{i}]")
    return RemoteCalendar(
        version=req(d, "version", str, where),
        years=frozenset(years),
        holidays=frozenset(_day(t, f"{where}.holidays[{i}]") for i, t in enumerate(strings(d, "holidays", where))),
        workdays=frozenset(_day(t, f"{where}.workdays[{i}]") for i, t in enumerate(strings(d, "workdays", where))),
    )


def info_answer(d: Any, where: str) -> ServerInfo:
    """``GET /info``."""
    d = obj(d, where)
    return ServerInfo(
        protocol=req(d, "protocol", int, where),
        min_protocol=req(d, "min_protocol", int, where),
        server_version=req(d, "server_version", str, where),
        form_version=req(d, "form_version", int, where),
        client_version=opt(d, "client_version", str, where),
        min_client_version=opt(d, "min_client_version", str, where),
        download_url=opt(d, "download_url", str, where),
        epoch=opt(d, "epoch", str, where) or None,
        features=frozenset(strings(d, "features", where)),
    )


def _access_view(d: Any, where: str) -> AccessView:
    d = obj(d, where)
    return AccessView(
        at=req(d, "at", str, where),
        kind=req(d, "kind", str, where),
        actor=req(d, "actor", str, where),
        user=req(d, "user", str, where),
        display_name=req(d, "display_name", str, where),
        device=req(d, "device", str, where),
        via=opt(d, "via", str, where),
    )


def access_answer(d: Any, where: str) -> CustomerAccess:
    """``GET /records/{id}/access``."""
    d = obj(d, where)
    views = tuple(_access_view(e, f"{where}.entries[{i}]") for i, e in enumerate(listed(d, "entries", where)))
    return CustomerAccess(req(d, "record_id", str, where), views)


def export_request_answer(d: Any, where: str) -> ExportRequest:
    """``POST /export-requests`` and ``POST /export-requests/{id}/decide``."""
    d = obj(d, where)
    return ExportRequest(
        id=req(d, "id", str, where),
        applicant=req(d, "applicant", str, where),
        applicant_name=req(d, "applicant_name", str, where),
        target=req(d, "target", str, where),
        purpose=req(d, "purpose", str, where),
        reason=req(d, "reason", str, where),
        unmasked=req(d, "unmasked", bool, where),
        state=req(d, "state", str, where),
        created_at=float(req(d, "created_at", (int, float), where)),
        approver=opt(d, "approver", str, where),
        approver_name=opt(d, "approver_name", str, where),
        note=opt(d, "note", str, where) or "",
        decided_at=opt(d, "decided_at", (int, float), where),
        valid_until=opt(d, "valid_until", (int, float), where),
    )


def export_requests_answer(d: Any, where: str) -> list[ExportRequest]:
    """``GET /export-requests``."""
    d = obj(d, where)
    return [export_request_answer(r, f"{where}.requests[{i}]") for i, r in enumerate(listed(d, "requests", where))]

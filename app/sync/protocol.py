"""The server's answers decoded once, into the frozen values of app.models.remote.

``SyncClient`` calls one ``*_answer`` function per endpoint on the JSON it received; nothing past
app.sync sees the server's dicts. An answer this client cannot read (a key missing, a value of
the wrong type, a status or change kind it does not know) is ``SyncError(PROTOCOL)`` naming
where it went wrong, never a KeyError or TypeError further on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from app.errors import SyncError, SyncErrorKind
from app.i18n import N_
from app.models.record import CustomerStatus
from app.models.remote import (
    CategoryAdjustment,
    CompletenessRow,
    CreditHistory,
    CreditRating,
    FeedChange,
    FeedPage,
    FieldConflict,
    FieldError,
    JobState,
    LedgerCollectorCount,
    LedgerGroupCount,
    LedgerPage,
    LedgerPath,
    LedgerPerson,
    LedgerRow,
    LedgerSummary,
    MissingField,
    MonthlyReport,
    Notice,
    NoticeList,
    OverdueRow,
    PhotoProgress,
    PushResult,
    RemoteCalendar,
    RemoteRecord,
    RemoteUser,
    ReportJob,
    ReportScope,
    ServerInfo,
    SignIn,
    VisitRow,
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
        integrity=_integrity(_opt(d, "integrity", dict, where), f"{where}.integrity"),
        signatures=_signatures(d, where),
        wire=d,
    )


def _integrity(d: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
    """A customer's integrity file (added later: absent from older servers and from push answers): two
    lists of objects, each with a text ``id``; their other values are read by app.storage.integrity."""
    if d is None:
        return None
    out: dict[str, Any] = {}
    for key in ("entries", "complaints"):
        items = _list(d, key, where)
        for i, item in enumerate(items):
            _req(_obj(item, f"{where}.{key}[{i}]"), "id", str, f"{where}.{key}[{i}]")
        out[key] = items
    return out


def _signatures(d: dict[str, Any], where: str) -> tuple[dict[str, Any], ...] | None:
    """A customer's signatures (added later: absent from older servers and from push answers): objects with a
    text ``id`` and ``image``; their other values are read by app.storage.signatures."""
    if d.get("signatures") is None:
        return None
    out = []
    for i, item in enumerate(_list(d, "signatures", where)):
        w = f"{where}.signatures[{i}]"
        _req(_obj(item, w), "id", str, w)
        _req(item, "image", str, w)
        out.append(item)
    return tuple(out)


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


def _strs(d: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = _list(d, key, where)
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise _Bad(f"{where}.{key}[{i}]")
    return tuple(values)


def _day(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _Bad(where) from None


def calendar_answer(d: Any, where: str) -> RemoteCalendar:
    """``GET /calendar``: the calendar as published (every date a real date, every year a number)."""
    d = _obj(d, where)
    years = _list(d, "years", where)
    for i, y in enumerate(years):
        if not isinstance(y, int) or isinstance(y, bool):
            raise _Bad(f"{where}.years[{i}]")
    return RemoteCalendar(
        version=_req(d, "version", str, where),
        years=frozenset(years),
        holidays=frozenset(_day(t, f"{where}.holidays[{i}]") for i, t in enumerate(_strs(d, "holidays", where))),
        workdays=frozenset(_day(t, f"{where}.workdays[{i}]") for i, t in enumerate(_strs(d, "workdays", where))),
    )


def info_answer(d: Any, where: str) -> ServerInfo:
    """``GET /info``."""
    d = _obj(d, where)
    return ServerInfo(
        protocol=_req(d, "protocol", int, where),
        min_protocol=_req(d, "min_protocol", int, where),
        server_version=_req(d, "server_version", str, where),
        form_version=_req(d, "form_version", int, where),
        client_version=_opt(d, "client_version", str, where),
        min_client_version=_opt(d, "min_client_version", str, where),
        download_url=_opt(d, "download_url", str, where),
        epoch=_opt(d, "epoch", str, where) or None,
        features=frozenset(_strs(d, "features", where)),
    )


def _rating(d: Any, where: str) -> CreditRating:
    d = _obj(d, where)
    return CreditRating(
        id=_req(d, "id", int, where),
        grade=_req(d, "grade", str, where),
        status=_req(d, "status", str, where),
        rated_on=_req(d, "rated_on", str, where),
        notice_start=_req(d, "notice_start", str, where),
        notice_end=_req(d, "notice_end", str, where),
        notice_workdays=_req(d, "notice_workdays", int, where),
        customer_code=_opt(d, "customer_code", str, where),
        appeal_on=_opt(d, "appeal_on", str, where),
        appeal_text=_opt(d, "appeal_text", str, where),
        decided_on=_opt(d, "decided_on", str, where),
        final_grade=_opt(d, "final_grade", str, where),
        decision_note=_opt(d, "decision_note", str, where),
        rated_by=_opt(d, "rated_by", str, where),
        decided_by=_opt(d, "decided_by", str, where),
    )


def credit_answer(d: Any, where: str) -> CreditHistory:
    """``GET /records/{id}/credit``."""
    d = _obj(d, where)
    ratings = tuple(_rating(r, f"{where}.ratings[{i}]") for i, r in enumerate(_list(d, "ratings", where)))
    return CreditHistory(_req(d, "record_id", str, where), ratings)


def notices_answer(d: Any, where: str) -> NoticeList:
    """``GET /credit/notices``."""
    d = _obj(d, where)
    out = []
    for i, n in enumerate(_list(d, "notices", where)):
        w = f"{where}.notices[{i}]"
        n = _obj(n, w)
        out.append(
            Notice(
                record_id=_req(n, "record_id", str, w),
                code=_opt(n, "code", str, w),
                shop_name=_opt(n, "shop_name", str, w),
                owner=_opt(n, "owner", str, w),
                grade=_req(n, "grade", str, w),
                status=_req(n, "status", str, w),
                rated_on=_req(n, "rated_on", str, w),
                notice_start=_req(n, "notice_start", str, w),
                notice_end=_req(n, "notice_end", str, w),
                appeal_on=_opt(n, "appeal_on", str, w),
            )
        )
    return NoticeList(_req(d, "on", str, where), tuple(out))


def job_answer(d: Any, where: str) -> ReportJob:
    """``POST /reports/monthly/jobs`` and ``GET /reports/monthly/jobs/{id}``."""
    d = _obj(d, where)
    return ReportJob(
        id=_req(d, "id", str, where),
        month=_req(d, "month", str, where),
        state=_enum(JobState, d.get("state"), f"{where}.state"),
        done=_req(d, "done", int, where),
        total=_req(d, "total", int, where),
        error=_opt(d, "error", str, where),
    )


def _adjustment(d: Any, where: str) -> CategoryAdjustment:
    d = _obj(d, where)
    return CategoryAdjustment(
        record_id=_req(d, "record_id", str, where),
        field=_req(d, "field", str, where),
        field_label_zh=_opt(d, "field_label_zh", str, where) or "",
        changed_on=_req(d, "changed_on", str, where),
        old=d.get("old"),
        new=d.get("new"),
        code=_opt(d, "code", str, where),
        shop_name=_opt(d, "shop_name", str, where),
        owner=_opt(d, "owner", str, where),
        by=_opt(d, "by", str, where),
    )


def _missing(d: Any, where: str) -> MissingField:
    d = _obj(d, where)
    return MissingField(
        _req(d, "field", str, where), _opt(d, "label_zh", str, where) or "", _req(d, "count", int, where)
    )


def _completeness(d: Any, where: str) -> CompletenessRow:
    d = _obj(d, where)
    missing = _list(d, "missing_by_field", where)
    return CompletenessRow(
        collector=_req(d, "collector", str, where),
        display_name=_opt(d, "display_name", str, where) or "",
        customers=_req(d, "customers", int, where),
        complete=_req(d, "complete", int, where),
        incomplete=_req(d, "incomplete", int, where),
        missing_total=_req(d, "missing_total", int, where),
        missing_by_field=tuple(_missing(m, f"{where}.missing_by_field[{i}]") for i, m in enumerate(missing)),
    )


def _overdue(d: Any, where: str) -> OverdueRow:
    d = _obj(d, where)
    return OverdueRow(
        record_id=_req(d, "record_id", str, where),
        kind=_req(d, "kind", str, where),
        due=_req(d, "due", str, where),
        workdays_overdue=_req(d, "workdays_overdue", int, where),
        code=_opt(d, "code", str, where),
        shop_name=_opt(d, "shop_name", str, where),
        owner=_opt(d, "owner", str, where),
    )


def _visits(d: Any, where: str) -> VisitRow:
    d = _obj(d, where)
    return VisitRow(
        collector=_req(d, "collector", str, where),
        display_name=_opt(d, "display_name", str, where) or "",
        visits=_req(d, "visits", int, where),
        customers_visited=_req(d, "customers_visited", int, where),
        customers=_req(d, "customers", int, where),
        with_anomaly=_req(d, "with_anomaly", int, where),
    )


def _rows(d: dict[str, Any], key: str, fn: Callable[[Any, str], T], where: str) -> tuple[T, ...]:
    return tuple(fn(r, f"{where}.{key}[{i}]") for i, r in enumerate(_list(d, key, where)))


def report_answer(d: Any, where: str) -> MonthlyReport:
    """``GET /reports/monthly`` and a report job's result."""
    d = _obj(d, where)
    s = _obj(d.get("scope"), f"{where}.scope")
    scope = ReportScope(
        user=_req(s, "user", str, f"{where}.scope"),
        display_name=_opt(s, "display_name", str, f"{where}.scope") or "",
        role=_req(s, "role", str, f"{where}.scope"),
        collectors=_strs(s, "collectors", f"{where}.scope"),
    )
    return MonthlyReport(
        month=_req(d, "month", str, where),
        as_of=_req(d, "as_of", str, where),
        generated_at=_req(d, "generated_at", str, where),
        scope=scope,
        category_adjustments=_rows(d, "category_adjustments", _adjustment, where),
        completeness=_rows(d, "completeness", _completeness, where),
        overdue=_rows(d, "overdue", _overdue, where),
        visits=_rows(d, "visits", _visits, where),
    )


# ---- the modification ledger ---------------------------------------------------------------------
def _ledger_row(d: Any, where: str) -> LedgerRow:
    d = _obj(d, where)
    return LedgerRow(
        completed_at=_req(d, "completed_at", str, where),
        path=_enum(LedgerPath, d.get("path"), f"{where}.path"),
        record_id=_req(d, "record_id", str, where),
        field=_req(d, "field", str, where),
        field_label_zh=_opt(d, "field_label_zh", str, where) or "",
        field_label_en=_opt(d, "field_label_en", str, where) or "",
        old=d.get("old"),
        new=d.get("new"),
        code=_opt(d, "code", str, where),
        shop_name=_opt(d, "shop_name", str, where),
        collector=_opt(d, "collector", str, where),
        collector_name=_opt(d, "collector_name", str, where),
        group=_opt(d, "group", str, where),
        changed_by=_opt(d, "changed_by", str, where),
        changed_by_name=_opt(d, "changed_by_name", str, where),
        approved_by=_opt(d, "approved_by", str, where),
        approved_by_name=_opt(d, "approved_by_name", str, where),
        source=_opt(d, "source", str, where),
    )


def _person(d: Any, where: str) -> LedgerPerson:
    d = _obj(d, where)
    return LedgerPerson(_req(d, "name", str, where), _opt(d, "display_name", str, where) or d["name"])


def _paths(d: Any, where: str) -> tuple[tuple[LedgerPath, int], ...]:
    d = _obj(d if d is not None else {}, where)
    out = []
    for key, n in d.items():
        if not isinstance(n, int) or isinstance(n, bool):
            raise _Bad(f"{where}.{key}")
        out.append((_enum(LedgerPath, key, f"{where}.{key}"), n))
    return tuple(out)


def _group_count(d: Any, where: str) -> LedgerGroupCount:
    d = _obj(d, where)
    return LedgerGroupCount(
        _opt(d, "group", str, where),
        _opt(d, "label_zh", str, where) or "",
        _opt(d, "label_en", str, where) or "",
        _req(d, "count", int, where),
    )


def _collector_count(d: Any, where: str) -> LedgerCollectorCount:
    d = _obj(d, where)
    return LedgerCollectorCount(
        _opt(d, "collector", str, where),
        _opt(d, "display_name", str, where),
        _req(d, "count", int, where),
        _paths(d.get("by_path"), f"{where}.by_path"),
    )


def ledger_page_answer(d: Any, where: str) -> LedgerPage:
    """``GET /reports/ledger``."""
    d = _obj(d, where)
    s = _obj(d.get("scope"), f"{where}.scope")
    return LedgerPage(
        start=_req(d, "start", str, where),
        end=_req(d, "end", str, where),
        generated_at=_req(d, "generated_at", str, where),
        collector=_opt(d, "collector", str, where),
        user=_req(s, "user", str, f"{where}.scope"),
        display_name=_opt(s, "display_name", str, f"{where}.scope") or "",
        collectors=_rows(s, "collectors", _person, f"{where}.scope"),
        masked=bool(_req(d, "masked", bool, where)),
        rows=_rows(d, "rows", _ledger_row, where),
        next_cursor=_opt(d, "next_cursor", str, where),
    )


def ledger_summary_answer(d: Any, where: str) -> LedgerSummary:
    """``GET /reports/ledger/summary``."""
    d = _obj(d, where)
    return LedgerSummary(
        total=_req(d, "total", int, where),
        customers=_req(d, "customers", int, where),
        by_group=_rows(d, "by_group", _group_count, where),
        by_collector=_rows(d, "by_collector", _collector_count, where),
        by_path=_paths(d.get("by_path"), f"{where}.by_path"),
    )

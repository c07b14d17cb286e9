"""The answers of the reporting endpoints decoded once (app.sync.protocol has the sync's own): the credit
history and the public notice list, the monthly report and its background job, the modification ledger.
A malformed answer is ``SyncError(PROTOCOL)`` naming the place (app.sync.decoding)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.models.remote import (
    CategoryAdjustment,
    ComplaintFigures,
    ComplaintRow,
    CompletenessRow,
    CreditHistory,
    CreditRating,
    JobState,
    LedgerCollectorCount,
    LedgerDepartmentCount,
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
    ReportJob,
    ReportScope,
    VisitRow,
)
from app.sync.decoding import Bad, T, enum_value, listed, obj, opt, req, strings


def _rating(d: Any, where: str) -> CreditRating:
    d = obj(d, where)
    return CreditRating(
        id=req(d, "id", int, where),
        grade=req(d, "grade", str, where),
        status=req(d, "status", str, where),
        rated_on=req(d, "rated_on", str, where),
        notice_start=req(d, "notice_start", str, where),
        notice_end=req(d, "notice_end", str, where),
        notice_workdays=req(d, "notice_workdays", int, where),
        customer_code=opt(d, "customer_code", str, where),
        appeal_on=opt(d, "appeal_on", str, where),
        appeal_text=opt(d, "appeal_text", str, where),
        decided_on=opt(d, "decided_on", str, where),
        final_grade=opt(d, "final_grade", str, where),
        decision_note=opt(d, "decision_note", str, where),
        rated_by=opt(d, "rated_by", str, where),
        decided_by=opt(d, "decided_by", str, where),
    )


def credit_answer(d: Any, where: str) -> CreditHistory:
    """``GET /records/{id}/credit``."""
    d = obj(d, where)
    ratings = tuple(_rating(r, f"{where}.ratings[{i}]") for i, r in enumerate(listed(d, "ratings", where)))
    return CreditHistory(req(d, "record_id", str, where), ratings)


def notices_answer(d: Any, where: str) -> NoticeList:
    """``GET /credit/notices``."""
    d = obj(d, where)
    out = []
    for i, n in enumerate(listed(d, "notices", where)):
        w = f"{where}.notices[{i}]"
        n = obj(n, w)
        out.append(
            Notice(
                record_id=req(n, "record_id", str, w),
                code=opt(n, "code", str, w),
                shop_name=opt(n, "shop_name", str, w),
                owner=opt(n, "owner", str, w),
                grade=req(n, "grade", str, w),
                status=req(n, "status", str, w),
                rated_on=req(n, "rated_on", str, w),
                notice_start=req(n, "notice_start", str, w),
                notice_end=req(n, "notice_end", str, w),
                appeal_on=opt(n, "appeal_on", str, w),
            )
        )
    return NoticeList(req(d, "on", str, where), tuple(out))


def job_answer(d: Any, where: str) -> ReportJob:
    """``POST /reports/monthly/jobs`` and ``GET /reports/monthly/jobs/{id}``."""
    d = obj(d, where)
    return ReportJob(
        id=req(d, "id", str, where),
        month=req(d, "month", str, where),
        state=enum_value(JobState, d.get("state"), f"{where}.state"),
        done=req(d, "done", int, where),
        total=req(d, "total", int, where),
        error=opt(d, "error", str, where),
    )


def _adjustment(d: Any, where: str) -> CategoryAdjustment:
    d = obj(d, where)
    return CategoryAdjustment(
        record_id=req(d, "record_id", str, where),
        field=req(d, "field", str, where),
        field_label_zh=opt(d, "field_label_zh", str, where) or "",
        changed_on=req(d, "changed_on", str, where),
        old=d.get("old"),
        new=d.get("new"),
        code=opt(d, "code", str, where),
        shop_name=opt(d, "shop_name", str, where),
        owner=opt(d, "owner", str, where),
        by=opt(d, "by", str, where),
    )


def _missing(d: Any, where: str) -> MissingField:
    d = obj(d, where)
    return MissingField(req(d, "field", str, where), opt(d, "label_zh", str, where) or "", req(d, "count", int, where))


def _completeness(d: Any, where: str) -> CompletenessRow:
    d = obj(d, where)
    missing = listed(d, "missing_by_field", where)
    return CompletenessRow(
        collector=req(d, "collector", str, where),
        display_name=opt(d, "display_name", str, where) or "",
        customers=req(d, "customers", int, where),
        complete=req(d, "complete", int, where),
        incomplete=req(d, "incomplete", int, where),
        missing_total=req(d, "missing_total", int, where),
        missing_by_field=tuple(_missing(m, f"{where}.missing_by_field[{i}]") for i, m in enumerate(missing)),
        spot_audits=opt(d, "spot_audits", int, where) or 0,
        spot_audit_score=_score(opt(d, "spot_audit_score", (int, float), where)),
        monthly_check=opt(d, "monthly_check", str, where),
    )


def _score(value: float | None) -> float | None:
    return float(value) if value is not None else None


def _overdue(d: Any, where: str) -> OverdueRow:
    d = obj(d, where)
    return OverdueRow(
        record_id=req(d, "record_id", str, where),
        kind=req(d, "kind", str, where),
        due=req(d, "due", str, where),
        workdays_overdue=req(d, "workdays_overdue", int, where),
        code=opt(d, "code", str, where),
        shop_name=opt(d, "shop_name", str, where),
        owner=opt(d, "owner", str, where),
    )


def _visits(d: Any, where: str) -> VisitRow:
    d = obj(d, where)
    return VisitRow(
        collector=req(d, "collector", str, where),
        display_name=opt(d, "display_name", str, where) or "",
        visits=req(d, "visits", int, where),
        customers_visited=req(d, "customers_visited", int, where),
        customers=req(d, "customers", int, where),
        with_anomaly=req(d, "with_anomaly", int, where),
    )


def _figures(d: Any, where: str) -> ComplaintFigures:
    d = obj(d, where)
    return ComplaintFigures(*(req(d, k, int, where) for k in ("received", "closed", "closed_in_time", "overdue")))


def _complaint_row(d: Any, where: str) -> ComplaintRow:
    d = obj(d, where)
    return ComplaintRow(
        collector=req(d, "collector", str, where),
        display_name=opt(d, "display_name", str, where) or "",
        figures=_figures(d, where),
    )


def _rows(d: dict[str, Any], key: str, fn: Callable[[Any, str], T], where: str) -> tuple[T, ...]:
    return tuple(fn(r, f"{where}.{key}[{i}]") for i, r in enumerate(listed(d, key, where)))


def report_answer(d: Any, where: str) -> MonthlyReport:
    """``GET /reports/monthly`` and a report job's result."""
    d = obj(d, where)
    s = obj(d.get("scope"), f"{where}.scope")
    scope = ReportScope(
        user=req(s, "user", str, f"{where}.scope"),
        display_name=opt(s, "display_name", str, f"{where}.scope") or "",
        role=req(s, "role", str, f"{where}.scope"),
        collectors=strings(s, "collectors", f"{where}.scope"),
    )
    return MonthlyReport(
        month=req(d, "month", str, where),
        as_of=req(d, "as_of", str, where),
        generated_at=req(d, "generated_at", str, where),
        scope=scope,
        category_adjustments=_rows(d, "category_adjustments", _adjustment, where),
        completeness=_rows(d, "completeness", _completeness, where),
        overdue=_rows(d, "overdue", _overdue, where),
        visits=_rows(d, "visits", _visits, where),
        complaints=_rows(d, "complaints", _complaint_row, where),
        complaints_total=_figures(d.get("complaints_total"), f"{where}.complaints_total"),
    )


# ---- the modification ledger ---------------------------------------------------------------------
def _ledger_row(d: Any, where: str) -> LedgerRow:
    d = obj(d, where)
    return LedgerRow(
        completed_at=req(d, "completed_at", str, where),
        path=enum_value(LedgerPath, d.get("path"), f"{where}.path"),
        record_id=req(d, "record_id", str, where),
        field=req(d, "field", str, where),
        field_label_zh=opt(d, "field_label_zh", str, where) or "",
        field_label_en=opt(d, "field_label_en", str, where) or "",
        old=d.get("old"),
        new=d.get("new"),
        code=opt(d, "code", str, where),
        shop_name=opt(d, "shop_name", str, where),
        collector=opt(d, "collector", str, where),
        collector_name=opt(d, "collector_name", str, where),
        group=opt(d, "group", str, where),
        changed_by=opt(d, "changed_by", str, where),
        changed_by_name=opt(d, "changed_by_name", str, where),
        approved_by=opt(d, "approved_by", str, where),
        approved_by_name=opt(d, "approved_by_name", str, where),
        source=opt(d, "source", str, where),
    )


def _person(d: Any, where: str) -> LedgerPerson:
    d = obj(d, where)
    return LedgerPerson(req(d, "name", str, where), opt(d, "display_name", str, where) or d["name"])


def _paths(d: Any, where: str) -> tuple[tuple[LedgerPath, int], ...]:
    d = obj(d if d is not None else {}, where)
    out = []
    for key, n in d.items():
        if not isinstance(n, int) or isinstance(n, bool):
            raise Bad(f"{where}.{key}")
        out.append((enum_value(LedgerPath, key, f"{where}.{key}"), n))
    return tuple(out)


def _group_count(d: Any, where: str) -> LedgerGroupCount:
    d = obj(d, where)
    return LedgerGroupCount(
        opt(d, "group", str, where),
        opt(d, "label_zh", str, where) or "",
        opt(d, "label_en", str, where) or "",
        req(d, "count", int, where),
    )


def _department_count(d: Any, where: str) -> LedgerDepartmentCount:
    d = obj(d, where)
    return LedgerDepartmentCount(
        req(d, "department", str, where), req(d, "name", str, where), req(d, "count", int, where)
    )


def _collector_count(d: Any, where: str) -> LedgerCollectorCount:
    d = obj(d, where)
    return LedgerCollectorCount(
        opt(d, "collector", str, where),
        opt(d, "display_name", str, where),
        req(d, "count", int, where),
        _paths(d.get("by_path"), f"{where}.by_path"),
    )


def ledger_page_answer(d: Any, where: str) -> LedgerPage:
    """``GET /reports/ledger``."""
    d = obj(d, where)
    s = obj(d.get("scope"), f"{where}.scope")
    return LedgerPage(
        start=req(d, "start", str, where),
        end=req(d, "end", str, where),
        generated_at=req(d, "generated_at", str, where),
        collector=opt(d, "collector", str, where),
        user=req(s, "user", str, f"{where}.scope"),
        display_name=opt(s, "display_name", str, f"{where}.scope") or "",
        collectors=_rows(s, "collectors", _person, f"{where}.scope"),
        masked=bool(req(d, "masked", bool, where)),
        rows=_rows(d, "rows", _ledger_row, where),
        next_cursor=opt(d, "next_cursor", str, where),
    )


def ledger_summary_answer(d: Any, where: str) -> LedgerSummary:
    """``GET /reports/ledger/summary``."""
    d = obj(d, where)
    return LedgerSummary(
        total=req(d, "total", int, where),
        customers=req(d, "customers", int, where),
        by_group=_rows(d, "by_group", _group_count, where),
        by_collector=_rows(d, "by_collector", _collector_count, where),
        by_path=_paths(d.get("by_path"), f"{where}.by_path"),
        by_department=_rows(d, "by_department", _department_count, where),
    )

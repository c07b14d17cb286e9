"""The monthly reports (§5, due by the 3rd of each month) as one .xlsx workbook.

The figures come from the server (``GET /reports/monthly``), the only place that holds every
customer, visit and check of a team; this module fetches them and writes the workbook: a cover
sheet, then the category-adjustment table (客户类别调整情况表), archive completeness per collector,
overdue maintenance, visits per collector, and complaints (received, closed, closed within their
deadline, overdue) per collector with the total. Dates are real date cells, counts are numbers, and
every text is a string cell (no formula can come in through a shop name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from app.errors import UserFacingError
from app.export.xlsx import Column, write_sheet
from app.i18n import N_, current_language, ngettext, translate
from app.models.catalogue import FormDefinition
from app.models.record import Provenance, Source
from app.models.remote import ComplaintFigures, ComplaintRow, CompletenessRow, MonthlyReport, VisitRow
from app.services import syncing
from app.services.session import Session

KIND_MSGIDS = {
    "new": N_("New customer not complete within 5 working days of binding"),
    "quarterly": N_("Quarterly check not done this quarter"),
    "static": N_("Half-yearly review of the static information not done"),
}


def default_month(today: dt.date) -> str:
    """The month a report is usually made for: the previous one (due by the 3rd)."""
    return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def recent_months(today: dt.date, n: int = 12) -> list[str]:
    """This month and the ``n - 1`` before it, newest first."""
    out, day = [], today.replace(day=1)
    for _ in range(n):
        out.append(day.strftime("%Y-%m"))
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return out


def check_month(text: str) -> str:
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").strftime("%Y-%m")
    except ValueError:
        raise UserFacingError(N_("The month must be given as YYYY-MM, for example 2026-10.")) from None


def category_adjustments(n: int) -> str:
    """ "3 category adjustments": the count in the message that says where the report was written."""
    return ngettext("{n} category adjustment", "{n} category adjustments", n).format(n=n)


def overdue_items(n: int) -> str:
    return ngettext("{n} overdue item", "{n} overdue items", n).format(n=n)


def fetch_monthly(session: Session, month: str) -> MonthlyReport:
    """The month's figures from the server (a SyncError says why when it cannot be reached)."""
    month = check_month(month)
    client = syncing.client_for(session)
    try:
        return client.monthly_report(month)
    finally:
        client.close()


def _date(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _who(row: CompletenessRow | VisitRow | ComplaintRow) -> str:
    name, shown = row.collector, row.display_name
    return f"{shown} ({name})" if shown and shown != name else name


def _figures(who: str, f: ComplaintFigures) -> list[Any]:
    """A row of the complaints sheet (the share closed in time: of those closed that month)."""
    return [who, f.received, f.closed, f.closed_in_time, _pct(f.closed_in_time, f.closed), f.overdue]


def write_monthly(
    data: MonthlyReport, form: FormDefinition, path: Path, lang: str | None = None, scratch_dir: Path | None = None
) -> dict[str, int]:
    """Write the workbook; returns the number of rows of each table. Temporary files: in
    ``scratch_dir`` (the profile's tmp folder) and beside ``path``, never $TMPDIR."""
    lang = lang or current_language()

    def t(msgid: str) -> str:
        return translate(msgid, lang)

    def label(key: str, fallback: str) -> str:
        spec = form.get(key)
        return spec.label(lang) if spec is not None else fallback

    scope = data.scope
    adjustments, completeness, overdue, visits = data.category_adjustments, data.completeness, data.overdue, data.visits
    cover_cols = [Column(t(N_("Item")), 28.0), Column(t(N_("Value")), 60.0)]
    cover: list[Sequence[Any]] = [
        [t(N_("Monthly reports")), data.month],
        [t(N_("Figures as of")), _date(data.as_of)],
        [t(N_("Made by")), scope.display_name or scope.user],
        [t(N_("Customer managers covered")), ("、" if lang == "zh_CN" else ", ").join(scope.collectors)],
        [t(N_("Made at")), data.generated_at],
        [t(N_("Category adjustments")), len(adjustments)],
        [t(N_("Overdue maintenance")), len(overdue)],
        [t(N_("Complaints received")), data.complaints_total.received],
        [t(N_("Overdue complaints")), data.complaints_total.overdue],
        [t(N_("Due")), t(N_("by the 3rd of the next month"))],
    ]
    adj_cols = [
        Column(t(N_("No.")), 6.0),
        Column(t(N_("Customer code")), 16.0),
        Column(t(N_("Shop name")), 26.0),
        Column(t(N_("Customer manager")), 14.0),
        Column(t(N_("Adjusted item")), 16.0),
        Column(t(N_("Before adjustment")), 16.0),
        Column(t(N_("After adjustment")), 16.0),
        Column(t(N_("Date")), 12.0),
        Column(t(N_("Changed by")), 14.0),
    ]
    adj_rows: Iterable[Sequence[Any]] = (
        [
            n,
            a.code,
            a.shop_name,
            a.owner,
            label(a.field, a.field_label_zh or a.field),
            a.old,
            a.new,
            _date(a.changed_on),
            a.by,
        ]
        for n, a in enumerate(adjustments, start=1)
    )
    comp_cols = [
        Column(t(N_("Customer manager")), 22.0),
        Column(t(N_("Number of customers")), 10.0),
        Column(t(N_("Complete archives")), 10.0),
        Column(t(N_("Incomplete archives")), 10.0),
        Column(t(N_("Complete (%)")), 12.0),
        Column(t(N_("Required values missing")), 14.0),
        Column(t(N_("Fields missing most often")), 60.0),
        Column(t(N_("Spot audits")), 10.0),
        Column(t(N_("Spot-audit score")), 10.0),
        Column(t(N_("Market manager's monthly check")), 16.0),
    ]
    checked = {"ok": t(N_("Timely, objective, accurate")), "deficient": t(N_("Deficient"))}
    sep = "、" if lang == "zh_CN" else "; "
    comp_rows = (
        [
            _who(c),
            c.customers,
            c.complete,
            c.incomplete,
            _pct(c.complete, c.customers),
            c.missing_total,
            sep.join(f"{label(m.field, m.label_zh or m.field)} {m.count}" for m in c.missing_by_field),
            c.spot_audits,
            c.spot_audit_score,
            checked.get(c.monthly_check or "", t(N_("Not checked"))),
        ]
        for c in completeness
    )
    over_cols = [
        Column(t(N_("Customer code")), 16.0),
        Column(t(N_("Shop name")), 26.0),
        Column(t(N_("Customer manager")), 14.0),
        Column(t(N_("Overdue item")), 44.0),
        Column(t(N_("Due date")), 12.0),
        Column(t(N_("Working days overdue")), 14.0),
    ]
    over_rows = (
        [
            o.code,
            o.shop_name,
            o.owner,
            t(KIND_MSGIDS.get(o.kind, o.kind)),
            _date(o.due),
            o.workdays_overdue,
        ]
        for o in overdue
    )
    visit_cols = [
        Column(t(N_("Customer manager")), 22.0),
        Column(t(N_("Number of visits")), 10.0),
        Column(t(N_("Customers visited")), 12.0),
        Column(t(N_("Customers assigned")), 12.0),
        Column(t(N_("Visited (%)")), 12.0),
        Column(t(N_("Visits with a sales anomaly")), 16.0),
    ]
    visit_rows = (
        [
            _who(v),
            v.visits,
            v.customers_visited,
            v.customers,
            _pct(v.customers_visited, v.customers),
            v.with_anomaly,
        ]
        for v in visits
    )
    complaint_cols = [
        Column(t(N_("Customer manager")), 22.0),
        Column(t(N_("Complaints received")), 12.0),
        Column(t(N_("Complaints closed")), 12.0),
        Column(t(N_("Closed within the deadline")), 14.0),
        Column(t(N_("Closed in time (%)")), 12.0),
        Column(t(N_("Overdue complaints")), 12.0),
    ]
    complaint_rows = [_figures(_who(c), c.figures) for c in data.complaints]
    complaint_rows.append(_figures(t(N_("Total")), data.complaints_total))
    try:
        write_sheet(
            path,
            cover_cols,
            cover,
            title=t(N_("Cover")),
            extra_sheets=[
                (t(N_("Category adjustments")), adj_cols, adj_rows),
                (t(N_("Archive completeness")), comp_cols, comp_rows),
                (t(N_("Overdue maintenance")), over_cols, over_rows),
                (t(N_("Visits per customer manager")), visit_cols, visit_rows),
                (t(N_("Complaints handled")), complaint_cols, complaint_rows),
            ],
            scratch_dir=scratch_dir,
        )
    except OSError as exc:
        raise UserFacingError(
            N_("{file} cannot be written: {reason}."), file=str(path), reason=exc.strerror or str(exc)
        ) from None
    return {
        "category_adjustments": len(adjustments),
        "completeness": len(completeness),
        "overdue": len(overdue),
        "visits": len(visits),
        "complaints": len(data.complaints),
    }


def monthly_report(session: Session, month: str, path: Path, lang: str | None = None) -> dict[str, int]:
    """Fetch the month's figures and write them to ``path``; the export is audited."""
    return save_monthly(session, fetch_monthly(session, month), month, path, lang)


def save_monthly(
    session: Session, data: MonthlyReport, month: str, path: Path, lang: str | None = None
) -> dict[str, int]:
    """Write figures already fetched (the app fetches them off the archive's thread) and audit the export."""
    counts = write_monthly(data, session.form, path, lang, session._profile.scratch_dir)
    session._archive.audit.record_action(
        "report",
        "export",
        Provenance(session.user, Source.SYSTEM),
        {"kind": "monthly", "month": data.month or month, "file": path.name, **counts},
    )
    return counts

"""The modification ledger (客户信息修改台帐, F3 L440): every completed modification of a period, from the
server's version history (``GET /reports/ledger``, server/ledger.py), shown on a screen and written as
an .xlsx workbook.

The documents name the ledger ("登记、汇总") but give no layout; the columns are issue 17's: No., when
(China time), customer manager, customer code, shop name, field, before, after, path, changed by,
approved by, source. Choices are shown by their label in the user's language, personal numbers as the
server sent them (masked unless the role may see them whole). The first sheet is set up for printing
(landscape A4, one page wide, header repeated), identifier columns are Text; a second sheet holds the
summary per field group, per customer manager and per path. The per-department summary the documents
ask for waits for the fields' owning departments (issue 17, "Departments and who owns a field").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from app.errors import UserFacingError
from app.export.xlsx import TEXT, Column, write_sheet
from app.i18n import N_, current_language, translate
from app.models import times
from app.models.catalogue import FormDefinition
from app.models.record import SOURCE_MSGIDS, Provenance, Source
from app.models.remote import Ledger, LedgerPath, LedgerRow
from app.services import syncing
from app.services.exporting import export_value
from app.services.session import Session

PATH_MSGIDS = {
    LedgerPath.OWN_SAVE: N_("Customer manager's own change"),
    LedgerPath.REVIEW: N_("Approved on review"),
    LedgerPath.BULK: N_("Bulk maintenance"),
    LedgerPath.SYSTEM: N_("System"),
    LedgerPath.OTHER: N_("Other (manager's edit, handover)"),
    LedgerPath.COUNTY: N_("County-initiated change"),
    LedgerPath.CITY: N_("City task order"),
    LedgerPath.EMERGENCY: N_("Emergency change"),
}
#: the ledger's columns: (header msgid, width, Text format)
COLUMNS = (
    (N_("No."), 6.0, False),
    (N_("Completed at"), 17.0, False),
    (N_("Customer manager"), 12.0, False),
    (N_("Customer code"), 15.0, True),
    (N_("Shop name"), 22.0, False),
    (N_("Changed item"), 14.0, False),
    (N_("Before"), 20.0, True),
    (N_("After"), 20.0, True),
    (N_("Path"), 14.0, False),
    (N_("Changed by"), 10.0, False),
    (N_("Approved by"), 10.0, False),
    (N_("Source"), 8.0, False),
)


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The previous calendar month (what the monthly filings cover)."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def check_period(start: dt.date, end: dt.date, today: dt.date) -> None:
    if end < start:
        raise UserFacingError(N_("The end of the period comes before its start."))
    if start > today:
        raise UserFacingError(N_("That period has not begun yet."))


def fetch(session: Session, start: dt.date, end: dt.date, collector: str | None = None) -> Ledger:
    """The period's ledger from the server (a SyncError says why when it cannot be reached)."""
    check_period(start, end, times.now().date())
    client = syncing.client_for(session)
    try:
        return client.ledger(start.isoformat(), end.isoformat(), collector or None)
    finally:
        client.close()


def _person(name: str | None, shown: str | None) -> str:
    return shown or name or ""


def _value(form: FormDefinition, row: LedgerRow, value: Any, lang: str) -> Any:
    spec = form.get(row.field)
    if spec is None:
        return "" if value is None else str(value)
    x = export_value(spec, value, lang)
    if x is None:
        return ""
    return x.isoformat() if isinstance(x, dt.date) else str(x)


def field_label(form: FormDefinition, row: LedgerRow, lang: str) -> str:
    spec = form.get(row.field)
    if spec is not None:
        return spec.label(lang)
    return (row.field_label_zh if lang == "zh_CN" else row.field_label_en) or row.field


def path_label(path: LedgerPath, lang: str | None = None) -> str:
    return translate(PATH_MSGIDS[path], lang)


def source_label(source: str | None, lang: str | None = None) -> str:
    try:
        return translate(SOURCE_MSGIDS[Source(source)], lang) if source else ""
    except ValueError:
        return source or ""


def table(ledger: Ledger, form: FormDefinition, lang: str | None = None) -> list[list[Any]]:
    """The ledger's rows as the screen and the workbook show them (the columns of :data:`COLUMNS`)."""
    lang = lang or current_language()
    return [
        [
            n,
            times.shown(r.completed_at),
            _person(r.collector, r.collector_name),
            r.code or "",
            r.shop_name or "",
            field_label(form, r, lang),
            _value(form, r, r.old, lang),
            _value(form, r, r.new, lang),
            path_label(r.path, lang),
            _person(r.changed_by, r.changed_by_name),
            _person(r.approved_by, r.approved_by_name),
            source_label(r.source, lang),
        ]
        for n, r in enumerate(ledger.rows, start=1)
    ]


def summary_lines(ledger: Ledger, form: FormDefinition, lang: str | None = None) -> list[list[Any]]:
    """The summary as (what, count) pairs: the totals, per field group, per customer manager, per path, per
    owning department."""
    lang = lang or current_language()

    def t(msgid: str) -> str:
        return translate(msgid, lang)

    s = ledger.summary
    out: list[list[Any]] = [
        [t(N_("Period")), f"{ledger.start} – {ledger.end}"],
        [t(N_("Made by")), ledger.display_name or ledger.user],
        [t(N_("Made at")), times.shown(ledger.generated_at)],
        [t(N_("Modifications (changed fields)")), s.total],
        [t(N_("Customers modified")), s.customers],
    ]
    for g in s.by_group:
        group = form.group(g.group) if g.group else None
        name = group.label(lang) if group is not None else (g.label_zh if lang == "zh_CN" else g.label_en)
        out.append([t(N_("Field group: {group}")).format(group=name), g.count])
    for c in s.by_collector:
        out.append([t(N_("Customer manager: {name}")).format(name=_person(c.collector, c.display_name)), c.count])
    for path, n in s.by_path:
        out.append([t(N_("Path: {path}")).format(path=path_label(path, lang)), n])
    for d in s.by_department:  # per department that owns the changed fields (F3 L440: 各相关部门…汇总)
        out.append([t(N_("Department: {name}")).format(name=d.name), d.count])
    return out


def write(
    ledger: Ledger, form: FormDefinition, path: Path, lang: str | None = None, scratch_dir: Path | None = None
) -> int:
    """Write the workbook: the ledger (printable), then its summary; returns the number of rows."""
    lang = lang or current_language()
    cols = [Column(translate(h, lang), w, number_format=TEXT if text else None) for h, w, text in COLUMNS]
    rows: Iterable[Sequence[Any]] = table(ledger, form, lang)
    summary_cols = [Column(translate(N_("Item"), lang), 40.0), Column(translate(N_("Value"), lang), 60.0)]
    try:
        return write_sheet(
            path,
            cols,
            rows,
            title=translate(N_("Modification ledger"), lang),
            extra_sheets=[(translate(N_("Summary"), lang), summary_cols, summary_lines(ledger, form, lang))],
            printable=True,
            scratch_dir=scratch_dir,
        )
    except OSError as exc:
        raise UserFacingError(
            N_("{file} cannot be written: {reason}."), file=str(path), reason=exc.strerror or str(exc)
        ) from None


def save(session: Session, ledger: Ledger, path: Path, lang: str | None = None) -> int:
    """Write a ledger already fetched and audit the export (period, collector, rows, masked)."""
    n = write(ledger, session.form, path, lang, session._profile.scratch_dir)
    session._archive.audit.record_action(
        "report",
        "export",
        Provenance(session.user, Source.SYSTEM),
        {
            "kind": "ledger",
            "start": ledger.start,
            "end": ledger.end,
            "collector": ledger.collector,
            "file": path.name,
            "rows": n,
            "masked": ledger.masked,
        },
    )
    return n

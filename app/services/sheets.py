"""Spreadsheet templates, validation, all-or-nothing import, and export.

Sheet conventions: the header row holds field keys, zh labels or en labels; an
optional ``id`` column names existing records; dates are date cells or
``YYYY-MM-DD``; booleans TRUE/FALSE, 是/否 or 1/0; GPS ``latitude,longitude``.
Photo columns are not imported (photos are added in the app).

An import streams the sheet in batches inside *one* write transaction, keeping
only the problems in memory; if any row has an error the transaction is rolled
back (in ``ImportMode.WRITE``), so nothing is half-imported and memory stays flat. What a pass
does is its ``ImportMode``: check the file alone, check it against the archive, write it all or
nothing, or write the rows without errors.

Bulk maintenance (大批量维护): every pass also records, for the rows without errors, what they
change (``SheetResult.diffs``: field label, old → new as the user reads it; new rows marked new),
at most ``MAX_DIFFS`` rows, the rest only counted; and the customers whose changes need review
(``review_ids``), which ``submit_changed`` submits after the import with the note
"大批量维护: <file>".
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

from app.errors import UserFacingError
from app.export.reading import EXTENSIONS, SheetChoiceNeeded, choose_sheets, open_book
from app.export.xlsx import Column, write_sheet
from app.i18n import N_, current_language, translate
from app.models import times
from app.models.catalogue import FieldType, FormDefinition
from app.models.record import (
    CustomerStatus,
    Provenance,
    Source,
)
from app.models.wire import UserRole
from app.services import records
from app.services.exporting import ID_COLUMN, field_column
from app.services.session import Session
from app.services.sheet_import import SheetImport
from app.services.sheet_results import (
    ImportMode,
    Progress,
    SheetResult,
)
from app.storage.archive import Archive
from app.validation import Issue, Report, Severity
from app.validation.sheetmap import HeaderMap, map_columns


def submit_changed(session: Any, result: SheetResult, sheet_name: str) -> tuple[list[str], dict[str, Report]]:
    """After a bulk update (大批量维护) was written: submit the changed customers whose changes need
    review, with the note "大批量维护: <file>". A collector's approved customer goes back to draft
    first (what the server does with such a change). Returns (submitted, refused with their report)."""
    if not result.written or not result.review_ids:
        return [], {}
    arc = session._archive
    current = arc.customers.many(result.review_ids)
    reopen = [i for i, c in current.items() if c.status is CustomerStatus.APPROVED]
    if reopen and session.role == UserRole.COLLECTOR:
        arc.customers.set_status(reopen, CustomerStatus.DRAFT, Provenance(session.user, Source.IMPORT, sheet_name))
    note = translate(N_("Bulk maintenance: {file}")).format(file=sheet_name)
    return records.submit(session, result.review_ids, note=note)


def process_sheet(
    path: Path,
    form: FormDefinition,
    archive: Archive | None,
    *,
    actor: str,
    role: str = UserRole.COLLECTOR,
    mode: ImportMode = ImportMode.CHECK,
    today: dt.date | None = None,
    lang: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    sheet: str | None = None,
) -> SheetResult:
    """Check (and, as ``mode`` says, import) a spreadsheet: the sheet named by ``sheet``, every sheet
    with data (``"all"``), or (None) the only sheet with data. When several sheets hold data and
    none was chosen, nothing is checked: the result lists them (``sheet_choices``) with an error.

    ``archive`` is None exactly in ``ImportMode.FILE_ONLY`` (a ValueError otherwise).
    A file that cannot be read raises SheetError (a UserFacingError: what is wrong, what to do)."""
    lang = lang or current_language()
    headers = HeaderMap(form)
    job = SheetImport(
        form, archive, mode, role=role, actor=actor, today=today or times.today(), source_ref=path.name, lang=lang
    )
    res = job.result
    book = open_book(path, headers.score)
    try:
        res.active_sheet = book.active.name
        try:
            names = choose_sheets(book, sheet)
        except SheetChoiceNeeded as exc:
            res.sheet_choices = exc.names
            job.problem(
                1, Issue.make("", Severity.ERROR, "sheet.choose", file=path.name, sheets="、".join(exc.names)), label=""
            )
            return res
        job.multi = len(names) > 1
        res.ignored_sheets = [s.name for s in book.sheets if s.visible and s.has_content and s.name not in names]
        parts = []
        total = 0
        for name in names:
            table = book.table(name)
            job.sheet = name
            res.sheets.append(name)
            res.header_rows[name] = table.header_row
            mapping, col_issues, unknown = map_columns(form, table.header, headers)
            for issue in col_issues:
                job.problem(table.header_row, issue)
            for _i, h in unknown:
                res.ignored_columns.append(f"{name}: {h}" if job.multi else h)
                if not any(i.code == "column.close" and dict(i.params).get("column") == h for i in col_issues):
                    job.problem(table.header_row, Issue.make(h, Severity.WARNING, "unknown_field"), label=h)
            if not any(k in form for k in mapping.values()):
                job.problem(table.header_row, Issue.make("", Severity.ERROR, "sheet.no_fields"), label="")
            parts.append((name, iter(table), mapping))
            total += table.estimated_rows
        if res.has_errors:
            return res
        return job.run(parts, progress=progress, cancel=cancel, total=total)
    finally:
        book.close()


def sheet_in_archive(session: Session, path: Path, **options: Any) -> SheetResult:
    """``process_sheet`` against the session's archive, with its form, as its user and role
    (``options``: the rest of ``process_sheet``'s keywords)."""
    return process_sheet(path, session.form, session._archive, actor=session.user, role=session.role, **options)


def intake_summary(result: SheetResult, lang: str | None = None) -> list[str]:
    """What was read, in a few lines: the sheets (and header rows), how many columns were ignored
    (always said, even 0), and the sheets with content that were not read."""
    lines = []
    if result.sheets:
        lines.append(
            translate(N_("Read: {sheets}."), lang).format(
                sheets="; ".join(
                    translate(N_("sheet “{sheet}”, header in row {row}"), lang).format(
                        sheet=s, row=result.header_rows.get(s, 1)
                    )
                    for s in result.sheets
                )
            )
        )
    n = len(result.ignored_columns)
    line = translate(N_("Columns ignored: {n}."), lang).format(n=n)
    if n:
        line += " " + "、".join(result.ignored_columns[:30]) + (" …" if n > 30 else "")
    lines.append(line)
    if result.ignored_sheets:
        lines.append(translate(N_("Sheets not read: {sheets}."), lang).format(sheets="、".join(result.ignored_sheets)))
    return lines


#: The open dialog's filter: every type the reader takes (it tells the format by the file's content).
IMPORT_FILTER = "*" + " *".join(EXTENSIONS)


def write_template(form: FormDefinition, path: Path, lang: str | None = None) -> None:
    """An empty import sheet (labels, drop-down lists, identifier columns as Text and date columns as
    dates, the id last) and a sheet that explains every field."""
    lang = lang or current_language()
    fields = [f for f in form.visible_fields if f.type is not FieldType.PHOTO]
    cols = [field_column(f, lang, choices=True) for f in fields] + [ID_COLUMN]
    req = {
        "national": translate(N_("Required (national) *"), lang),
        "provincial": translate(N_("Required (provincial)"), lang),
        "optional": translate(N_("Optional"), lang),
    }
    guide_cols = [
        Column(translate(N_("Column"), lang), 24.0),
        Column(translate(N_("Key"), lang), 22.0),
        Column(translate(N_("Type"), lang), 14.0),
        Column(translate(N_("Required"), lang), 18.0),
        Column(translate(N_("Allowed values"), lang), 40.0),
        Column(translate(N_("Help"), lang), 60.0),
    ]
    guide = [
        [
            f.label(lang),
            f.key,
            f.type.value,
            req[f.required.value],
            "、".join(c.label(lang) for c in f.choices)
            if lang == "zh_CN"
            else "; ".join(c.label(lang) for c in f.choices),
            f.help(lang),
        ]
        for f in fields
    ]
    guide.append(
        [
            "id",
            "id",
            "uuid",
            req["optional"],
            "",
            translate(N_("Leave empty for a new customer; an exported id updates that customer."), lang),
        ]
    )
    try:
        write_sheet(
            path,
            cols,
            [],
            title=translate(N_("Customers"), lang),
            extra_sheets=[(translate(N_("Instructions"), lang), guide_cols, guide)],
        )
    except OSError as exc:
        raise UserFacingError(
            N_("{file} cannot be written: {reason}."), file=str(path), reason=exc.strerror or str(exc)
        ) from None

"""The command line's spreadsheet commands: ``template``, ``validate``, ``import`` (with ``--submit``:
bulk maintenance) and ``export``, and the summary they print (text or ``--json``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.commands.common import (
    CliError,
    open_session,
    say,
    say_json,
)
from app.i18n import N_, _, ngettext, translate
from app.models.wire import UserRole


def cmd_template(args: argparse.Namespace) -> int:
    from app.services.session import current_form
    from app.services.sheets import write_template

    write_template(current_form(), Path(args.out), args.lang)
    say(_("Template written to {file}.").format(file=args.out))
    return 0


#: Text output lists at most this many row numbers on a line ("rows 2, 3, 5 … and 1,234 more") and cuts a
#: problem's message after MAX_MESSAGE characters: a sheet with 100k bad rows or a 650 KB cell never
#: becomes one line of that size. ``--json`` has every count, and the problems kept (MAX_PROBLEMS).
MAX_LISTED_ROWS = 20
MAX_MESSAGE = 300


def rows_text(rows: Sequence[int], limit: int = MAX_LISTED_ROWS) -> str:
    """``2, 3, 5 … and 1,234 more`` (localized): the first ``limit`` row numbers and how many more."""
    shown = ", ".join(map(str, rows[:limit]))
    if len(rows) <= limit:
        return shown
    return _("{rows} … and {n} more").format(rows=shown, n=f"{len(rows) - limit:,}")


def cut(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sheet_summary(result: Any, file: str, write: bool) -> dict[str, Any]:
    """What ``validate --json`` and ``import --json`` print: the totals and the problems kept."""
    out: dict[str, Any] = {
        "file": file,
        "rows": result.rows,
        "totals": {
            "error": result.counts.get("error", 0),
            "warning": result.counts.get("warning", 0),
            "missing": result.counts.get("missing", 0),
        },
        "sheets": [{"name": n, "header_row": result.header_rows.get(n)} for n in result.sheets],
        "ignored_columns": result.ignored_columns,
        "ignored_sheets": result.ignored_sheets,
        "rows_with_errors": len(result.rows_with_errors),
        "listed": len(result.problems),
        "not_listed": result.problems_omitted,
        "new_rows": result.new_rows,
        "changed_rows": result.changed_rows,
        "problems": [p.to_dict() for p in result.problems],
    }
    if write:
        out.update(
            written=result.written,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            skipped_rows=len(result.skipped_rows),
        )
    return out


def _report(result: Any, as_json: bool, lang: str, file: str = "", write: bool = False) -> None:
    if as_json:
        say_json(sheet_summary(result, file, write))
    else:
        names = {"error": N_("error"), "warning": N_("warning"), "missing": N_("missing")}
        for p in result.problems:
            row = f"{p.sheet} {p.row}" if p.sheet else p.row
            say(
                _("Row {row} · {severity}: {message}").format(
                    row=row, severity=translate(names[p.severity], lang), message=cut(p.message)
                )
            )
    counts = result.counts
    if result.problems_omitted:
        sys.stderr.write(
            ngettext(
                "{n} more problem is counted but not listed.",
                "{n} more problems are counted but not listed.",
                result.problems_omitted,
            ).format(n=result.problems_omitted)
            + "\n"
        )
    sys.stderr.write(
        _("{rows} checked: {errors}, {warnings}, {missing}.").format(
            rows=ngettext("{n} row", "{n} rows", result.rows).format(n=result.rows),
            errors=ngettext("{n} error", "{n} errors", counts["error"]).format(n=counts["error"]),
            warnings=ngettext("{n} warning", "{n} warnings", counts["warning"]).format(n=counts["warning"]),
            missing=ngettext("{n} missing value", "{n} missing values", counts["missing"]).format(n=counts["missing"]),
        )
        + "\n"
    )
    from app.services.sheets import intake_summary

    for line in intake_summary(result, lang):
        sys.stderr.write(line + "\n")


def _sheet(args: argparse.Namespace, write: bool) -> int:
    from app.services.session import current_form
    from app.services.sheet_results import ImportMode
    from app.services.sheets import process_sheet, sheet_in_archive
    from app.storage.profile import Profile

    path = Path(args.file)
    if not path.is_file():
        raise CliError(N_("{file} does not exist."), file=args.file)
    session = open_session(args) if (write or Profile(args.profile).exists()) else None
    try:
        form = session.form if session else current_form()
        mode = (
            ImportMode.FILE_ONLY
            if session is None
            else ImportMode.CHECK
            if not write
            else ImportMode.WRITE_VALID_ROWS
            if getattr(args, "skip_invalid", False)
            else ImportMode.WRITE
        )
        options: dict[str, Any] = dict(mode=mode, lang=args.lang, sheet=getattr(args, "sheet", None))
        result = (
            sheet_in_archive(session, path, **options)
            if session
            else process_sheet(path, form, None, actor="", role=UserRole.COLLECTOR, **options)
        )
        submitted: list[str] = []
        refused: dict[str, Any] = {}
        if write and session and getattr(args, "submit", False) and result.written:
            from app.services.sheets import submit_changed

            submitted, refused = submit_changed(session, result, path.name)
    finally:
        if session:
            session.close()
    _report(result, args.json, args.lang, path.name, write)
    if submitted or refused:
        sys.stderr.write(
            ngettext(
                "Submitted for review: {n} changed customer; {m} could not be submitted.",
                "Submitted for review: {n} changed customers; {m} could not be submitted.",
                len(submitted),
            ).format(n=len(submitted), m=len(refused))
            + "\n"
        )
    if write:
        if result.written:
            msg = _("Imported: {created} new, {updated} updated, {unchanged} unchanged.").format(
                created=result.created, updated=result.updated, unchanged=result.unchanged
            )
            if result.skipped_rows:
                msg += " " + _("Skipped rows with errors: {rows}.").format(rows=rows_text(result.skipped_rows))
            sys.stderr.write(msg + "\n")
        else:
            sys.stderr.write(
                _("Nothing was imported: rows {rows} have errors.").format(rows=rows_text(result.error_rows)) + "\n"
            )
    return 1 if result.has_errors else 0


def cmd_validate(args: argparse.Namespace) -> int:
    return _sheet(args, write=False)


def cmd_import(args: argparse.Namespace) -> int:
    return _sheet(args, write=True)


def cmd_export(args: argparse.Namespace) -> int:
    from app.services.exporting import export_archive

    session = open_session(args)
    try:
        groups = [g.strip() for g in (args.groups or "").split(",") if g.strip()] or None
        known = {g.key for g in session.form.groups}
        unknown = [g for g in groups or [] if g not in known]
        if unknown:
            raise CliError(
                N_("Unknown field group {groups}; the groups are: {known}."),
                groups=", ".join(unknown),
                known=", ".join(g.key for g in session.form.groups),
            )
        n = export_archive(
            session,
            Path(args.out),
            lang=args.lang,
            groups=groups,
            meta=not args.no_meta,
            unmasked=args.unmasked,
            request_id=args.request,
        )
    finally:
        session.close()
    sys.stderr.write(
        ngettext("Exported {n} customer to {file}.", "Exported {n} customers to {file}.", n).format(n=n, file=args.out)
        + "\n"
    )
    return 0

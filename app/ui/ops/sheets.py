"""Operations on spreadsheets: check one (nothing written), import it, export the list, write the import
template. The first three run on the DB thread behind a progress dialog that can cancel it (``app.ui.ops.progress``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QProgressDialog

from app.i18n import _
from app.services.events import Changes
from app.services.exporting import export_archive
from app.services.sheet_results import ImportMode, SheetResult
from app.services.sheets import sheet_in_archive, submit_changed, write_template
from app.ui.context import UiContext
from app.ui.ops.progress import run_with_progress
from app.ui.tasks import DbOp

Imported = tuple[SheetResult, Any]  # the import, and (submitted, refused) when it also submitted


def check_sheet(
    ctx: UiContext, parent: Any, sheet: Path, which: str | None, done: Callable[[SheetResult], Any]
) -> QProgressDialog:
    """Check ``sheet`` against the archive (nothing written): ``which`` sheet, ``"all"``, or None (the only one)."""

    def work(s: Any, progress: Callable[[int, int], None], cancel: Any) -> SheetResult:
        return sheet_in_archive(s, sheet, mode=ImportMode.CHECK, progress=progress, cancel=cancel, sheet=which)

    return run_with_progress(ctx, parent, _("Checking {file}…").format(file=sheet.name), work, done)


def import_sheet(
    ctx: UiContext,
    parent: Any,
    sheet: Path,
    which: str | None,
    *,
    mode: ImportMode,
    submit: bool,
    done: Callable[[Imported], Any],
    cancelled: Callable[[], Any],
) -> QProgressDialog:
    """Import ``sheet`` as ``mode`` says (WRITE: all or nothing; WRITE_VALID_ROWS: the rows without errors), and
    with ``submit`` submit the changed customers for review; announces that any customer may have changed."""

    def work(s: Any, progress: Callable[[int, int], None], cancel: Any) -> Imported:
        result = sheet_in_archive(s, sheet, mode=mode, progress=progress, cancel=cancel, sheet=which)
        return result, (submit_changed(s, result, sheet.name) if submit else None)

    return run_with_progress(
        ctx,
        parent,
        _("Importing {file}…").format(file=sheet.name),
        work,
        done,
        cancelled=cancelled,
        changes=lambda _out: Changes.everything(),
    )


def export_customers(
    ctx: UiContext,
    parent: Any,
    target: Path,
    pks: Sequence[int] | None,
    *,
    lang: str,
    groups: Any,
    meta: bool,
    unmasked: bool = False,
    request_id: str | None = None,
    done: Callable[[int], Any],
    cancelled: Callable[[], Any],
) -> QProgressDialog:
    """Write the customers ``pks`` (all when None) to ``target``; ``done(rows written)``. ID and bank
    numbers in full (``unmasked``), or an admin's export of personal fields, under the approved export
    request ``request_id`` (refused without one, with what to do)."""

    def work(s: Any, progress: Callable[[int, int], None], cancel: Any) -> int:
        return export_archive(
            s,
            target,
            lang=lang,
            pks=pks,
            groups=groups,
            meta=meta,
            unmasked=unmasked,
            request_id=request_id,
            progress=progress,
            cancel=cancel,
        )

    return run_with_progress(ctx, parent, _("Exporting…"), work, done, cancelled=cancelled)


def template(ctx: UiContext, parent: Any, target: Path, lang: str) -> DbOp[None]:
    """The import template of the form in force, with its headers in ``lang``."""
    return ctx.op(lambda s: write_template(s.form, target, lang), parent)

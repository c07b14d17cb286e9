"""Import, export, template and backup from the menus; all in the background with progress and cancel.

An import is first checked (nothing written), its changes and problems shown row by row
(app.ui.import_preview); the user then imports everything, or the rows without errors. A
cancelled import changes nothing. An export asks for its options first (app.ui.export_dialog), with
the user's approved export requests when it needs one, and Request… (app.ui.requests.dialog).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from app.i18n import _, ngettext
from app.models import times
from app.services.sheet_results import SheetResult
from app.services.sheets import IMPORT_FILTER
from app.ui.context import UiContext
from app.ui.errors import info
from app.ui.export_dialog import ExportOptions, ExportOptionsDialog
from app.ui.import_preview import ImportPreview
from app.ui.ops import access as access_ops
from app.ui.ops import maintenance as maintenance_ops
from app.ui.ops import sheets as sheet_ops
from app.ui.requests.dialog import RequestDialog
from app.ui.style import MUTED

XLSX = "Excel (*.xlsx)"
__all__ = ["choose_export", "choose_import", "choose_template", "choose_backup"]


def import_filter() -> str:
    return _("Spreadsheets ({patterns})").format(patterns=IMPORT_FILTER) + ";;" + XLSX + ";;" + _("All files (*)")


def choose_import(ctx: UiContext, parent: QWidget) -> None:
    path, _f = QFileDialog.getOpenFileName(parent, _("Import customers"), ctx.settings.last_export_dir, import_filter())
    if not path:
        return
    check_sheet(ctx, parent, Path(path), None)


def check_sheet(ctx: UiContext, parent: QWidget, sheet: Path, which: str | None) -> None:
    """Check ``sheet`` (nothing written) and show the preview; when several sheets hold data, ask which."""

    def done(result: SheetResult) -> None:
        if result.sheet_choices and which is None:
            chosen = ask_sheet(parent, sheet.name, result.sheet_choices, result.active_sheet)
            if chosen is not None:
                check_sheet(ctx, parent, sheet, chosen)
            return
        ImportPreview(ctx, sheet, result, parent, recheck=lambda: check_sheet(ctx, parent, sheet, which)).open()

    sheet_ops.check_sheet(ctx, parent, sheet, which, done)


def ask_sheet(parent: QWidget, file: str, names: list[str], active: str) -> str | None:
    """Several sheets hold data: which one (the one the file opens on first), or all."""
    every = ngettext("All {n} sheet", "All {n} sheets", len(names)).format(n=len(names))
    items = sorted(names, key=lambda n: n != active) + [every]
    item, ok = QInputDialog.getItem(
        parent,
        _("Import customers"),
        _("{file} has data on several sheets. Which one should be imported?").format(file=file),
        items,
        0,
        False,
    )
    if not ok:
        return None
    return "all" if item == every else item


def choose_export(ctx: UiContext, parent: QWidget, pks: list[int] | None) -> ExportOptionsDialog:
    """Export the customers ``pks`` (the list as shown; all when None): options first, then the file."""
    ctx._session()  # unlocked, or a message
    form = ctx.form
    assert form is not None  # unlocked (just checked), so the session's form is known
    dialog = ExportOptionsDialog(form, ctx.settings, len(pks) if pks is not None else None, parent)
    dialog.accepted.connect(lambda: _export_to_file(ctx, parent, pks, dialog.options()))
    dialog.finished.connect(dialog.deleteLater)
    dialog.sig_request.connect(lambda: ask_for_request(ctx, dialog))
    dialog.open()
    access_ops.export_access(ctx, dialog).success(dialog.set_access).run()
    return dialog


def ask_for_request(ctx: UiContext, dialog: ExportOptionsDialog) -> RequestDialog:
    """Request… in the export dialog: the request dialog, then say what happens next."""
    ask = RequestDialog(ctx, dialog, unmasked=dialog.unmasked.isChecked())

    def sent(_r: object) -> None:
        dialog.request_hint.setStyleSheet(f"color: {MUTED}")
        dialog.request_hint.setText(
            _(
                "Request sent. Once your market manager or an admin approves it, it can be chosen here "
                "(after the next sync, or after opening Archive → Export requests…)."
            )
        )

    ask.sig_sent.connect(sent)
    ask.finished.connect(ask.deleteLater)
    ask.open()
    dialog.request_dialog = ask
    return ask


def _export_to_file(ctx: UiContext, parent: QWidget, pks: list[int] | None, opts: ExportOptions) -> None:
    name = _("customers-{date}.xlsx").format(date=times.today().strftime("%Y%m%d"))
    start = str(Path(ctx.settings.last_export_dir) / name) if ctx.settings.last_export_dir else name
    path, _f = QFileDialog.getSaveFileName(parent, _("Export customers"), start, XLSX)
    if not path:
        return
    target = Path(path if path.lower().endswith(".xlsx") else path + ".xlsx")
    _remember_dir(ctx, target)

    sheet_ops.export_customers(
        ctx,
        parent,
        target,
        pks,
        lang=opts.lang,
        groups=opts.groups,
        meta=opts.meta,
        unmasked=opts.unmasked,
        request_id=opts.request_id,
        done=lambda n: info(
            parent,
            ngettext("Exported {n} customer to {file}.", "Exported {n} customers to {file}.", n).format(
                n=n, file=target
            ),
        ),
        cancelled=lambda: info(parent, _("The export was cancelled; no file was written.")),
    )


def _remember_dir(ctx: UiContext, target: Path) -> None:
    ctx.settings.last_export_dir = str(target.parent)
    try:
        ctx.settings.save()
    except OSError:
        pass


def choose_template(ctx: UiContext, parent: QWidget) -> None:
    path, _f = QFileDialog.getSaveFileName(parent, _("Import template"), _("import-template.xlsx"), XLSX)
    if path:
        lang = ctx.settings.ui_language
        sheet_ops.template(ctx, parent, Path(path), lang).success(
            lambda _r: info(parent, _("Template written to {file}.").format(file=path))
        ).run()


def choose_backup(ctx: UiContext, parent: QWidget) -> None:
    path, _f = QFileDialog.getSaveFileName(parent, _("Back up the archive"), "", _("FieldArchive backup (*.fabak)"))
    if path:
        target = Path(path if path.endswith(".fabak") else path + ".fabak")
        maintenance_ops.backup(ctx, parent, target).success(
            lambda p: info(parent, _("Backup written to {file}.").format(file=p))
        ).run()

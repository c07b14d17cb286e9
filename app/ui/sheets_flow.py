"""Import, export, template and backup from the menus; all in the background with progress and cancel.

An import is first checked (nothing written), its problems shown row by row; the user then
imports everything, or the rows without errors. A cancelled import changes nothing.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLabel, QTableWidget, QTableWidgetItem, \
    QVBoxLayout, QWidget

from app.i18n import _, translate
from app.services.sheets import SheetResult, export_customers, process_sheet, write_template
from app.ui.context import UiContext
from app.ui.errors import info
from app.ui.export_dialog import ExportOptions, ExportOptionsDialog
from app.ui.progress import run_with_progress

XLSX = "Excel (*.xlsx)"
SEVERITY = {"error": "error", "warning": "warning", "missing": "missing"}


def choose_import(ctx: UiContext, parent: QWidget) -> None:
    path, _f = QFileDialog.getOpenFileName(parent, _("Import customers"), ctx.settings.last_export_dir, XLSX)
    if not path:
        return
    sheet = Path(path)

    def check(s: Any, progress: Callable[[int, int], None], cancel: Any) -> SheetResult:
        return process_sheet(sheet, s.form, s.archive, actor=s.user, role=s.role, write=False, progress=progress,
                             cancel=cancel)

    run_with_progress(ctx, parent, _("Checking {file}…").format(file=sheet.name), check,
                      lambda result: ImportPreview(ctx, sheet, result, parent).open())


class ImportPreview(QDialog):
    def __init__(self, ctx: UiContext, sheet: Path, result: SheetResult, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self.sheet, self.result = ctx, sheet, result
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(_("Import {file}").format(file=sheet.name))
        counts = {s: sum(1 for p in result.problems if p.severity == s) for s in SEVERITY}
        summary = QLabel(_("{rows} rows: {errors} errors in {bad} rows, {warnings} warnings, {missing} missing values.")
                         .format(rows=result.rows, errors=counts["error"], bad=len(result.error_rows),
                                 warnings=counts["warning"], missing=counts["missing"]), self)
        summary.setWordWrap(True)
        table = QTableWidget(0, 4, self)
        table.setHorizontalHeaderLabels([_("Row"), _("Severity"), _("Field"), _("Problem")])
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        shown = [p for p in result.problems if p.severity != "missing"][:2000]
        table.setRowCount(len(shown))
        for r, p in enumerate(shown):
            for c, text in enumerate((str(p.row), translate(SEVERITY[p.severity]), p.field, p.message)):
                table.setItem(r, c, QTableWidgetItem(text))
        buttons = QDialogButtonBox(self)
        if result.has_errors:
            skip = buttons.addButton(_("Import the rows without errors"), QDialogButtonBox.ButtonRole.AcceptRole)
            skip.clicked.connect(lambda: self._import(skip_invalid=True))
        else:
            go = buttons.addButton(_("Import"), QDialogButtonBox.ButtonRole.AcceptRole)
            go.clicked.connect(lambda: self._import(skip_invalid=False))
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(table, 1)
        layout.addWidget(buttons)
        self.resize(820, 520)

    def _import(self, skip_invalid: bool) -> None:
        sheet, parent, ctx = self.sheet, self.parentWidget(), self.ctx
        self.accept()

        def work(s: Any, progress: Callable[[int, int], None], cancel: Any) -> SheetResult:
            return process_sheet(sheet, s.form, s.archive, actor=s.user, role=s.role, write=True,
                                 skip_invalid=skip_invalid, progress=progress, cancel=cancel)

        def done(result: SheetResult) -> None:
            ctx.sig_data_changed.emit("")
            if result.written:
                info(parent, _("Imported: {created} new, {updated} updated, {unchanged} unchanged.").format(
                    created=result.created, updated=result.updated, unchanged=result.unchanged))
            else:
                info(parent, _("Nothing was imported: rows {rows} have errors.").format(
                    rows=", ".join(map(str, result.error_rows[:20]))))

        run_with_progress(ctx, parent, _("Importing {file}…").format(file=sheet.name), work, done,
                          cancelled=lambda: info(parent, _("The import was cancelled; nothing was changed.")))


def choose_export(ctx: UiContext, parent: QWidget, pks: list[int] | None) -> ExportOptionsDialog:
    """Export the customers ``pks`` (the list as shown; all when None): options first, then the file."""
    form = ctx._session().form
    dialog = ExportOptionsDialog(form, ctx.settings, len(pks) if pks is not None else None, parent)
    dialog.accepted.connect(lambda: _export_to_file(ctx, parent, pks, dialog.options()))
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog


def _export_to_file(ctx: UiContext, parent: QWidget, pks: list[int] | None, opts: ExportOptions) -> None:
    name = _("customers-{date}.xlsx").format(date=dt.date.today().strftime("%Y%m%d"))
    start = str(Path(ctx.settings.last_export_dir) / name) if ctx.settings.last_export_dir else name
    path, _f = QFileDialog.getSaveFileName(parent, _("Export customers"), start, XLSX)
    if not path:
        return
    target = Path(path if path.lower().endswith(".xlsx") else path + ".xlsx")
    _remember_dir(ctx, target)

    def work(s: Any, progress: Callable[[int, int], None], cancel: Any) -> int:
        return export_customers(s.archive, s.form, target, lang=opts.lang, pks=pks, groups=opts.groups,
                                meta=opts.meta, actor=s.user, progress=progress, cancel=cancel)

    run_with_progress(ctx, parent, _("Exporting…"), work,
                      lambda n: info(parent, _("Exported {n} customers to {file}.").format(n=n, file=target)),
                      cancelled=lambda: info(parent, _("The export was cancelled; no file was written.")))


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
        ctx.op(lambda s: write_template(s.form, Path(path), lang), parent).success(
            lambda _r: info(parent, _("Template written to {file}.").format(file=path))).run()


def choose_backup(ctx: UiContext, parent: QWidget) -> None:
    path, _f = QFileDialog.getSaveFileName(parent, _("Back up the archive"), "", _("FieldArchive backup (*.fabak)"))
    if path:
        target = Path(path if path.endswith(".fabak") else path + ".fabak")
        ctx.op(lambda s: s.profile.backup(s.archive, target), parent).success(
            lambda p: info(parent, _("Backup written to {file}.").format(file=p))).run()

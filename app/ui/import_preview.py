"""The preview of a checked import (nothing written yet): for each row, what it would change.

Changes tab: a row that updates a customer lists its changed fields (label: old → new), a new
customer is marked new, and a row's problems are listed under it. Problems tab: every problem,
row by row, each field by its label. "Check again" reads the file once more (after it was fixed
in the spreadsheet program) and shows a fresh preview: problems that were fixed are gone. Importing
is all-or-nothing (or the rows without errors); after a successful bulk
update (大批量维护) the changed customers whose changes need approval can be submitted for review
with the note "大批量维护: <file>" (on by default).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, current_language, ngettext, translate
from app.services.sheet_results import ImportMode, Problem, RowDiff, SheetResult
from app.services.sheets import intake_summary
from app.ui import geometry
from app.ui.context import UiContext
from app.ui.errors import info
from app.ui.ops import sheets as sheet_ops

SEVERITY = {"error": "error", "warning": "warning", "missing": "missing"}
MAX_PROBLEM_ROWS = 2000
COLOURS = {"error": "#c62828", "warning": "#ef6c00", "new": "#2e7d32"}


class ImportPreview(QDialog):
    result: SheetResult  # type: ignore[assignment]  # shadows QDialog.result(), which nothing here calls

    def __init__(
        self,
        ctx: UiContext,
        sheet: Path,
        result: SheetResult,
        parent: QWidget,
        recheck: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.sheet, self.result = ctx, sheet, result
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(_("Import {file}").format(file=sheet.name))
        counts = {s: result.counts.get(s, 0) for s in SEVERITY}
        bad = len(result.error_rows)
        summary = QLabel(
            _("{rows}: {errors} in {bad}, {warnings}, {missing}.").format(
                rows=ngettext("{n} row", "{n} rows", result.rows).format(n=result.rows),
                errors=ngettext("{n} error", "{n} errors", counts["error"]).format(n=counts["error"]),
                bad=ngettext("{n} row", "{n} rows", bad).format(n=bad),
                warnings=ngettext("{n} warning", "{n} warnings", counts["warning"]).format(n=counts["warning"]),
                missing=ngettext("{n} missing value", "{n} missing values", counts["missing"]).format(
                    n=counts["missing"]
                ),
            )
            + "\n"
            + _("{new}, {changed}.").format(
                new=ngettext("{n} new customer", "{n} new customers", result.new_rows).format(n=result.new_rows),
                changed=ngettext("{n} customer with changes", "{n} customers with changes", result.changed_rows).format(
                    n=result.changed_rows
                ),
            )
            + "\n"
            + "\n".join(intake_summary(result)),
            self,
        )
        summary.setWordWrap(True)
        problems = [p for p in result.problems if p.severity != "missing"]
        self.tree = self._changes(result, problems)
        self.table = self._problems(problems)
        tabs = QTabWidget(self)
        tabs.addTab(self.tree, _("Changes ({n})").format(n=result.new_rows + result.changed_rows))
        tabs.addTab(self.table, _("Problems ({n})").format(n=counts["error"] + counts["warning"]))
        self.more = QLabel(
            ngettext(
                "… and {n} more row with changes (not listed; all are imported).",
                "… and {n} more rows with changes (not listed; all are imported).",
                result.diffs_omitted,
            ).format(n=result.diffs_omitted),
            self,
        )
        self.more.setVisible(result.diffs_omitted > 0)
        self.submit = QCheckBox(
            ngettext(
                "Then submit the {n} changed customer for review (note: “{note}”)",
                "Then submit the {n} changed customers for review (note: “{note}”)",
                len(result.review_ids),
            ).format(n=len(result.review_ids), note=_("Bulk maintenance: {file}").format(file=sheet.name)),
            self,
        )
        self.submit.setChecked(True)
        self.submit.setVisible(bool(result.review_ids))
        buttons = QDialogButtonBox(self)
        if result.has_errors:
            partial = buttons.addButton(_("Import the rows without errors"), QDialogButtonBox.ButtonRole.AcceptRole)
            partial.clicked.connect(lambda: self._import(ImportMode.WRITE_VALID_ROWS))
        else:
            go = buttons.addButton(_("Import"), QDialogButtonBox.ButtonRole.AcceptRole)
            go.clicked.connect(lambda: self._import(ImportMode.WRITE))
        if recheck is not None:
            again = buttons.addButton(_("Check again"), QDialogButtonBox.ButtonRole.ResetRole)
            again.setToolTip(_("Read the file again (after correcting it) and show what it would do now"))

            def check_again() -> None:
                self.reject()
                recheck()

            again.clicked.connect(check_again)
            self.again = again
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.more)
        layout.addWidget(self.submit)
        layout.addWidget(buttons)
        geometry.fit(self, 900, 600)

    def _changes(self, result: SheetResult, problems: list[Problem]) -> QTreeWidget:
        tree = QTreeWidget(self)
        tree.setHeaderLabels([_("Row"), _("Customer"), _("Field"), _("Old value"), _("New value")])
        by_row: dict[tuple[str, int], list[Problem]] = {}  # (sheet, row): the sheet when several were read
        for p in problems:
            if p.row > result.header_rows.get(p.sheet or (result.sheets[0] if result.sheets else ""), 1):
                by_row.setdefault((p.sheet, p.row), []).append(p)
        diffs = {(d.sheet, d.row): d for d in result.diffs}
        rows = sorted(set(diffs) | set(list(by_row)[:MAX_PROBLEM_ROWS]))
        tree.addTopLevelItems([self._row_item(n, diffs.get(n), by_row.get(n, [])) for n in rows])
        tree.expandAll()
        for i in range(tree.topLevelItemCount()):
            top = tree.topLevelItem(i)
            assert top is not None  # i < topLevelItemCount()
            for j in range(top.childCount()):
                child = top.child(j)
                assert child is not None  # j < childCount()
                if child.data(0, Qt.ItemDataRole.UserRole) == "problem":
                    child.setFirstColumnSpanned(True)
        tree.setColumnWidth(0, 90)
        tree.setColumnWidth(1, 200)
        tree.setColumnWidth(2, 150)
        tree.setColumnWidth(3, 180)
        return tree

    def _row_item(self, key: tuple[str, int], diff: RowDiff | None, problems: list[Problem]) -> QTreeWidgetItem:
        n = f"{key[0]} {key[1]}" if key[0] else key[1]
        if diff is None:
            errors = sum(p.severity == "error" for p in problems)
            what = (
                ngettext("Not imported: {n} error", "Not imported: {n} errors", errors).format(n=errors)
                if errors
                else ""
            )
            item = QTreeWidgetItem([str(n), "", what, "", ""])
        elif diff.new:
            item = QTreeWidgetItem([str(n), diff.name or diff.code, _("New customer"), "", ""])
            item.setForeground(2, QBrush(QColor(COLOURS["new"])))
        else:
            label = f"{diff.code} {diff.name}".strip()
            item = QTreeWidgetItem(
                [
                    str(n),
                    label,
                    ngettext("{n} change", "{n} changes", len(diff.changes)).format(n=len(diff.changes)),
                    "",
                    "",
                ]
            )
            for ch in diff.changes:
                child = QTreeWidgetItem(["", "", ch.label, ch.old, ch.new])
                child.setToolTip(4, f"{ch.label}: {ch.old or '—'} → {ch.new or '—'}")
                item.addChild(child)
        for p in problems:  # one line across all columns (spanned once in the tree)
            child = QTreeWidgetItem([f"{translate(SEVERITY[p.severity])}: {p.message}", "", "", "", ""])
            child.setForeground(0, QBrush(QColor(COLOURS.get(p.severity, "#000000"))))
            child.setToolTip(0, p.message)
            child.setData(0, Qt.ItemDataRole.UserRole, "problem")
            item.addChild(child)
        return item

    def _problems(self, shown: list[Problem]) -> QTableWidget:
        shown = shown[:MAX_PROBLEM_ROWS]
        table = QTableWidget(len(shown), 4, self)
        table.setHorizontalHeaderLabels([_("Row"), _("Severity"), _("Field"), _("Problem")])
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, p in enumerate(shown):
            row = f"{p.sheet} {p.row}" if p.sheet else str(p.row)
            for c, text in enumerate((row, translate(SEVERITY[p.severity]), self._label(p.field), p.message)):
                table.setItem(r, c, QTableWidgetItem(text))
        return table

    def _label(self, key: str) -> str:
        """A field by its label in the catalogue in force (``id_card`` → 身份证号); a column the
        catalogue does not know stays as the file names it."""
        session = self.ctx.session
        spec = session.form.get(key) if session is not None and key else None
        return spec.label(current_language()) if spec is not None else key

    def _import(self, mode: ImportMode) -> None:
        sheet, parent, ctx = self.sheet, self.parentWidget(), self.ctx
        chosen = "all" if len(self.result.sheets) > 1 else (self.result.sheets[0] if self.result.sheets else None)
        submit = self.submit.isChecked() and bool(self.result.review_ids)
        self.accept()

        def done(out: tuple[SheetResult, Any]) -> None:
            result, submitted = out
            if not result.written:
                info(
                    parent,
                    _("Nothing was imported: rows {rows} have errors.").format(
                        rows=", ".join(map(str, result.error_rows[:20]))
                    ),
                )
                return
            text = _("Imported: {created} new, {updated} updated, {unchanged} unchanged.").format(
                created=result.created, updated=result.updated, unchanged=result.unchanged
            )
            if result.skipped_rows:
                text += "\n" + ngettext(
                    "{n} row with errors was skipped (not imported): {rows}",
                    "{n} rows with errors were skipped (not imported): {rows}",
                    len(result.skipped_rows),
                ).format(
                    n=len(result.skipped_rows),
                    rows=", ".join(map(str, result.skipped_rows[:20]))
                    + (" …" if len(result.skipped_rows) > 20 else ""),
                )
            if submitted is not None:
                ok, refused = submitted
                text += "\n" + ngettext(
                    "{ok} customer submitted for review; {refused} not submitted because of errors.",
                    "{ok} customers submitted for review; {refused} not submitted because of errors.",
                    len(ok),
                ).format(ok=len(ok), refused=len(refused))
            info(parent, text)

        sheet_ops.import_sheet(
            ctx,
            parent,
            sheet,
            chosen,
            mode=mode,
            submit=submit,
            done=done,
            cancelled=lambda: info(parent, _("The import was cancelled; nothing was changed.")),
        )

"""The monthly filings' section of the to-do list (待办, Archive → To-do…; issue 17): what the signed-in user
owes for the month just ended (due by the 3rd; the reminder from a few working days before) and what is
overdue from earlier months, red; filing the chosen one (a note; the special-use form's rows; the three
self-inspection documents) and saving it as its workbook. A section of its own beside the onboarding steps.

The list is the server's (app.services.filings), asked on the network pool; without a sign-in or a
connection the section says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import N_, _, ngettext
from app.models import times
from app.models.filings import Filing, FilingsOwed
from app.services import filings as service
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.list_section import ListSection, with_overdue
from app.ui.ops import filings as ops

COLUMNS = (N_("Filing"), N_("Month"), N_("Due"), N_("State"), N_("Filed at"))
ROW_COLUMNS = (
    N_("Date"),
    N_("Purpose"),
    N_("Brand and specification"),
    N_("Cartons"),
    N_("Amount (yuan)"),
    N_("Handled by"),
)
XLSX = "Excel (*.xlsx)"


def row_cells(f: Filing) -> tuple[str, ...]:
    """A filing's row: its name, month, due day, state (and the reminder), when it was filed."""
    state = service.state_text(f) + (" · " + _("reminder") if f.remind else "")
    return (f.name, f.month, f.due, state, times.shown(f.filed_at) if f.filed_at else "")


class RowsDialog(QDialog):
    """The special-use form's rows, typed into a table (a row added at a time)."""

    def __init__(self, item: Filing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(item.name)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(_("One row per use in {month}; leave the form empty when there was none.").format(month=item.month))
        )
        self.table = QTableWidget(1, len(ROW_COLUMNS))
        self.table.setHorizontalHeaderLabels([_(c) for c in ROW_COLUMNS])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # every heading whole, the table's width
        layout.addWidget(self.table, 1)
        add = QPushButton(_("Add a row"))
        add.clicked.connect(lambda: self.table.insertRow(self.table.rowCount()))
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText(_("Note (optional)"))
        self.note.setMaximumHeight(60)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(add)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.resize(900, 420)

    def cells(self) -> list[list[str]]:
        out = []
        for r in range(self.table.rowCount()):
            row = []
            for c in range(self.table.columnCount()):
                cell = self.table.item(r, c)
                row.append(cell.text() if cell is not None else "")
            out.append(row)
        return out


class DocumentsDialog(QDialog):
    """The self-inspection plan, report and rectification report of the month."""

    def __init__(self, item: Filing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(item.name)
        form = QFormLayout(self)
        self.texts = {key: QPlainTextEdit() for key in ("plan", "report", "rectification")}
        form.addRow(_("Self-inspection plan"), self.texts["plan"])
        form.addRow(_("Self-inspection report"), self.texts["report"])
        form.addRow(_("Rectification report"), self.texts["rectification"])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(760, 560)

    def documents(self) -> dict[str, str]:
        return {key: box.toPlainText().strip() for key, box in self.texts.items()}


class FilingsSection(ListSection[Filing], QWidget):
    """The filings owed by the user. ``ask`` (tests) replaces the dialogs: it gets the filing and returns
    what to file (``{"note": …, "rows": […]}`` / ``{"documents": {…}}``) or None; ``ask_file`` the save
    dialog (a path, or "" to cancel)."""

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        ask: Callable[[Filing], dict[str, Any] | None] | None = None,
        ask_file: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.ask, self.ask_file = ctx, ask, ask_file
        self.written: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        title = QLabel(_("Monthly filings (due by the 3rd)"))
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        layout.addWidget(title)
        self.build_list(layout, COLUMNS, min_section=None)
        bar = QHBoxLayout()
        self.file_button = QPushButton(_("File…"))
        self.file_button.clicked.connect(self.file_selected)
        self.save_button = QPushButton(_("Save as workbook…"))
        self.save_button.clicked.connect(self.save_selected)
        bar.addStretch(1)
        bar.addWidget(self.save_button)
        bar.addWidget(self.file_button)
        layout.addLayout(bar)
        self._selected()

    def fetch(self) -> None:
        self.message.setText(_("Asking the server…"))
        ops.fetch_owed(self.ctx, self, self._show, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.show_unreachable(exc, _("The filings need the server, which could not be asked: {reason}"))

    def _show(self, owed: FilingsOwed) -> None:
        late = self.fill([*owed.current, *owed.overdue], row_cells, lambda f: f.state == "overdue")
        open_ = [f for f in self.items if f.state in ("due", "overdue")]
        text = (
            ngettext("{n} filing is still to be filed.", "{n} filings are still to be filed.", len(open_)).format(
                n=len(open_)
            )
            if open_
            else _("Every filing of {month} is filed.").format(month=owed.month)
        )
        self.message.setText(with_overdue(text, late))
        self._selected()

    def _selected(self) -> None:
        item = self.current()
        self.file_button.setEnabled(item is not None and item.state in ("due", "overdue"))
        self.save_button.setEnabled(item is not None)

    def _what(self, item: Filing) -> dict[str, Any] | None:
        """What to file: asked in the filing's own dialog; None when cancelled."""
        if self.ask is not None:
            return self.ask(item)
        if item.kind == "special_use":
            rows = RowsDialog(item, self)
            if rows.exec() != QDialog.DialogCode.Accepted:
                return None
            return {"note": rows.note.toPlainText(), "rows": service.special_use_rows(item.month, rows.cells())}
        if item.kind == "self_inspection":
            docs = DocumentsDialog(item, self)
            if docs.exec() != QDialog.DialogCode.Accepted:
                return None
            return {"documents": docs.documents()}
        text, ok = QInputDialog.getMultiLineText(
            self, _("Filing"), _("{name}: a note (optional)").format(name=item.name)
        )
        return {"note": text} if ok else None

    def file_selected(self) -> None:
        item = self.current()
        if item is None:
            return
        try:
            what = self._what(item)
        except UserFacingError as exc:
            show_exception(self, exc)
            return
        if what is None:
            return
        note = str(what.pop("note", ""))
        self.file_button.setEnabled(False)
        self.message.setText(_("Asking the server…"))

        def refused(exc: BaseException) -> None:
            self._selected()
            self.message.setText("")
            show_exception(self, exc)

        ops.file(self.ctx, self, item, note, what, lambda _content: self.fetch(), refused)

    def save_selected(self) -> None:
        item = self.current()
        if item is None:
            return
        name = f"{item.name}-{item.month}.xlsx"
        suggested = str(Path(self.ctx.settings.last_export_dir or "") / name)
        path = (
            self.ask_file(suggested)
            if self.ask_file
            else QFileDialog.getSaveFileName(self, _("Save the filing"), suggested, XLSX)[0]
        )
        if not path:
            return
        target = Path(path if path.lower().endswith(".xlsx") else path + ".xlsx")
        lang = self.ctx.settings.ui_language

        def fetched(full: Filing) -> None:
            ops.save(self.ctx, self, full, target, lang).success(
                lambda _n: self.message.setText(_("The filing was written to {file}.").format(file=target))
            ).failure(lambda exc: show_exception(self, exc)).run()

        ops.fetch(self.ctx, self, item, fetched, lambda exc: show_exception(self, exc))

"""The "打印申请表…" action of the to-do list's sections (issue 17): the selected onboarding case or change
request written as its form (新入网申请表, 修改维护表/任务单, 电话号码申请变更表; app.services.case_forms), as PDF
or .xlsx, chosen in a file dialog. A button the sections add beside their own (one line each): the case asked
of the server, the file written on the DB thread and logged in the access log as a print; the section's message
line says where it went, a failure is shown with its reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QTableWidget, QWidget

from app.i18n import _
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops import case_forms as ops

PDF_FILTER, XLSX_FILTER = "PDF (*.pdf)", "Excel (*.xlsx)"


class CasePrintButton(QPushButton):
    """Prints the case ``current()`` names (None: nothing selected; enabled with the ``table``'s selection);
    ``choose`` (tests) replaces the file dialog: it returns the target, or None when the user cancels."""

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget,
        kind: str,
        table: QTableWidget,
        current: Callable[[], str | None],
        message: QLabel,
        choose: Callable[[str], Path | None] | None = None,
    ) -> None:
        super().__init__(_("Print the request form…"), parent)
        self.ctx, self.kind, self.current, self.message, self.choose = ctx, kind, current, message, choose
        self.setEnabled(False)
        table.itemSelectionChanged.connect(self.refresh)
        self.clicked.connect(self.start)

    def refresh(self) -> None:
        self.setEnabled(self.current() is not None)

    def ask_target(self, case_id: str) -> Path | None:
        suggested = str(Path(self.ctx.settings.last_export_dir or "") / f"{case_id[:8]}.pdf")
        name, chosen = QFileDialog.getSaveFileName(
            self, _("Print the request form"), suggested, f"{PDF_FILTER};;{XLSX_FILTER}"
        )
        if not name:
            return None
        if not name.lower().endswith((".pdf", ".xlsx")):
            name += ".xlsx" if chosen == XLSX_FILTER else ".pdf"
        return Path(name)

    def start(self) -> None:
        case_id = self.current()
        if case_id is None:
            return
        target = self.choose(case_id) if self.choose is not None else self.ask_target(case_id)
        if target is None:
            return
        self.setEnabled(False)
        self.message.setText(_("Writing the request form…"))

        def done(_count: int) -> None:
            self.refresh()
            self.message.setText(_("The request form was written to {file}.").format(file=target))

        def failed(exc: BaseException) -> None:
            self.refresh()
            self.message.setText("")
            show_exception(self, exc)

        ops.print_case(self.ctx, self, self.kind, case_id, target, done, failed)

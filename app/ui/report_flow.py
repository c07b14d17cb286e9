"""The monthly reports from the Archive menu: choose the month, then the file; the figures are
fetched from the server and the workbook written in the background, with a clear message when
the server cannot be reached."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QProgressDialog,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.models.remote import MonthlyReport
from app.services import reports
from app.ui.context import UiContext
from app.ui.errors import info, show_exception
from app.ui.ops import reports as report_ops
from app.ui.ops.progress import busy_dialog

XLSX = "Excel (*.xlsx)"


class MonthlyReportDialog(QDialog):
    """Which month: this one or one of the eleven before it; the previous month is preselected."""

    def __init__(self, today: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Monthly report"))
        layout = QVBoxLayout(self)
        text = QLabel(
            _(
                "The monthly reports are due by the 3rd: category adjustments, archive completeness per "
                "customer manager, overdue maintenance and visits. The figures come from the server and "
                "cover the customers you may see."
            )
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.month = QComboBox()
        months = reports.recent_months(today)
        self.month.addItems(months)
        default = reports.default_month(today)
        self.month.setCurrentIndex(months.index(default) if default in months else 0)
        form.addRow(_("Month"), self.month)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Continue…"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> str:
        return self.month.currentText()


def choose_monthly_report(
    ctx: UiContext, parent: QWidget, today: Any, ask_file: Callable[[str], str] | None = None
) -> MonthlyReportDialog:
    dialog = MonthlyReportDialog(today, parent)

    def go() -> None:
        month = dialog.chosen()
        suggested = str(Path(ctx.settings.last_export_dir or "") / _("monthly-report-{month}.xlsx").format(month=month))
        path = (
            ask_file(suggested)
            if ask_file
            else QFileDialog.getSaveFileName(parent, _("Save the monthly report"), suggested, XLSX)[0]
        )
        if not path:
            return
        target = Path(path if path.lower().endswith(".xlsx") else path + ".xlsx")
        fetch_and_write(ctx, parent, month, target)

    dialog.accepted.connect(go)
    dialog.open()
    return dialog


def fetch_and_write(ctx: UiContext, parent: QWidget, month: str, target: Path) -> QProgressDialog:
    """The figures are fetched on the network pool, so the archive stays usable while the server answers;
    Cancel drops the answer. Only the short steps (who to ask; write the workbook and audit) use the archive."""
    lang = ctx.settings.ui_language
    busy, cancelled = busy_dialog(parent, _("Making the monthly report for {month}…").format(month=month))

    def close() -> None:
        busy.canceled.disconnect(cancelled.set)  # closing the dialog emits canceled
        busy.reset()
        busy.close()

    def failed(exc: BaseException) -> None:
        dropped = cancelled.is_set()
        close()
        if not dropped:
            show_exception(parent, exc)

    def written(counts: dict[str, int]) -> None:
        close()
        info(
            parent,
            _("The monthly report for {month} was written to {file}: {adj}, {overdue}.").format(
                month=month,
                file=target,
                adj=reports.category_adjustments(counts["category_adjustments"]),
                overdue=reports.overdue_items(counts["overdue"]),
            ),
        )

    def fetched(data: MonthlyReport) -> None:
        if cancelled.is_set():
            close()
            return
        report_ops.save_monthly(ctx, parent, data, month, target, lang).success(written).failure(failed).run()

    report_ops.fetch_monthly(ctx, parent, month, fetched, failed)
    busy.show()
    return busy

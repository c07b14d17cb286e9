"""The modification ledger screen (客户信息修改台帐, Archive → Modification ledger…): a period and a
customer manager, the rows the server lists for them, the summary, and the export to Excel.

The rows are fetched on the network pool (the archive stays usable while the server answers); the
workbook is written and audited on the DB thread. Without a sign-in or a connection the screen says
why and keeps what it showed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, ngettext
from app.models import times
from app.models.catalogue import FormDefinition
from app.models.remote import Ledger
from app.services import ledger as ledger_service
from app.ui import geometry
from app.ui.context import UiContext
from app.ui.errors import info, show_exception
from app.ui.ops import reports as report_ops

XLSX = "Excel (*.xlsx)"


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


class LedgerWindow(QDialog):
    """Choose the period and the customer manager, show the ledger, export it."""

    def __init__(
        self, ctx: UiContext, parent: QWidget | None = None, ask_file: Callable[[str], str] | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.ask_file = ctx, ask_file
        self.ledger: Ledger | None = None
        self.setWindowTitle(_("Modification ledger"))
        geometry.fit(self, 1200, 700)
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Every completed modification of the customers you may see, one row per changed field "
                "(客户信息修改台帐): the changes a customer manager makes directly, those approved on review, "
                "bulk maintenance and the system's. The rows come from the server."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        bar = QHBoxLayout()
        first, last = ledger_service.default_period(times.now().date())
        self.start = self._date_box(first)
        self.end = self._date_box(last)
        self.collector = QComboBox()
        self.collector.addItem(_("All customer managers"), None)
        self.collector.setMinimumContentsLength(12)
        self.show_button = QPushButton(_("Show"))
        self.show_button.clicked.connect(self.fetch)
        self.export_button = QPushButton(_("Export to Excel…"))
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export)
        for label, widget in (
            (_("First day"), self.start),
            (_("Last day"), self.end),
            (_("Customer manager"), self.collector),
        ):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.show_button)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        layout.addLayout(bar)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.table = QTableWidget(0, len(ledger_service.COLUMNS))
        self.table.setHorizontalHeaderLabels([_(h) for h, _w, _t in ledger_service.COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)

    def _date_box(self, day: dt.date) -> QDateEdit:
        box = QDateEdit(_qdate(day))
        box.setCalendarPopup(True)
        box.setDisplayFormat("yyyy-MM-dd")
        return box

    def period(self) -> tuple[dt.date, dt.date]:
        return _pydate(self.start.date()), _pydate(self.end.date())

    def fetch(self) -> None:
        """Ask the server for the period's ledger (a bad period is refused here, with its reason)."""
        start, end = self.period()
        try:
            ledger_service.check_period(start, end, times.now().date())
        except Exception as exc:  # noqa: BLE001 - a UserFacingError: shown, nothing asked
            show_exception(self, exc)
            return
        collector = self.collector.currentData()
        self.show_button.setEnabled(False)
        self.message.setText(_("Asking the server…"))
        report_ops.fetch_ledger(self.ctx, self, start, end, collector, self._fetched, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.show_button.setEnabled(True)
        self.message.setText("")
        show_exception(self, exc)

    def _fetched(self, data: Ledger) -> None:
        self.show_button.setEnabled(True)
        self.ledger = data
        self._collectors(data)
        rows = ledger_service.table(data, self._form(), self.ctx.settings.ui_language)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(str(value))
                if isinstance(value, int):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        s = data.summary
        text = ngettext(
            "{n} change to {customers} customer(s) from {start} to {end}.",
            "{n} changes to {customers} customer(s) from {start} to {end}.",
            s.total,
        ).format(n=s.total, customers=s.customers, start=data.start, end=data.end)
        if data.masked:
            text += " " + _("Resident ID and bank account numbers are shown masked.")
        self.message.setText(text)
        lines = ledger_service.summary_lines(data, self._form(), self.ctx.settings.ui_language)
        self.summary.setText("\n".join(f"{what}: {value}" for what, value in lines[3:]))
        self.export_button.setEnabled(True)

    def _form(self) -> FormDefinition:
        assert self.ctx.form is not None  # the screen opens in an unlocked window
        return self.ctx.form

    def _collectors(self, data: Ledger) -> None:
        """The filter lists the customer managers the server says the caller sees (kept as chosen)."""
        chosen = self.collector.currentData()
        self.collector.blockSignals(True)
        self.collector.clear()
        self.collector.addItem(_("All customer managers"), None)
        for p in data.collectors:
            self.collector.addItem(
                p.display_name if p.display_name == p.name else f"{p.display_name} ({p.name})", p.name
            )
        index = self.collector.findData(chosen)
        self.collector.setCurrentIndex(max(index, 0))
        self.collector.blockSignals(False)

    def export(self) -> None:
        data = self.ledger
        if data is None:
            return
        name = _("modification-ledger-{start}-{end}.xlsx").format(start=data.start, end=data.end)
        suggested = str(Path(self.ctx.settings.last_export_dir or "") / name)
        path = (
            self.ask_file(suggested)
            if self.ask_file
            else QFileDialog.getSaveFileName(self, _("Save the modification ledger"), suggested, XLSX)[0]
        )
        if not path:
            return
        target = Path(path if path.lower().endswith(".xlsx") else path + ".xlsx")

        def written(n: int) -> None:
            self.written = info(
                self,
                ngettext(
                    "The modification ledger was written to {file}: {n} row.",
                    "The modification ledger was written to {file}: {n} rows.",
                    n,
                ).format(file=target, n=n),
            )

        lang = self.ctx.settings.ui_language
        report_ops.save_ledger(self.ctx, self, data, target, lang).success(written).failure(
            lambda exc: show_exception(self, exc)
        ).run()

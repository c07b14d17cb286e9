"""Visits (拜访记录): date, purpose, notes, sales anomalies, photos."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import N_, _, translate
from app.models.catalogue import FieldSpec, FieldType
from app.models.record import Visit
from app.services.records import AMOUNT
from app.ui import values
from app.ui.context import UiContext
from app.ui.ops import records as record_ops
from app.ui.records.photos import PhotoEditor

PURPOSES = [
    N_("Routine visit"),
    N_("New customer onboarding"),
    N_("Quarterly check"),
    N_("Information change"),
    N_("Complaint follow-up"),
    N_("Service and guidance"),
]


class VisitDialog(QDialog):
    sig_added = Signal(object)

    def __init__(self, ctx: UiContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.customer_id = ctx, customer_id
        self.setWindowTitle(_("New visit"))
        self.date = QDateEdit(values.today(), self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMaximumDate(values.today())
        self.purpose = QComboBox(self)
        self.purpose.setEditable(True)
        self.purpose.addItems([translate(p) for p in PURPOSES])
        self.notes = QPlainTextEdit(self)
        self.anomaly = QPlainTextEdit(self)
        self.anomaly.setPlaceholderText(_("Changes in sales, stock, prices or competitors seen on this visit"))
        spec = FieldSpec("visit_photos", "visit", "拜访照片", "Visit photos", FieldType.PHOTO)
        self.photos = PhotoEditor(spec, self, ctx)
        # order collection on this visit (订单采集, F3 L291–292): summed in the order-collection filings
        self.order = QCheckBox(_("An order was collected on this visit"), self)
        self.orders = QSpinBox(self)
        self.orders.setRange(1, 1000)
        self.cartons = QSpinBox(self)
        self.cartons.setRange(0, 1_000_000)
        self.cartons.setSuffix(" " + _("cartons"))
        self.amount = QLineEdit(self)
        self.amount.setPlaceholderText("0.00")
        order_row = QHBoxLayout()
        for label, box in ((_("Orders"), self.orders), (_("Cartons"), self.cartons), (_("Amount (yuan)"), self.amount)):
            order_row.addWidget(QLabel(label, self))
            order_row.addWidget(box)
        self.order.toggled.connect(self._order_toggled)
        self._order_toggled(False)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c62828")
        form = QFormLayout()
        form.addRow(_("Date"), self.date)
        form.addRow(_("Purpose"), self.purpose)
        form.addRow(_("Notes"), self.notes)
        form.addRow(_("Sales anomalies"), self.anomaly)
        form.addRow(self.order)
        form.addRow(_("Order"), order_row)
        form.addRow(_("Photos"), self.photos)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(560, 520)

    def _order_toggled(self, on: bool) -> None:
        for box in (self.orders, self.cartons, self.amount):
            box.setEnabled(on)

    def _save(self) -> None:
        purpose = self.purpose.currentText().strip()
        if not purpose:
            self.error.setText(_("Enter the purpose of the visit."))
            return
        order: tuple[int, int, str] | None = None
        if self.order.isChecked():
            amount = self.amount.text().strip().replace(",", "").replace("，", "")
            if not AMOUNT.fullmatch(amount):
                self.error.setText(_("Enter the order's amount in yuan with at most two decimals, e.g. 900.50."))
                return
            order = (self.orders.value(), self.cartons.value(), amount)
        cid, day = self.customer_id, self.date.date().toString("yyyy-MM-dd")
        notes, anomaly, photos = self.notes.toPlainText(), self.anomaly.toPlainText(), self.photos.raw()

        def added(visit: Visit) -> None:
            self.sig_added.emit(visit)
            self.accept()

        record_ops.add_visit(self.ctx, self, cid, day, purpose, notes, anomaly, photos, order).success(added).run()


class VisitsView(QWidget):
    sig_added = Signal(object)  # Visit: recorded (it may have closed a visit plan of the service records)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id: str | None = None
        self.table = QTableWidget(0, 6, self)
        self.table.setHorizontalHeaderLabels(
            [_("Date"), _("Purpose"), _("Sales anomalies"), _("Notes"), _("Photos"), _("Order")]
        )
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # notes and anomalies are shown in full, wrapped, never cut to a word (issue 16)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        header = self.table.horizontalHeader()
        for column, mode in enumerate(
            (
                QHeaderView.ResizeMode.ResizeToContents,
                QHeaderView.ResizeMode.ResizeToContents,
                QHeaderView.ResizeMode.Stretch,
                QHeaderView.ResizeMode.Stretch,
                QHeaderView.ResizeMode.ResizeToContents,
                QHeaderView.ResizeMode.ResizeToContents,
            )
        ):
            header.setSectionResizeMode(column, mode)
        self._rewrap = QTimer(self)  # re-wrap at the new column widths, once they have settled
        self._rewrap.setSingleShot(True)
        self._rewrap.setInterval(0)
        self._rewrap.timeout.connect(self.table.resizeRowsToContents)
        header.sectionResized.connect(lambda *_a: self._rewrap.start())
        self.add = QPushButton(_("Add visit…"), self)
        self.add.clicked.connect(self.new_visit)
        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(self.add)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def load(self, customer_id: str | None) -> None:
        self.customer_id = customer_id
        self.add.setEnabled(customer_id is not None)
        self.table.setRowCount(0)
        if customer_id:
            record_ops.visits(self.ctx, self, customer_id).success(self._show).run()

    def _show(self, visits: list[Visit]) -> None:
        self.table.setRowCount(len(visits))
        for r, v in enumerate(visits):
            order = (
                _("{orders} orders, {cartons} cartons, {amount} yuan").format(
                    orders=v.orders, cartons=v.order_quantity or 0, amount=v.order_amount or "0"
                )
                if v.orders is not None
                else ""
            )
            cells = (v.visited_on, v.purpose, v.sales_anomaly, v.notes, str(len(v.photos)), order)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        self._rewrap.start()

    def new_visit(self) -> None:
        if self.customer_id:
            dialog = VisitDialog(self.ctx, self.customer_id, self)
            dialog.sig_added.connect(lambda _v: self.load(self.customer_id))
            dialog.sig_added.connect(self.sig_added)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()

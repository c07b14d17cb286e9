"""The customer list: search as you type (debounced, on the DB thread), filters, the table."""
from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, \
    QTableView, QVBoxLayout, QWidget

from app.i18n import _, ngettext, translate
from app.models.record import CustomerStatus, ListQuery, STATUS_MSGIDS
from app.services.listing import overdue_rule
from app.ui.context import UiContext
from app.ui.records.table_model import Column, CustomerTableModel

SEARCH_DEBOUNCE_MS = 180


class CustomerListPanel(QWidget):
    sig_selected = Signal(str)  # customer id

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = CustomerTableModel(ctx, self)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(_("Search name, shop, address, phone, licence or code (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.status = QComboBox(self)
        self.status.addItem(_("All statuses"), None)
        for s in CustomerStatus:
            self.status.addItem(translate(STATUS_MSGIDS[s]), s.value)
        self.incomplete = QCheckBox(_("Incomplete"), self)
        self.overdue = QCheckBox(_("Overdue or check due"), self)
        self.overdue.setToolTip(_("New customers not complete within 5 working days of binding; quarterly checks and "
                                  "half-yearly reviews of the static information that are due"))
        self.problems = QCheckBox(_("Sync problems"), self)
        self.problems.setToolTip(_("Customers in conflict with the server, or whose last change the server refused"))
        self.count = QLabel(self)
        filters = QHBoxLayout()
        for w in (self.status, self.incomplete, self.overdue, self.problems):
            filters.addWidget(w)
        filters.addStretch(1)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(Column.UPDATED, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # never ResizeToContents: it reads every row
        for col, width in ((Column.CODE, 140), (Column.SHOP, 160), (Column.CONTACT, 80), (Column.PHONE, 110),
                           (Column.ADDRESS, 220), (Column.STATUS, 80), (Column.COMPLETENESS, 64),
                           (Column.LAST_VISIT, 90), (Column.UPDATED, 130)):
            header.resizeSection(col, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DEBOUNCE_MS)
        self.timer.timeout.connect(self.apply)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        self.status.currentIndexChanged.connect(lambda _i: self.apply())
        self.incomplete.toggled.connect(lambda _on: self.apply())
        self.overdue.toggled.connect(lambda _on: self.apply())
        self.problems.toggled.connect(lambda _on: self.apply())
        self.model.sig_loaded.connect(self._loaded)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self._selected: str | None = None

    def list_query(self) -> ListQuery:
        status = self.status.currentData()
        rule = overdue_rule(dt.date.today())
        return ListQuery(self.search.text(), CustomerStatus(status) if status else None, self.incomplete.isChecked(),
                         rule if self.overdue.isChecked() else None, self.problems.isChecked(), self.model.query.sort,
                         self.model.query.descending)

    def apply(self) -> None:
        self.timer.stop()
        self.model.set_query(self.list_query(), overdue_rule(dt.date.today()))

    def _loaded(self, n: int) -> None:
        self.count.setText(ngettext("{n} customer", "{n} customers", n).format(n=n))
        if self._selected:
            self.select(self._selected, emit=False)

    def _current_changed(self, current: Any, _previous: Any) -> None:
        cid = self.model.customer_id(current.row()) if current.isValid() else None
        if cid and cid != self._selected:
            self._selected = cid
            self.sig_selected.emit(cid)

    def select(self, customer_id: str, emit: bool = True) -> None:
        self._selected = customer_id if not emit else None
        row = self.model.row_of(customer_id)
        if row is not None:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._selected = customer_id

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

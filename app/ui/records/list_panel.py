"""The customer list: search as you type (debounced, on the DB thread), filters, the table."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, ngettext, translate
from app.models import times
from app.models.record import STATUS_MSGIDS, CustomerStatus, ListQuery
from app.services.listing import overdue_rule
from app.ui.context import UiContext
from app.ui.records.table_model import SORT_KEYS, Column, CustomerTableModel
from app.ui.style import MARGIN, SPACING

SEARCH_DEBOUNCE_MS = 180
#: The columns in view by default, in this order; the address takes the room that is left.
DEFAULT_ORDER = (
    Column.CODE,
    Column.SHOP,
    Column.STATUS,
    Column.COMPLETENESS,
    Column.LAST_VISIT,
    Column.ADDRESS,
    Column.CONTACT,
    Column.PHONE,
    Column.UPDATED,
    Column.OWNER,
)
HIDDEN_BY_DEFAULT = (Column.CONTACT, Column.PHONE, Column.UPDATED, Column.OWNER)
ADDRESS_MIN = 64
ADDRESS_SHARE = 0.25  # with default widths the address keeps at least this share of the list (shop and code give it)


class CustomerListPanel(QWidget):
    sig_selected = Signal(str)  # customer id

    def __init__(self, ctx: UiContext, parent: QWidget | None = None, user: str = "") -> None:
        super().__init__(parent)
        self.ctx, self.user = ctx, user  # the columns are remembered per user
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
        self.overdue.setToolTip(
            _(
                "New customers not complete within 5 working days of binding; quarterly checks and "
                "half-yearly reviews of the static information that are due; your complaints past their deadline; "
                "visit plans not made by their day"
            )
        )
        self.problems = QCheckBox(_("Sync problems"), self)
        self.problems.setToolTip(_("Customers in conflict with the server, or whose last change the server refused"))
        self.include_closed = QCheckBox(_("Include closed"), self)
        self.include_closed.setToolTip(_("Also list the closed outlets, greyed; their records are read-only"))
        self.count = QLabel(self)
        filters = QHBoxLayout()
        for w in (self.status, self.incomplete, self.overdue, self.problems, self.include_closed):
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
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._natural: dict[Column, int] = {}
        self._custom = False  # the user's own widths (restored or changed): never fitted automatically
        self._chosen = False  # the user showed or hid a column in this window (show_people leaves it so)
        self._fitting = False
        self._size_columns()
        self._restore_columns()
        header = self.table.horizontalHeader()
        self.table.viewport().installEventFilter(self)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(500)
        self._save_timer.timeout.connect(self.save_columns)
        header.sectionResized.connect(self._section_resized)
        header.sectionMoved.connect(self._section_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, 0, 0)
        layout.setSpacing(SPACING)
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
        self.include_closed.toggled.connect(lambda _on: self.apply())
        self.model.sig_loaded.connect(self._loaded)
        ctx.sig_calendar_changed.connect(self._calendar_changed)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self._selected: str | None = None

    # ---- columns -----------------------------------------------------------------------------
    def _size_columns(self) -> None:
        """Each column as wide as its header and a typical value (never ResizeToContents: it reads every
        row); the address takes the rest. Contact, phone and last change are shown on demand (the header's
        context menu): status, completeness and last visit stay in view even at 1280×720."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(48)
        metrics = QFontMetrics(self.table.font())
        head_metrics = QFontMetrics(header.font())
        statuses = ["⚠ " + translate(STATUS_MSGIDS[s]) for s in CustomerStatus]  # with the overdue mark
        samples = {
            Column.CODE: ["TMP-ABCD-000000", "610102100123"],
            Column.SHOP: ["南大街老王烟酒商店"],
            Column.CONTACT: ["欧阳小明"],
            Column.PHONE: ["13812345678"],
            Column.ADDRESS: [""],
            Column.STATUS: statuses,
            Column.COMPLETENESS: ["100%"],
            Column.LAST_VISIT: ["2026-11-22"],
            Column.UPDATED: ["2026-11-22 10:00"],
            Column.OWNER: ["欧阳小明"],
        }
        for col in Column:
            title = str(self.model.headerData(col, Qt.Orientation.Horizontal))
            width = max(
                [head_metrics.horizontalAdvance(title) + 22]
                + [metrics.horizontalAdvance(text) + 12 for text in samples[col]]
            )
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            self._natural[col] = width
            self._resize(col, width)
        header.setSectionResizeMode(Column.ADDRESS, QHeaderView.ResizeMode.Stretch)
        for visual, col in enumerate(DEFAULT_ORDER):
            header.moveSection(header.visualIndex(col), visual)
        for col in HIDDEN_BY_DEFAULT:
            header.setSectionHidden(col, True)
        self._custom = False
        self._fit()

    def _resize(self, col: Column, width: int) -> None:
        self._fitting = True
        try:
            self.table.horizontalHeader().resizeSection(col, width)
        finally:
            self._fitting = False

    def _section_moved(self, *_args: Any) -> None:
        self._custom = True
        self._save_timer.start()

    def _show_column(self, col: int, on: bool) -> None:
        self._chosen = True
        self.table.horizontalHeader().setSectionHidden(col, not on)
        self._save_timer.start()

    def _default_columns(self) -> None:
        self._size_columns()
        self.save_columns()

    def _section_resized(self, col: int, _old: int, _new: int) -> None:
        if col != Column.ADDRESS and not self._fitting:
            self._custom = True
        self._save_timer.start()

    def eventFilter(self, obj: Any, event: Any) -> bool:
        if obj is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit()
        return super().eventFilter(obj, event)

    def _fit(self) -> None:
        """With the default widths, a narrow list gives up width from the shop name and the code first
        (their text is elided, the tooltip shows it whole), so that the address keeps some room and
        nothing needs a horizontal scroll bar."""
        if self._custom or not self._natural:
            return
        header = self.table.horizontalHeader()
        shown = [c for c in Column if c != Column.ADDRESS and not header.isSectionHidden(c)]
        width = self.table.viewport().width()
        over = sum(self._natural[c] for c in shown) + max(ADDRESS_MIN, int(width * ADDRESS_SHARE)) - width
        for col in (Column.SHOP, Column.CODE):
            floor = (
                header.fontMetrics().horizontalAdvance(str(self.model.headerData(col, Qt.Orientation.Horizontal))) + 22
            )
            give = max(0, min(over, self._natural[col] - floor))
            self._resize(col, self._natural[col] - give)
            over -= give

    def save_columns(self) -> None:
        """Widths, order, shown columns and sorting, per user, in the settings (kept across restarts).
        "c:" marks widths the user chose; "d:" default widths, fitted again to the window at the next start."""
        self._save_timer.stop()
        state = ("c:" if self._custom else "d:") + bytes(
            self.table.horizontalHeader().saveState().toBase64().data()
        ).decode("ascii")
        saved = dict(self.ctx.settings.list_columns)
        if saved.get(self.user) == state:
            return
        saved[self.user] = state
        self.ctx.settings.list_columns = saved
        try:
            self.ctx.settings.save()
        except OSError:
            pass  # the columns are a convenience; the next change tries again

    def show_people(self, on: bool) -> None:
        """A market manager's list names each customer's manager (the role comes with the sign-in):
        the column is shown unless this user has just chosen the columns."""
        header = self.table.horizontalHeader()
        if on and not self._chosen and header.isSectionHidden(Column.OWNER):
            header.setSectionHidden(Column.OWNER, False)
            self._fit()

    def _restore_columns(self) -> None:
        state = self.ctx.settings.list_columns.get(self.user)
        if not state:
            return
        custom, _sep, state = state.rpartition(":")
        header = self.table.horizontalHeader()
        if not header.restoreState(QByteArray.fromBase64(state.encode("ascii"))) or header.count() != len(Column):
            self._size_columns()
            return
        self._custom = custom != "d"
        self._fit()
        header.setSectionResizeMode(Column.ADDRESS, QHeaderView.ResizeMode.Stretch)
        section, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        if 0 <= section < len(Column):
            self.model.query = replace(
                self.model.query, sort=SORT_KEYS[Column(section)], descending=order == Qt.SortOrder.DescendingOrder
            )

    def _column_menu(self, pos: QPoint) -> None:
        header = self.table.horizontalHeader()
        menu = QMenu(self)
        for col in Column:
            action = menu.addAction(str(self.model.headerData(col, Qt.Orientation.Horizontal)))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(col))
            action.setEnabled(col not in (Column.SHOP, Column.ADDRESS))
            action.toggled.connect(lambda on, c=col: self._show_column(c, on))
        menu.addSeparator()
        menu.addAction(_("Default columns"), self._default_columns)
        self.column_menu = menu
        menu.popup(header.mapToGlobal(pos))

    def list_query(self) -> ListQuery:
        status = self.status.currentData()
        rule = overdue_rule(times.today(), self.ctx.calendar)
        return ListQuery(
            self.search.text(),
            CustomerStatus(status) if status else None,
            self.incomplete.isChecked(),
            rule if self.overdue.isChecked() else None,
            self.problems.isChecked(),
            self.model.query.sort,
            self.model.query.descending,
            self.include_closed.isChecked(),
        )

    def apply(self) -> None:
        self.timer.stop()
        self.model.set_query(self.list_query(), overdue_rule(times.today(), self.ctx.calendar))

    def _calendar_changed(self, _calendar: Any) -> None:
        self.apply()  # the overdue deadlines count with the new calendar

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
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._selected = customer_id

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

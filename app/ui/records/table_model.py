"""The customer list model: never loads all rows.

A query gives the ordered list of row keys (integers; 100k of them are under a megabyte): first
its first window of keys with their rows (asked with a limit, painted at once), then the rest;
rows are fetched a window of 100 at a time on the DB thread when the view first asks for
them, cached (up to a few thousand rows), and announced with ``dataChanged``. The view shows
"…" for a row that is still on its way, so scrolling, sorting and jumping never wait.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from app.i18n import N_, _, translate
from app.models import times
from app.models.record import STATUS_MSGIDS, CustomerRow, ListQuery, OverdueRule
from app.services.exporting import masked_text
from app.services.listing import REASONS, FirstPage, overdue_reasons
from app.ui.context import UiContext
from app.ui.ops import listing as listing_ops
from app.ui.style import MUTED, status_color

WINDOW = 100
CLOSED = N_("Closed")  # the status column of a closed outlet (销户, "已销户")
MAX_WINDOWS = 40
Index = QModelIndex | QPersistentModelIndex


class Column(enum.IntEnum):
    CODE = 0
    SHOP = 1
    CONTACT = 2
    PHONE = 3
    ADDRESS = 4
    STATUS = 5
    COMPLETENESS = 6
    LAST_VISIT = 7
    UPDATED = 8
    OWNER = 9


HEADERS = {
    Column.CODE: N_("Code"),
    Column.SHOP: N_("Shop name"),
    Column.CONTACT: N_("Contact"),
    Column.PHONE: N_("Phone"),
    Column.ADDRESS: N_("Address"),
    Column.STATUS: N_("Status"),
    Column.COMPLETENESS: N_("Complete"),
    Column.LAST_VISIT: N_("Last visit"),
    Column.UPDATED: N_("Last change"),
    Column.OWNER: N_("Manager"),  # the customer manager (客户经理): short, the list is narrow
}
SORT_KEYS = {
    Column.CODE: "code",
    Column.SHOP: "shop_name",
    Column.CONTACT: "contact_name",
    Column.PHONE: "phone",
    Column.ADDRESS: "address",
    Column.STATUS: "status",
    Column.COMPLETENESS: "completeness",
    Column.LAST_VISIT: "last_visit",
    Column.UPDATED: "updated_at",
    Column.OWNER: "owner",
}


class CustomerTableModel(QAbstractTableModel):
    sig_loaded = Signal(int)  # number of rows of the new query

    def __init__(self, ctx: UiContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.query = ListQuery()
        self.rule: OverdueRule | None = None
        self.pks: list[int] = []
        self.windows: OrderedDict[int, list[CustomerRow | None]] = OrderedDict()
        self.pending: set[int] = set()
        self.generation = 0
        self.complete = True  # every key of the query is known (else the first page only)
        self.answered = 0  # the generation whose first page is shown

    # ---- queries -----------------------------------------------------------------------------
    def set_query(self, query: ListQuery, rule: OverdueRule | None = None) -> None:
        self.query, self.rule = query, rule
        self.refresh()

    def refresh(self) -> None:
        """Re-run the query (on the DB thread); a newer query makes older answers irrelevant.

        The first answer is the query's first window of keys with its rows, asked with a limit, so the
        list paints at once; the rest of the keys follows in a second operation and is appended as
        inserted rows (no reset: what is painted stays). ``sig_loaded`` tells the count once it is
        known."""
        self.generation += 1
        gen, query = self.generation, self.query
        listing_ops.first_page(self.ctx, query, WINDOW).owner(self).success(
            lambda page: self._got_first(gen, query, page)
        ).run()

    def _got_first(self, gen: int, query: ListQuery, page: FirstPage) -> None:
        if gen != self.generation:
            return
        self.beginResetModel()
        self.pks = list(page.keys)
        self.windows.clear()
        self.pending.clear()
        by_pk = {r.rowid: r for r in page.rows}
        self.windows[0] = [by_pk.get(k) for k in page.keys]
        self.complete = page.complete
        self.answered = gen
        self.endResetModel()
        if page.complete:
            self.sig_loaded.emit(len(page.keys))
            if query.text.strip():
                listing_ops.searched(self.ctx, query.text, len(page.keys)).run()
            return
        listing_ops.customer_keys(self.ctx, query, wanted=lambda: gen == self.generation).owner(self).success(
            lambda pks: self._got_pks(gen, pks)
        ).run()

    def _got_pks(self, gen: int, pks: list[int] | None) -> None:
        if gen != self.generation or pks is None:
            return
        known = len(self.pks)
        if pks[:known] == self.pks and len(pks) > known:  # the first page stands: append the rest
            self.beginInsertRows(QModelIndex(), known, len(pks) - 1)
            self.pks = pks
            self.complete = True
            self.endInsertRows()
        elif pks != self.pks:  # the archive changed between the two answers
            self.beginResetModel()
            self.pks = pks
            self.windows.clear()
            self.pending.clear()
            self.complete = True
            self.endResetModel()
        self.complete = True
        self.sig_loaded.emit(len(pks))

    def clear(self) -> None:
        """Forget every row (locking): nothing of the archive stays in the view."""
        self.generation += 1
        self.beginResetModel()
        self.pks, self.pending = [], set()
        self.windows.clear()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        query = replace(self.query, sort=SORT_KEYS[Column(column)], descending=order == Qt.SortOrder.DescendingOrder)
        if query == self.query and self.generation:
            return  # the order it has (the view repeats its sort indicator when it is set up)
        if not self.generation:  # nothing asked yet: the first query (the list panel's apply) asks in this order
            self.query = query
            return
        self.set_query(query, self.rule)

    # ---- rows --------------------------------------------------------------------------------
    def row_at(self, row: int) -> CustomerRow | None:
        w = row // WINDOW
        window = self.windows.get(w)
        if window is None:
            self._fetch(w)
            window = self.windows.get(w)  # an inline runner (tests) answers at once
            if window is None:
                return None
        self.windows.move_to_end(w)
        return window[row - w * WINDOW]

    def _fetch(self, w: int) -> None:
        if w in self.pending:
            return
        self.pending.add(w)
        gen, keys = self.generation, self.pks[w * WINDOW : (w + 1) * WINDOW]
        listing_ops.customer_rows(self.ctx, keys).owner(self).success(
            lambda rows: self._got_window(gen, w, keys, rows)
        ).failure(lambda _e: self.pending.discard(w)).run()

    def _got_window(self, gen: int, w: int, keys: list[int], rows: list[CustomerRow]) -> None:
        if gen != self.generation or w * WINDOW >= len(self.pks):
            return
        self.pending.discard(w)
        by_pk = {r.rowid: r for r in rows}
        self.windows[w] = [by_pk.get(k) for k in keys]
        while len(self.windows) > MAX_WINDOWS:
            self.windows.popitem(last=False)
        last = min(len(self.pks), (w + 1) * WINDOW) - 1
        self.dataChanged.emit(self.index(w * WINDOW, 0), self.index(last, len(Column) - 1))

    def customer_id(self, row: int) -> str | None:
        r = self.row_at(row)
        return r.id if r else None

    def row_of(self, customer_id: str) -> int | None:
        for w, rows in self.windows.items():
            for i, r in enumerate(rows):
                if r is not None and r.id == customer_id:
                    return w * WINDOW + i
        return None

    # ---- Qt model API ------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.pks)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return translate(HEADERS[Column(section)])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        col = Column(index.column())
        if row is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole and col is Column.SHOP else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Qt.ItemDataRole.ForegroundRole and row.closed:
            return QBrush(QColor(MUTED))  # a closed outlet (销户): greyed in every column
        if role == Qt.ItemDataRole.FontRole and row.closed and col is Column.STATUS:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and col is Column.STATUS:
            return QBrush(QColor(status_color(row.status)))
        if role == Qt.ItemDataRole.ForegroundRole and (
            (col is Column.CODE and not row.code_official) or (col is Column.SHOP and not row.shop_name)
        ):
            return QBrush(QColor(MUTED))  # a provisional code; a draft without a shop name shown by its code
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        return None

    def _display(self, row: CustomerRow, col: Column) -> Any:
        if col is Column.STATUS and row.closed:
            return translate(CLOSED)
        if col is Column.STATUS:
            text = translate(STATUS_MSGIDS[row.status])
            return ("⚠ " if self.rule and overdue_reasons(row, self.rule) else "") + text  # first: never cut off
        return {
            Column.CODE: row.code,
            Column.SHOP: row.shop_name or row.code,
            Column.CONTACT: _hidden(row.contact_name),
            Column.PHONE: _hidden(row.phone),
            Column.ADDRESS: _hidden(row.address),
            Column.COMPLETENESS: f"{round(row.completeness * 100)}%",
            Column.LAST_VISIT: row.last_visit or "",
            Column.UPDATED: times.shown(row.updated_at),
            Column.OWNER: row.owner or "",
        }[col]

    def _tooltip(self, row: CustomerRow, col: Column) -> str | None:
        if col is Column.CODE and not row.code_official:
            return _("Provisional code; the official one is given on approval.")
        if col is Column.STATUS and row.closed:
            return _("Closed outlet: read-only; a market manager or an admin can reopen it.")
        if col is Column.STATUS and self.rule:
            reasons = overdue_reasons(row, self.rule)
            return "\n".join(translate(REASONS[r]) for r in reasons) or None
        if col is Column.ADDRESS:
            return row.address
        if col is Column.SHOP:  # contact and phone, also when their columns are hidden
            return " · ".join(x for x in (row.shop_name, row.contact_name, row.phone) if x) or None
        return None


def _hidden(text: str | None) -> str | None:
    """A value this user may not see (app.validation.secrecy) as its words: 已屏蔽（机密）."""
    return masked_text(text, "") or text

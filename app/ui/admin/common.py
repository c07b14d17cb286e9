"""What the pages of the administration area share: read-only tables, the page that asks the server and
counts its questions not answered yet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models import times
from app.ui.context import UiContext
from app.ui.ops import admin as admin_ops


def when(ts: float | None) -> str:
    """A server time (epoch seconds) as date and minute in China time, as every time is shown."""
    return times.shown(dt.datetime.fromtimestamp(ts, dt.UTC)) if ts else "—"


def table(headers: Sequence[str], stretch: int | None = None) -> QTableWidget:
    """A read-only table of rows; column ``stretch`` (default the last) takes the width that is left."""
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(list(headers))
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.verticalHeader().setVisible(False)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(stretch is None)
    if stretch is not None:
        t.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    t.setAlternatingRowColors(True)
    return t


def fill(t: QTableWidget, rows: Sequence[Sequence[Any]], keys: Sequence[Any] | None = None) -> None:
    """Replace the rows; ``keys[i]`` is kept on row i's first cell (``selected_key``)."""
    t.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            if j == 0 and keys is not None:
                item.setData(Qt.ItemDataRole.UserRole, keys[i])
            t.setItem(i, j, item)


def selected_key(t: QTableWidget) -> Any:
    rows = t.selectionModel().selectedRows() if t.selectionModel() else []
    if not rows:
        return None
    item = t.item(rows[0].row(), 0)
    return item.data(Qt.ItemDataRole.UserRole) if item else None


def select_key(t: QTableWidget, key: Any) -> None:
    for i in range(t.rowCount()):
        item = t.item(i, 0)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == key:
            t.selectRow(i)
            return


class Page(QWidget):
    """One task of the area: asks the server through ``ask`` and shows where it stands in ``status``."""

    title = ""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.layout_ = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy = 0  # questions to the server not answered yet (the tests wait for 0)

    def ask(self, work: Callable[[Any], Any], success: Callable[[Any], None]) -> None:
        self.busy += 1

        def done(result: Any) -> None:
            self.busy -= 1
            success(result)

        def failed(_exc: BaseException) -> None:
            self.busy -= 1

        admin_ops.ask(self.ctx, self, work, done, failed)

    def buttons(self, *specs: tuple[str, Callable[[], None]]) -> list[QPushButton]:
        row = QHBoxLayout()
        out = []
        for text, slot in specs:
            b = QPushButton(text)
            b.clicked.connect(lambda _checked=False, s=slot: s())
            row.addWidget(b)
            out.append(b)
        row.addStretch(1)
        self.layout_.addLayout(row)
        return out

    def refresh(self) -> None:
        """Ask the server again (when the page is shown)."""

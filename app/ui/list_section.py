"""What the server-backed lists of the to-do window (待办: onboarding steps, change steps, filings) and the
checks window share (issue 15): the message line above the table, a read-only row-selecting table, filling it
from the server's answer with overdue rows in red, the chosen row (``current()``), the count line with its
"N are overdue." tail, and the line shown when the server could not be asked.

A mixin, not a widget: the sections stay QWidget or QDialog and keep their ``message``, ``table`` and
``items`` attributes; ``build_list`` makes them inside the section's own layout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _, ngettext
from app.ui.errors import show_exception
from app.ui.style import ERROR

T = TypeVar("T")


def list_table(columns: Sequence[str], single: bool = True, min_section: int | None = 72) -> QTableWidget:
    """A read-only table of whole rows with these (untranslated) headings; ``min_section`` keeps the headings
    of an empty list from being squeezed."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels([_(c) for c in columns])
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    if min_section is not None:
        header.setMinimumSectionSize(min_section)
    return table


def with_overdue(text: str, late: int) -> str:
    """The count line, and how many of them are overdue when some are."""
    if late:
        text += " " + ngettext("{n} is overdue.", "{n} are overdue.", late).format(n=late)
    return text


class ListSection(Generic[T]):
    """Mixed into a section (before its Qt class): ``build_list`` once, then ``fill`` with each answer."""

    items: list[T]
    message: QLabel
    table: QTableWidget

    def build_list(
        self, layout: QBoxLayout, columns: Sequence[str], single: bool = True, min_section: int | None = 72
    ) -> None:
        """The message line and the table, added to ``layout``; a change of selection calls ``_selected``."""
        self.items = []
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.table = list_table(columns, single, min_section)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)

    def _selected(self) -> None:
        """The section's buttons follow the chosen row; none by default."""

    def fill(self, items: list[T], cells: Callable[[T], Sequence[str]], late: Callable[[T], bool] | None = None) -> int:
        """Show ``items``, one row each, red where ``late``; returns how many are late."""
        self.items = items
        self.table.setRowCount(len(items))
        red = QBrush(QColor(ERROR))
        count = 0
        for r, entry in enumerate(items):
            overdue = late is not None and late(entry)
            count += overdue
            for c, text in enumerate(cells(entry)):
                cell = QTableWidgetItem(text)
                if overdue:
                    cell.setForeground(red)
                self.table.setItem(r, c, cell)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()  # the last column fills the table again (sized to its contents,
        header.setStretchLastSection(False)  # it left a blank strip on a table filled after it was shown)
        header.setStretchLastSection(True)
        return count

    def current(self) -> T | None:
        """The chosen row's entry; None when nothing (or a row no longer listed) is chosen."""
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.items[min(rows)] if rows and min(rows) < len(self.items) else None

    def show_unreachable(self, exc: BaseException, template: str) -> None:
        """The server could not be asked: ``template`` (translated, with ``{reason}``) in the message line for a
        refusal the user can act on; anything else in the error dialog."""
        self._selected()
        if isinstance(exc, UserFacingError):
            self.message.setText(template.format(reason=exc.message()))
        else:
            show_exception(self if isinstance(self, QWidget) else None, exc)

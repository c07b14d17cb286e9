"""The to-do list (待办, Archive → To-do…): the onboarding steps waiting for the signed-in user, whatever
their role or department (issue 17), with the time left on each step's clock in working days and hours,
overdue steps in red; and doing the chosen step with a note.

The list is the server's (app.services.onboarding): asked on the network pool when the window opens or is
refreshed, never kept in the archive. Without a sign-in or a connection the window says so and that the
list needs the server."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import N_, _, ngettext
from app.models import times
from app.models.onboarding import WaitingStep
from app.services import onboarding as service
from app.ui.case_print import CasePrintButton
from app.ui.changes_view import ChangesPanel
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.filings_view import FilingsSection
from app.ui.ops import onboarding as ops
from app.ui.style import ERROR

COLUMNS = (
    N_("Customer"),
    N_("Step"),
    N_("Done by"),
    N_("Source"),
    N_("Started"),
    N_("Deadline"),
    N_("Time left"),
)


class TodoWindow(QDialog):
    """The steps waiting for the user; ``ask_note`` (tests) replaces the note's input dialog: it returns the
    note, or None when the user cancels."""

    def __init__(
        self, ctx: UiContext, parent: QWidget | None = None, ask_note: Callable[[WaitingStep], str | None] | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.ask_note = ctx, ask_note
        self.items: list[WaitingStep] = []
        self.setWindowTitle(_("To-do"))
        self.resize(1100, 760)
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "The onboarding steps waiting for you (新入网客户): each has its own deadline in working days; "
                "overdue steps are red. The list comes from the server."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setMinimumSectionSize(72)  # an empty list: headers not squeezed
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        bar = QHBoxLayout()
        self.refresh_button = QPushButton(_("Ask the server again"))
        self.refresh_button.clicked.connect(self.fetch)
        self.do_button = QPushButton(_("Mark the step done…"))
        self.do_button.setEnabled(False)
        self.do_button.clicked.connect(self.do_selected)
        bar.addWidget(self.refresh_button)
        bar.addStretch(1)
        self.print_button = CasePrintButton(ctx, self, "onboarding", self.table, self._case_id, self.message)
        bar.addWidget(self.print_button)
        bar.addWidget(self.do_button)
        layout.addLayout(bar)
        self.changes = ChangesPanel(ctx, self)  # the change requests' steps: a section of their own
        layout.addWidget(self.changes, 1)
        # the monthly filings owed: a section of their own (app/ui/filings_view.py)
        self.filings = FilingsSection(ctx, self)
        layout.addWidget(self.filings, 1)

    def fetch(self) -> None:
        self.refresh_button.setEnabled(False)
        self.message.setText(_("Asking the server…"))
        ops.fetch_waiting(self.ctx, self, self._show, self._failed)
        self.changes.fetch()
        self.filings.fetch()

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self._selected()
        if isinstance(exc, UserFacingError):
            self.message.setText(
                _("The to-do list needs the server, which could not be asked: {reason}").format(reason=exc.message())
            )
        else:
            show_exception(self, exc)

    def _show(self, items: list[WaitingStep]) -> None:
        self.refresh_button.setEnabled(True)
        self.items = items
        self.table.setRowCount(len(items))
        red = QBrush(QColor(ERROR))
        for r, w in enumerate(items):
            s = w.step
            customer = " ".join(x for x in (w.customer_code, w.shop_name) if x) or w.record_id
            cells = (
                customer,
                s.name,
                service.owner_text(s),
                service.origin_text(w),
                times.shown(s.started_at),
                times.shown(s.deadline),
                service.left_text(s),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if s.overdue:
                    item.setForeground(red)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        late = sum(1 for w in items if w.step.overdue)
        text = (
            ngettext("{n} step waits for you.", "{n} steps wait for you.", len(items)).format(n=len(items))
            if items
            else _("Nothing waits for you.")
        )
        if late:
            text += " " + ngettext("{n} is overdue.", "{n} are overdue.", late).format(n=late)
        self.message.setText(text)
        self._selected()

    def _selected(self) -> None:
        self.do_button.setEnabled(self.current() is not None)

    def _case_id(self) -> str | None:
        return item.case_id if (item := self.current()) else None

    def current(self) -> WaitingStep | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.items[min(rows)] if rows and min(rows) < len(self.items) else None

    def do_selected(self) -> None:
        item = self.current()
        if item is None:
            return
        if self.ask_note is not None:
            note: str | None = self.ask_note(item)
        else:
            text, ok = QInputDialog.getMultiLineText(
                self, _("Mark the step done"), _("{step}: what was done (optional)").format(step=item.step.name)
            )
            note = text if ok else None
        if note is None:
            return
        self.do_button.setEnabled(False)
        self.message.setText(_("Asking the server…"))

        def done(_revision: int) -> None:
            self.fetch()

        def refused(exc: BaseException) -> None:
            self._selected()
            self.message.setText("")
            show_exception(self, exc)

        ops.do_step(self.ctx, self, item, note, done, refused)

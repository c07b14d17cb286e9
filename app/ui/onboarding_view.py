"""The to-do list (待办, Archive → To-do…): the onboarding steps waiting for the signed-in user, whatever
their role or department (issue 17), with the time left on each step's clock in working days and hours,
overdue steps in red; and doing the chosen step with a note and, where the step records one, its phone notice
(app/ui/onboarding_step.py).

The list is the server's (app.services.onboarding): asked on the network pool when the window opens or is
refreshed; the last list fetched is kept in the encrypted archive. Without a sign-in or a connection the
window says so and shows that kept list "as of" its fetch, with the steps' actions disabled."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import N_, _, ngettext
from app.models import times
from app.models.onboarding import WaitingStep
from app.services import onboarding as service
from app.ui import geometry
from app.ui.case_print import CasePrintButton
from app.ui.changes_view import ChangesPanel
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.filings_view import FilingsSection
from app.ui.list_section import ListSection, with_overdue
from app.ui.onboarding_step import Answer, OnboardingStepDialog
from app.ui.ops import onboarding as ops

log = logging.getLogger(__name__)
COLUMNS = (
    N_("Customer"),
    N_("Step"),
    N_("Done by"),
    N_("Source"),
    N_("Started"),
    N_("Deadline"),
    N_("Time left"),
)


def row_cells(w: WaitingStep) -> tuple[str, ...]:
    """A waiting step's row: the customer, the step, who does it, where the case came from, its clock."""
    s = w.step
    customer = " ".join(x for x in (w.customer_code, w.shop_name) if x) or w.record_id
    return (
        customer,
        s.name,
        service.owner_text(s),
        service.origin_text(w),
        times.shown(s.started_at),
        times.shown(s.deadline),
        service.left_text(s),
    )


class TodoWindow(ListSection[WaitingStep], QDialog):
    """The steps waiting for the user; ``ask_note`` (tests) replaces the note's input dialog: it returns the
    note, or None when the user cancels."""

    def __init__(
        self, ctx: UiContext, parent: QWidget | None = None, ask_note: Callable[[WaitingStep], str | None] | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.ask_note = ctx, ask_note
        self.ask_step: Callable[[WaitingStep], Answer | None] | None = None  # tests: the step dialog's answer
        self.offline = False  # showing the list kept in the archive: nothing can be done until the server answers
        self.setWindowTitle(_("To-do"))
        geometry.fit(self, 1100, 760)  # within a 1280×720 screen: its last buttons were below the edge
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "The onboarding steps waiting for you (新入网客户): each has its own deadline in working days; "
                "overdue steps are red. The list comes from the server."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.build_list(layout, COLUMNS)
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
            reason = exc.message()
            self.message.setText(
                _("The to-do list needs the server, which could not be asked: {reason}").format(reason=reason)
            )
            ops.kept_waiting(self.ctx, self, lambda kept: self._show_kept(kept, reason), self._not_kept)
        else:
            show_exception(self, exc)

    def _not_kept(self, exc: BaseException) -> None:
        log.warning("the kept to-do list could not be read: %s", exc)

    def _show_kept(self, kept: service.KeptList | None, reason: str) -> None:
        """The list as last fetched, read-only: the server could not be asked."""
        if kept is None:
            return
        self.offline = True
        self._fill(kept.steps)
        self.message.setText(
            _(
                "The server could not be asked ({reason}). The list as of {time}, kept in this archive: "
                "steps can be done once the server answers."
            ).format(reason=reason, time=times.shown(kept.at))
        )
        self._selected()

    def _show(self, items: list[WaitingStep]) -> None:
        self.refresh_button.setEnabled(True)
        self.offline = False
        ops.keep_waiting(self.ctx, self, items, self._not_kept)
        self._fill(items)
        self._summary(items)
        self._selected()

    def _fill(self, items: list[WaitingStep]) -> None:
        """The rows; red where the step's deadline has passed (also since a kept list was fetched)."""
        self.fill(items, row_cells, lambda w: service.overdue_now(w.step))

    def _summary(self, items: list[WaitingStep]) -> None:
        late = sum(1 for w in items if w.step.overdue)
        text = (
            ngettext("{n} step waits for you.", "{n} steps wait for you.", len(items)).format(n=len(items))
            if items
            else _("Nothing waits for you.")
        )
        self.message.setText(with_overdue(text, late))

    def _selected(self) -> None:
        self.do_button.setEnabled(self.current() is not None and not self.offline)

    def _case_id(self) -> str | None:
        return item.case_id if (item := self.current()) else None

    def do_selected(self) -> None:
        item = self.current()
        if item is None or self.offline:
            return
        answer = self._ask(item)
        if answer is None:
            return
        self.do_button.setEnabled(False)
        self.message.setText(_("Asking the server…"))

        def done(_revision: int) -> None:
            self.fetch()

        def refused(exc: BaseException) -> None:
            self._selected()
            self.message.setText("")
            show_exception(self, exc)

        ops.do_step(self.ctx, self, item, answer, done, refused)

    def _ask(self, item: WaitingStep) -> Answer | None:
        """The note and phone notice for ``item``'s step (None: cancelled)."""
        if self.ask_step is not None:
            return self.ask_step(item)
        if self.ask_note is not None and not item.step.phone:
            note = self.ask_note(item)
            return None if note is None else (note, None)
        dialog = OnboardingStepDialog(item, self)
        return dialog.answer() if dialog.exec() == QDialog.DialogCode.Accepted else None

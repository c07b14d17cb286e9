"""The change requests' section of the to-do list (待办, issue 17): the change steps waiting for the signed-in
user (their path, customers and new values, deadline and time left, overdue in red), and doing the chosen one
with a note, the phone call an emergency step records and the customer notice an order-days change needs
(app.services.changes). A section of its own below the onboarding steps (app/ui/onboarding_view.py), asked of
the server on the network pool like them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import N_, _, ngettext
from app.models import times
from app.models.onboarding import WaitingChange
from app.services import changes as service
from app.services import onboarding as steps
from app.services.changes import Notice
from app.ui.case_print import CasePrintButton
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.list_section import ListSection, with_overdue
from app.ui.ops import onboarding as ops
from app.ui.step_note import NoteDialog, NoticeBox

COLUMNS = (N_("Path"), N_("Change"), N_("Step"), N_("Done by"), N_("Deadline"), N_("Time left"))
Answer = tuple[str, Notice | None, Notice | None]


class StepDialog(NoteDialog):
    """The note of a change step, with its phone call and customer notice where the step needs them."""

    def __init__(self, item: WaitingChange, parent: QWidget | None = None) -> None:
        phone = NoticeBox(_("The phone call of this step")) if "phone" in item.flags else None
        needs_told = "apply" in item.flags and item.notify_customer
        told = NoticeBox(_("How the customer was told")) if needs_told else None
        super().__init__(item.step.name, (phone, told), parent)
        self.item = item
        self.phone, self.told = phone, told

    def answer(self) -> Answer:
        return (
            self.note.toPlainText(),
            self.phone.notice() if self.phone else None,
            self.told.notice() if self.told else None,
        )


class ChangesPanel(ListSection[WaitingChange], QWidget):
    """The change steps waiting for the user; ``ask`` (tests) replaces the step dialog: it returns the
    (note, phone call, customer notice), or None when the user cancels."""

    def __init__(
        self, ctx: UiContext, parent: QWidget | None = None, ask: Callable[[WaitingChange], Answer | None] | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.ask = ctx, ask
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel(_("Change requests waiting for you (客户信息修改维护): county, city, emergency and bulk paths."))
        title.setWordWrap(True)
        layout.addWidget(title)
        self.build_list(layout, COLUMNS)
        bar = QHBoxLayout()
        bar.addStretch(1)
        self.print_button = CasePrintButton(ctx, self, "change", self.table, self._case_id, self.message)
        bar.addWidget(self.print_button)
        self.do_button = QPushButton(_("Do the change step…"))
        self.do_button.setEnabled(False)
        self.do_button.clicked.connect(self.do_selected)
        bar.addWidget(self.do_button)
        layout.addLayout(bar)

    def fetch(self) -> None:
        self.message.setText(_("Asking the server…"))
        ops.fetch_changes(self.ctx, self, self._show, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.show_unreachable(exc, _("The to-do list needs the server, which could not be asked: {reason}"))

    def _cells(self, w: WaitingChange) -> tuple[str, ...]:
        s = w.step
        return (
            service.path_text(w.path),
            service.changes_text(w, self.ctx.form),
            s.name,
            steps.owner_text(s),
            times.shown(s.deadline) if s.deadline else _("No limit"),
            steps.left_text(s),
        )

    def _show(self, items: list[WaitingChange]) -> None:
        late = self.fill(items, self._cells, lambda w: w.step.overdue)
        text = (
            ngettext("{n} change step waits for you.", "{n} change steps wait for you.", len(items)).format(
                n=len(items)
            )
            if items
            else _("No change request waits for you.")
        )
        self.message.setText(with_overdue(text, late))
        self._selected()

    def _selected(self) -> None:
        self.do_button.setEnabled(self.current() is not None)

    def _case_id(self) -> str | None:
        return item.case_id if (item := self.current()) else None

    def do_selected(self) -> None:
        item = self.current()
        if item is None:
            return
        if self.ask is not None:
            answer = self.ask(item)
        else:
            dialog = StepDialog(item, self)
            answer = dialog.answer() if dialog.exec() == QDialog.DialogCode.Accepted else None
        if answer is None:
            return
        self.do_button.setEnabled(False)
        self.message.setText(_("Asking the server…"))

        def refused(exc: BaseException) -> None:
            self._selected()
            self.message.setText("")
            show_exception(self, exc)

        ops.do_change_step(self.ctx, self, item, answer, lambda _revision: self.fetch(), refused)

"""Doing an onboarding step from the to-do list (待办, issue 17): what was done (optional) and, for a step the
deployment's table says records one (F3 L379–380 "OA流转…并通过电话通知"), the phone notice to the next
owner or the customer: who was called, the number, the outcome (dated now). What is missing is said here,
before the server is asked (app/ui/step_note.py, the dialog the change steps share)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.i18n import _
from app.models.onboarding import WaitingStep
from app.services.changes import Notice
from app.ui.step_note import NoteDialog, NoticeBox

Answer = tuple[str, Notice | None]


class OnboardingStepDialog(NoteDialog):
    """The note and, where the step records one, the phone notice; ``answer()`` once accepted."""

    def __init__(self, item: WaitingStep, parent: QWidget | None = None) -> None:
        phone = NoticeBox(_("Phone notice (required for this step): who was called")) if item.step.phone else None
        super().__init__(item.step.name, (phone,), parent)
        self.item = item
        self.phone = phone

    def answer(self) -> Answer:
        return self.note.toPlainText(), self.phone.notice() if self.phone else None

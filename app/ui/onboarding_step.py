"""Doing an onboarding step from the to-do list (待办, issue 17): what was done (optional) and, for a step the
deployment's table says records one (F3 L379–380 "OA流转…并通过电话通知"), the phone notice to the next
owner or the customer: who was called, the number, the outcome (dated now). What is missing is said here,
before the server is asked."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.models.onboarding import WaitingStep
from app.services.changes import Notice
from app.ui.style import ERROR

Answer = tuple[str, Notice | None]


class OnboardingStepDialog(QDialog):
    """The note and, where the step records one, the phone notice; ``answer()`` once accepted."""

    def __init__(self, item: WaitingStep, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setWindowTitle(_("Mark the step done"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("{step}: what was done (optional)").format(step=item.step.name)))
        self.note = QPlainTextEdit()
        layout.addWidget(self.note)
        self.phone: QGroupBox | None = None
        self.party, self.number, self.outcome = QLineEdit(), QLineEdit(), QLineEdit()
        if item.step.phone:
            self.phone = QGroupBox(_("Phone notice (required for this step): who was called"))
            form = QFormLayout(self.phone)
            self.party.setMaxLength(100)
            self.number.setMaxLength(40)
            self.outcome.setMaxLength(500)
            form.addRow(_("Who"), self.party)
            form.addRow(_("Number"), self.number)
            form.addRow(_("Outcome"), self.outcome)
            layout.addWidget(self.phone)
        self.problem = QLabel("")
        self.problem.setStyleSheet(f"color: {ERROR}")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def answer(self) -> Answer:
        notice = Notice(self.party.text(), self.number.text(), self.outcome.text()) if self.phone else None
        return self.note.toPlainText(), notice

    def _accept(self) -> None:
        _note, notice = self.answer()
        problem = notice.problem() if notice is not None else None
        if problem:
            self.problem.setText(problem)
            return
        self.accept()

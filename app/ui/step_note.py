"""What the to-do list's step dialogs share (待办, issue 17): the phone-notice box (who was called or told, the
number, the outcome; app.services.changes.Notice) and the dialog of a step's note (optional) with the notices
the step records, which says what a notice lacks before the server is asked. The onboarding step's dialog
(app/ui/onboarding_step.py) and the change step's (app/ui/changes_view.py) are this dialog with their boxes;
the change request dialog (app/ui/change_request_dialog.py) uses the box."""

from __future__ import annotations

from collections.abc import Sequence

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
from app.services.changes import Notice
from app.ui.style import ERROR


class NoticeBox(QGroupBox):
    """Who was called or told, the number, the outcome."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        form = QFormLayout(self)
        self.party, self.number, self.outcome = QLineEdit(), QLineEdit(), QLineEdit()
        self.party.setMaxLength(100)
        self.number.setMaxLength(40)
        self.outcome.setMaxLength(500)
        form.addRow(_("Who"), self.party)
        form.addRow(_("Number"), self.number)
        form.addRow(_("Outcome"), self.outcome)

    def notice(self) -> Notice:
        return Notice(self.party.text(), self.number.text(), self.outcome.text())


class NoteDialog(QDialog):
    """A step's note (optional) and its notice boxes (None: a notice this step does not record); OK closes it
    only once every box shown holds a complete notice, else the first one's problem is said."""

    def __init__(self, step: str, boxes: Sequence[NoticeBox | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Mark the step done"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("{step}: what was done (optional)").format(step=step)))
        self.note = QPlainTextEdit()
        layout.addWidget(self.note)
        self.boxes = tuple(b for b in boxes if b is not None)
        for box in self.boxes:
            layout.addWidget(box)
        self.problem = QLabel("")
        self.problem.setStyleSheet(f"color: {ERROR}")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        for box in self.boxes:
            problem = box.notice().problem()
            if problem:
                self.problem.setText(problem)
                return
        self.accept()

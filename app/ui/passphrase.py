"""A new passphrase, entered twice, with the strength meter: one widget for the first-start wizard
and for "forgot the passphrase" (the same rules in both places)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QProgressBar, QWidget

from app.i18n import _, translate
from app.services import session as ss

METER_COLOURS = ("#c62828", "#e65100", "#f9a825", "#7cb342", "#2e7d32")


def passphrase_problem(first: str, second: str) -> str:
    """Why ``first`` (repeated as ``second``) cannot be the passphrase, or "" when it can (an empty
    ``second`` is not yet a problem while typing; :func:`acceptable` needs both)."""
    if first and len(first) < 8:
        return _("At least 8 characters.")
    if first and ss.passphrase_strength(first) == 0:
        return _("This passphrase is too easy to guess.")
    if second and first != second:
        return _("The two entries are not the same.")
    return ""


def acceptable(first: str, second: str) -> bool:
    return bool(first) and first == second and ss.passphrase_strength(first) > 0


class NewPassphrase(QObject):
    """Passphrase, strength meter, repeat, "show": rows added to ``form`` (a QFormLayout of the page)."""

    sig_changed = Signal()

    def __init__(self, parent: QWidget, form: QFormLayout, first_label: str) -> None:
        super().__init__(parent)
        self.first, self.second = QLineEdit(parent), QLineEdit(parent)
        for e in (self.first, self.second):
            e.setEchoMode(QLineEdit.EchoMode.Password)
            e.textChanged.connect(self._changed)
        self.show_box = QCheckBox(_("Show the passphrase"), parent)
        self.show_box.toggled.connect(self._show_text)
        self.meter = QProgressBar(parent)
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter_label = QLabel(parent)
        self.problem = QLabel(parent)
        self.problem.setStyleSheet("color: #c62828")
        self.problem.setWordWrap(True)
        form.addRow(first_label, self.first)
        form.addRow(_("Strength"), self.meter)
        form.addRow("", self.meter_label)
        form.addRow(_("Repeat it"), self.second)
        form.addRow("", self.show_box)
        form.addRow("", self.problem)
        self._changed()

    def _show_text(self, on: bool) -> None:
        for e in (self.first, self.second):
            e.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)

    def _changed(self) -> None:
        score = ss.passphrase_strength(self.first.text())
        self.meter.setValue(score)
        self.meter.setStyleSheet(f"QProgressBar::chunk {{ background: {METER_COLOURS[score]}; }}")
        self.meter_label.setText(translate(ss.STRENGTH_MSGIDS[score]) if self.first.text() else "")
        self.problem.setText(passphrase_problem(self.first.text(), self.second.text()))
        self.sig_changed.emit()

    def text(self) -> str:
        return self.first.text()

    def is_acceptable(self) -> bool:
        return acceptable(self.first.text(), self.second.text())

    def final_problem(self) -> str:
        """The message when the user confirms: also a missing repeat."""
        problem = passphrase_problem(self.first.text(), self.second.text())
        if problem:
            return problem
        if not self.first.text():
            return _("Enter the new passphrase.")
        if self.first.text() != self.second.text():
            return _("The two entries are not the same.")
        return ""

    def clear(self) -> None:
        self.first.clear()
        self.second.clear()

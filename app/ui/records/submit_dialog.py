"""Submitting a customer for review: what still deserves a look (warnings, possible duplicates,
empty required fields), a note to the market manager, and, for a change to an approved customer,
whether it is an emergency (应急维护: decided within 1.5 hours)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.i18n import _, ngettext
from app.models.catalogue import FormDefinition
from app.validation import Issue, Report


class SubmitDialog(QDialog):
    def __init__(self, lines: list[str], can_be_urgent: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Submit for review"))
        layout = QVBoxLayout(self)
        if lines:
            confirm = QLabel(_("Please confirm:") + "\n\n" + "\n".join(f"• {line}" for line in lines[:12]), self)
            confirm.setWordWrap(True)
            layout.addWidget(confirm)
        layout.addWidget(QLabel(_("Note to the market manager (optional)"), self))
        self.note = QLineEdit(self)
        self.note.setMaxLength(2000)
        self.note.setPlaceholderText(_("e.g. visited on site; the change form is attached"))
        layout.addWidget(self.note)
        self.urgent = QCheckBox(_("Emergency change: to be decided within 1.5 hours"), self)
        self.urgent.setEnabled(can_be_urgent)
        if not can_be_urgent:
            self.urgent.setToolTip(_("Only a change to an approved customer can be an emergency."))
        layout.addWidget(self.urgent)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = buttons.addButton(
            _("Submit anyway") if lines else _("Submit for review"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 200 + 18 * min(len(lines), 12))


def errors_text(n: int) -> str:
    """Why a submission is refused before it is asked for."""
    return ngettext(
        "{n} error must be corrected before submitting.", "{n} errors must be corrected before submitting.", n
    ).format(n=n)


def lines_to_confirm(form: FormDefinition, report: Report, duplicates: list[Issue], lang: str) -> list[str]:
    """What still deserves a look before submitting: the warnings, the possible duplicates, the empty
    required fields (counted)."""
    lines = [i.message(form[i.field].label(lang), lang) for i in report.warnings + duplicates]
    if report.missing:
        lines.append(
            ngettext(
                "{n} required field is still empty.", "{n} required fields are still empty.", len(report.missing)
            ).format(n=len(report.missing))
        )
    return lines

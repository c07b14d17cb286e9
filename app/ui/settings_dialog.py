"""Settings: language, idle lock, photo size, server address (load / check / save, as Picard's option pages)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, translate
from app.services.syncing import server_problem
from app.settings import Settings
from app.ui.errors import info


def check_server_url(url: str) -> str | None:
    """A message if ``url`` is not acceptable: HTTPS, or plain HTTP only to this computer (or with the
    development switch, docs/server.md "Transport, TLS and file permissions")."""
    if not url:
        return None
    problem = server_problem(url)
    return problem.message() if problem is not None else None


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(_("Settings"))
        self.language = QComboBox(self)
        self.language.addItem("简体中文", "zh_CN")
        self.language.addItem("English", "en")
        self.idle = QSpinBox(self)
        self.idle.setRange(0, 240)
        self.idle.setSuffix(_(" min"))
        self.idle.setSpecialValueText(_("never"))
        self.photo = QSpinBox(self)
        self.photo.setRange(640, 4096)
        self.photo.setSingleStep(256)
        self.photo.setSuffix(" px")
        self.server = QLineEdit(self)
        self.server.setPlaceholderText("https://")
        # the whole address stays visible (a typical one, and whatever is stored, see load())
        self.server.setMinimumWidth(
            self.server.fontMetrics().horizontalAdvance("https://archive.example.com.cn:8443/") + 24
        )
        self.language_note = QLabel(_("A new language is used after FieldArchive is restarted."), self)
        self.language_note.setStyleSheet("color: #6b6b6b")
        self.language_note.setWordWrap(True)
        self.language_note.setVisible(False)
        self.language.currentIndexChanged.connect(
            lambda _i: self.language_note.setVisible(self.language.currentData() != self.settings.ui_language)
        )
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c62828")
        self.note = QLabel(self)
        self.note.setStyleSheet("color: #6b6b6b")
        form = QFormLayout()
        form.addRow(_("Language"), self.language)
        form.addRow("", self.language_note)
        form.addRow(_("Lock after idle time"), self.idle)
        form.addRow(_("Longest side of stored photos"), self.photo)
        form.addRow(_("Server address"), self.server)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.load()

    def load(self) -> None:
        s = self.settings
        self.language.setCurrentIndex(0 if s.ui_language == "zh_CN" else 1)
        self.idle.setValue(s.idle_lock_minutes)
        self.photo.setValue(s.photo_max_side)
        self.server.setText(s.server_url)
        self.server.setMinimumWidth(
            max(self.server.minimumWidth(), self.server.fontMetrics().horizontalAdvance(s.server_url) + 24)
        )
        self.server.setCursorPosition(0)

    def check(self) -> str | None:
        return check_server_url(self.server.text().strip())

    def save(self) -> None:
        problem = self.check()
        if problem:
            self.error.setText(problem)
            return
        s = self.settings
        language_changed = s.ui_language != self.language.currentData()
        s.ui_language = self.language.currentData()
        s.idle_lock_minutes = self.idle.value()
        s.photo_max_side = self.photo.value()
        s.server_url = self.server.text().strip().rstrip("/")
        s.save()
        self.accept()
        if language_changed:  # said in the language chosen, as a box that stays until read
            self.restart_box = info(
                self.parentWidget(), translate("A new language is used after FieldArchive is restarted.", s.ui_language)
            )

"""First start: language, a passphrase (strength shown, confirmed), who you are, "unlock on this
device" (greyed out with the reason where there is no keyring), then the archive is created and
its recovery code shown once, with an "I wrote it down" step before finishing."""

from __future__ import annotations

from typing import Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWizard, QWizardPage

from app import secrets
from app.i18n import _, translate
from app.services import session as ss
from app.ui.context import UiContext
from app.ui.ops import unlocking as unlock_ops
from app.ui.passphrase import NewPassphrase

PAGE_LANGUAGE, PAGE_PASSPHRASE, PAGE_OPTIONS, PAGE_RECOVERY = range(4)


class LanguagePage(QWizardPage):
    def __init__(self, wizard: FirstStartWizard) -> None:
        super().__init__(wizard)
        self.setTitle(_("Welcome to FieldArchive"))
        self.setSubTitle(_("Your customer archive is kept encrypted on this computer. Let us set it up."))
        self.combo = QComboBox(self)
        self.combo.addItem("简体中文", "zh_CN")
        self.combo.addItem("English", "en")
        self.combo.setCurrentIndex(0 if wizard.lang == "zh_CN" else 1)
        self.combo.activated.connect(lambda _i: wizard.sig_language.emit(self.combo.currentData()))
        form = QFormLayout(self)
        form.addRow(_("Language"), self.combo)


class PassphrasePage(QWizardPage):
    def __init__(self, wizard: FirstStartWizard) -> None:
        super().__init__(wizard)
        self.setTitle(_("Choose a passphrase"))
        self.setSubTitle(
            _(
                "It opens your archive. Use at least 8 characters; a few words are easy to remember and "
                "hard to guess. Without it or the recovery code the archive cannot be opened."
            )
        )
        form = QFormLayout(self)
        self.entry = NewPassphrase(self, form, _("Passphrase"))
        self.first, self.second = self.entry.first, self.entry.second
        self.meter, self.meter_label, self.problem = self.entry.meter, self.entry.meter_label, self.entry.problem
        self.entry.sig_changed.connect(self.completeChanged.emit)

    def isComplete(self) -> bool:
        return self.entry.is_acceptable()


class OptionsPage(QWizardPage):
    def __init__(self, wizard: FirstStartWizard) -> None:
        super().__init__(wizard)
        self.wizard_ = wizard
        self.setTitle(_("A few details"))
        self.setSubTitle(_("Your name is recorded with every change you make and printed on the archive copies."))
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, _("Create the archive"))
        self.user = QLineEdit(ss.default_actor(), self)
        self.user.setToolTip(_("Recorded with every change in the history"))
        self.remember = QCheckBox(_("Unlock on this device without the passphrase"), self)
        self.reason = QLabel(self)
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #6b6b6b")
        if secrets.keyring_available():
            self.reason.setText(
                _("The key is kept in this computer's keyring. Anyone who can log in as you can then open the archive.")
            )
        else:
            self.remember.setEnabled(False)
            self.reason.setText(translate(secrets.NO_KEYRING_REASON))
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c62828")
        self.error.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(_("Your name"), self.user)
        form.addRow("", self.remember)
        form.addRow("", self.reason)
        form.addRow("", self.error)

    def isComplete(self) -> bool:
        return bool(self.user.text().strip()) and not self.wizard_.creating

    def validatePage(self) -> bool:
        if self.wizard_.created:
            return True
        self.wizard_.create(self.user.text().strip(), self.remember.isChecked())
        return False  # the wizard moves on by itself once the archive exists


class RecoveryPage(QWizardPage):
    def __init__(self, wizard: FirstStartWizard) -> None:
        super().__init__(wizard)
        self.setTitle(_("Your recovery code"))
        self.setSubTitle(
            _(
                "Write this code on paper now and keep it somewhere safe. It is shown only this once. "
                "With it you can open the archive if you forget the passphrase."
            )
        )
        self.code = QLabel(self)
        font = QFont("monospace")
        font.setPointSize(20)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.code.setFont(font)
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.confirm = QCheckBox(_("I wrote the recovery code down"), self)
        self.confirm.toggled.connect(lambda _on: self.completeChanged.emit())
        layout = QVBoxLayout(self)
        layout.addWidget(self.code)
        layout.addWidget(self.confirm)

    def isComplete(self) -> bool:
        return self.confirm.isChecked()


class FirstStartWizard(QWizard):
    sig_language = Signal(str)
    sig_created = Signal(object)  # the Session, once the wizard is finished

    def __init__(self, ctx: UiContext, profile: str, lang: str) -> None:
        super().__init__()
        self.ctx, self.profile_name, self.lang = ctx, profile, lang
        self.creating = self.created = False
        self.session: Any = None
        self.setWindowTitle(_("FieldArchive · first start"))
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        self.pages = [LanguagePage(self), PassphrasePage(self), OptionsPage(self), RecoveryPage(self)]
        for i, page in enumerate(self.pages):
            self.setPage(i, page)
        self.resize(620, 460)

    def create(self, user: str, remember: bool) -> None:  # type: ignore[override]  # not QWidget.create(), which nothing here calls
        self.creating = True
        self.pages[PAGE_OPTIONS].completeChanged.emit()
        passphrase = cast(PassphrasePage, self.pages[PAGE_PASSPHRASE]).first.text()
        unlock_ops.create_profile(self.ctx, self, self.profile_name, passphrase, user, remember).success(
            self._created
        ).failure(self._failed).run()

    def _created(self, result: tuple[Any, str, str]) -> None:
        self.session, code, note = result
        self.creating, self.created = False, True
        cast(RecoveryPage, self.pages[PAGE_RECOVERY]).code.setText(code)
        if note:
            self.pages[PAGE_RECOVERY].setSubTitle(self.pages[PAGE_RECOVERY].subTitle() + "\n" + note)
        self.next()

    def _failed(self, exc: BaseException) -> None:
        self.creating = False
        page = cast(OptionsPage, self.pages[PAGE_OPTIONS])
        page.error.setText(exc.message() if hasattr(exc, "message") else str(exc))
        page.completeChanged.emit()

    def accept(self) -> None:
        super().accept()
        if self.session is not None:
            self.sig_created.emit(self.session)

    def reject(self) -> None:
        if self.created:  # the archive exists: finishing is the only way out of the last page
            return
        super().reject()

"""Unlocking the archive: the passphrase, or the recovery code when it is forgotten.

A wrong passphrase keeps the dialog open with a clear message; after repeated failures the
button waits out the delay with a countdown. Key derivation runs off the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _, ngettext
from app.services import startup
from app.ui.context import UiContext
from app.ui.errors import info, show_exception
from app.ui.ops import unlocking as unlock_ops
from app.ui.passphrase import NewPassphrase


class UnlockDialog(QDialog):
    sig_unlocked = Signal(object)  # Session

    def __init__(self, ctx: UiContext, profile: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.profile_name = ctx, profile
        self.setWindowTitle(_("FieldArchive · unlock"))
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._passphrase_page())
        self.stack.addWidget(self._recovery_page())
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828")
        self.wait_label = QLabel(self)
        self.busy = False
        self.buttons = QDialogButtonBox(self)
        self.unlock_button = self.buttons.addButton(_("Unlock"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.try_unlock)
        self.buttons.rejected.connect(self.reject)
        self.forgot = QPushButton(_("Forgot the passphrase?"), self)
        self.forgot.setFlat(True)
        self.forgot.clicked.connect(self.toggle_recovery)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("The archive is locked. Enter your passphrase to open it."), self))
        layout.addWidget(self.stack)
        layout.addWidget(self.message)
        layout.addWidget(self.wait_label)
        layout.addWidget(self.forgot)
        layout.addWidget(self.buttons)
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self._tick)
        self._fit_page()
        self._tick()

    def _fit_page(self) -> None:
        """The dialog as tall as the page shown: a stack is as tall as its tallest page (the recovery one),
        which left a gap between the passphrase and its message."""
        for page in (self.stack.widget(i) for i in range(self.stack.count())):
            shown = page is self.stack.currentWidget()
            policy = QSizePolicy.Policy.Preferred if shown else QSizePolicy.Policy.Ignored
            if page is not None:
                page.setSizePolicy(policy, policy)
        self.stack.adjustSize()
        self.adjustSize()
        self.resize(max(self.width(), 460), self.sizeHint().height())

    def _passphrase_page(self) -> QWidget:
        page = QWidget(self)
        self.passphrase = QLineEdit(page)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(page)
        form.addRow(_("Passphrase"), self.passphrase)
        return page

    def _recovery_page(self) -> QWidget:
        page = QWidget(self)
        self.code = QLineEdit(page)
        self.code.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        form = QFormLayout(page)
        form.addRow(_("Recovery code"), self.code)
        self.new_passphrase = NewPassphrase(page, form, _("New passphrase"))  # the wizard's rules and meter
        self.new1, self.new2 = self.new_passphrase.first, self.new_passphrase.second
        return page

    @property
    def recovering(self) -> bool:
        return self.stack.currentIndex() == 1

    def toggle_recovery(self) -> None:
        self.stack.setCurrentIndex(0 if self.recovering else 1)
        self.forgot.setText(_("Use the passphrase") if self.recovering else _("Forgot the passphrase?"))
        self.message.clear()
        self._fit_page()

    def _tick(self) -> None:
        """While repeated failures impose a delay, count it down on the button's behalf."""
        wait = startup.unlock_wait_seconds(self.profile_name)
        if wait > 0:
            self.unlock_button.setEnabled(False)
            seconds = int(wait + 0.999)
            self.wait_label.setText(
                ngettext("Try again in {seconds} second.", "Try again in {seconds} seconds.", seconds).format(
                    seconds=seconds
                )
            )
            self.countdown.start()
        else:
            self.countdown.stop()
            self.wait_label.clear()
            self.unlock_button.setEnabled(not self.busy)

    def try_unlock(self) -> None:
        if self.recovering:
            problem = self.new_passphrase.final_problem()
            if problem:  # said once: under the passphrase when it is already shown there
                self.message.setStyleSheet("color: #c62828")
                self.message.setText("" if problem == self.new_passphrase.problem.text() else problem)
                self.new1.setFocus()
                return
            op = unlock_ops.recover(self.ctx, self, self.profile_name, self.code.text(), self.new1.text())
        else:
            op = unlock_ops.unlock(self.ctx, self, self.profile_name, self.passphrase.text())

        self.busy = True
        self.unlock_button.setEnabled(False)
        self.message.setStyleSheet("color: #555")
        self.message.setText(_("Opening the archive…"))
        op.success(self._unlocked).failure(self._failed).finally_(self._done).run()

    def _done(self) -> None:
        self.busy = False
        self._tick()

    def _unlocked(self, session: Any) -> None:
        changed = self.recovering
        self.passphrase.clear()
        self.new_passphrase.clear()
        self.code.clear()
        self.accept()
        self.sig_unlocked.emit(session)
        if changed:
            self.confirmation = info(
                self.parentWidget(),
                _(
                    "Your passphrase has been changed. Use the new passphrase "
                    "from now on; the recovery code stays valid."
                ),
            )

    def _failed(self, exc: BaseException) -> None:
        self.message.setStyleSheet("color: #c62828")
        if isinstance(exc, UserFacingError):
            self.message.setText(exc.message())
        else:
            show_exception(self, exc)
            self.message.clear()
        self.passphrase.selectAll()
        self.passphrase.setFocus()

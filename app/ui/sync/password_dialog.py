"""A new password when the server says the old one has expired (issue 18, the periodic change): opened by the
sign-in dialog with the server, the user name and the old password already given; asks for the new one twice,
changes it on the server (a network operation) and signs in with it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import UserFacingError
from app.i18n import _
from app.models.remote import RemoteUser
from app.ui.context import UiContext
from app.ui.ops import syncing as sync_ops


class PasswordDialog(QDialog):
    sig_signed_in = Signal(object)  # (who signed in, whether the tokens outlive this run), as SignInDialog's

    def __init__(self, ctx: UiContext, parent: QWidget | None, server: str, user: str, old: str) -> None:
        super().__init__(parent)
        self.ctx, self.server, self.user, self.old = ctx, server, user, old
        self.setWindowTitle(_("Change your password"))
        intro = QLabel(_("Your password has expired: the server asks you to choose a new one before signing in."))
        intro.setWordWrap(True)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(self)
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(_("User name"), QLabel(user, self))
        form.addRow(_("New password"), self.password)
        form.addRow(_("Repeat it"), self.repeat)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.addButton(_("Change and sign in"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.send)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(460, 220)

    def send(self) -> None:
        self.ok.setEnabled(False)
        self.message.setStyleSheet("color: #555")
        self.message.setText(_("Sending…"))
        new, repeat = self.password.text(), self.repeat.text()
        sync_ops.change_password(self.ctx, self, self.server, self.user, self.old, new, repeat).success(
            self._done
        ).failure(self._failed).finally_(lambda: self.ok.setEnabled(True)).run()

    def _done(self, result: tuple[RemoteUser, bool]) -> None:
        self.password.clear()
        self.repeat.clear()
        self.accept()
        self.sig_signed_in.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.message.setStyleSheet("color: #c62828")
        self.message.setText(exc.message() if isinstance(exc, UserFacingError) else str(exc))

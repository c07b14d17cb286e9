"""Set one's password with the one-time code an administrator gave (Sync → Set a password with a code…):
server address, user name, code, the new password twice. Then sign in with it as usual."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import UserFacingError
from app.i18n import _
from app.ui.context import UiContext
from app.ui.ops import admin as admin_ops


class CodeDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Set a password with a code"))
        self.server = QLineEdit(ctx.settings.server_url, self)
        self.server.setPlaceholderText("https://")
        self.user = QLineEdit(self)
        self.code = QLineEdit(self)
        self.code.setPlaceholderText("ABCD-EFGH-JKMN-PQRS")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(self)
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(_("Server address"), self.server)
        form.addRow(_("User name"), self.user)
        form.addRow(_("One-time code"), self.code)
        form.addRow(_("New password"), self.password)
        form.addRow(_("Repeat it"), self.repeat)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.addButton(_("Set the password"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.send)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(460, 260)

    def send(self) -> None:
        values = (self.server.text(), self.user.text(), self.code.text(), self.password.text(), self.repeat.text())
        self.ok.setEnabled(False)
        self.message.setText(_("Sending…"))

        def done(_none: object) -> None:
            self.password.clear()
            self.repeat.clear()
            self.message.setText(_("Your password is set. Sign in with it now."))
            self.ok.setEnabled(True)

        def failed(exc: BaseException) -> None:
            self.ok.setEnabled(True)
            self.message.setText(exc.message() if isinstance(exc, UserFacingError) else str(exc))

        admin_ops.redeem_code(self.ctx, self, *values).success(done).failure(failed).run()

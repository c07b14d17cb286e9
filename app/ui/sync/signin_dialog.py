"""Sign in to the sync server: address, user name, password. Tokens go to the OS keyring only.

Under the address a warning says when it is plain http:// to another computer: the dialog then
refuses to sign in (the password would travel in clear), unless the development switch
(--allow-insecure / FIELDARCHIVE_ALLOW_INSECURE=1) is on, and then the warning says so."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import UserFacingError
from app.i18n import _
from app.models.remote import RemoteUser
from app.models.wire import ErrorCode
from app.services import syncing
from app.ui.context import UiContext
from app.ui.ops import syncing as sync_ops
from app.ui.settings_dialog import check_server_url
from app.ui.sync.password_dialog import PasswordDialog


class SignInDialog(QDialog):
    sig_signed_in = Signal(object)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None, user: str = "") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Sign in to the server"))
        self.server = QLineEdit(ctx.settings.server_url, self)
        self.server.setPlaceholderText("https://")
        self.server_warning = QLabel(self)
        self.server_warning.setWordWrap(True)
        self.server_warning.setStyleSheet("color: #c62828")
        self.server.textChanged.connect(self._check_address)
        self.user = QLineEdit(user, self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828")
        form = QFormLayout()
        form.addRow(_("Server address"), self.server)
        form.addRow("", self.server_warning)
        form.addRow(_("User name"), self.user)
        form.addRow(_("Password"), self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.addButton(_("Sign in"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(460, 240)
        self._check_address(self.server.text())

    def _check_address(self, text: str) -> None:
        url = text.strip()
        if url and syncing.insecure_address(url):
            self.server_warning.setText(
                _("Not encrypted: the password would be sent in clear (allowed for development only).")
                if syncing.insecure_allowed()
                else _("Not encrypted: http:// is only for this computer. Use the https:// address of the server.")
            )
            self.server_warning.show()
        else:
            self.server_warning.clear()
            self.server_warning.hide()

    def sign_in(self) -> None:
        server, user, password = self.server.text().strip().rstrip("/"), self.user.text().strip(), self.password.text()
        problem = check_server_url(server) if server else _("Enter the server address.")
        if problem or not user or not password:
            self.message.setText(problem or _("Enter your user name and password."))
            return
        self.ok.setEnabled(False)
        self.message.setStyleSheet("color: #555")
        self.message.setText(_("Signing in…"))

        sync_ops.sign_in(self.ctx, self, server, user, password).success(lambda r: self._done(server, r)).failure(
            self._failed
        ).finally_(lambda: self.ok.setEnabled(True)).run()

    def _done(self, server: str, result: tuple[RemoteUser, bool]) -> None:
        self.ctx.settings.server_url = server
        self.ctx.settings.save()
        self.password.clear()
        self.accept()
        self.sig_signed_in.emit(result)  # (who signed in, whether the tokens outlive this run)

    def _failed(self, exc: BaseException) -> None:
        if getattr(exc, "code", None) == ErrorCode.PASSWORD_EXPIRED.value:  # the right one, too old: a new one
            self.message.setText(exc.message() if isinstance(exc, UserFacingError) else str(exc))
            server, user = self.server.text().strip().rstrip("/"), self.user.text().strip()
            self.change = PasswordDialog(self.ctx, self, server, user, self.password.text())
            self.change.sig_signed_in.connect(lambda result: self._done(server, result))
            self.change.open()
            return
        self.message.setStyleSheet("color: #c62828")
        self.message.setText(exc.message() if isinstance(exc, UserFacingError) else str(exc))

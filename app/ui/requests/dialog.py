"""Ask for an export request (申请导出): target, purpose and reason, all required, and whether ID and
bank numbers are to be shown in full; sent to the server at once (a network operation). The
applicant's market manager or an admin decides it (Archive → Export requests…)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.remote import ExportRequest
from app.services.export_requests import request_problem
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops import access as access_ops
from app.ui.style import ERROR, MUTED


class RequestDialog(QDialog):
    """Emits ``sig_sent`` with the new request (pending) once the server has it, then closes."""

    sig_sent = Signal(object)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None, unmasked: bool = False) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Request an export"))
        intro = QLabel(
            _(
                "Your market manager or an admin decides the request; an approval holds for 7 days. "
                "Once approved, it can be chosen in the export dialog (it reaches this computer at the next "
                "sync, or when Archive → Export requests… is opened)."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.target = QLineEdit(self)
        self.target.setPlaceholderText(_("Which customers, e.g. my team's customers in Beilin district"))
        self.purpose = QLineEdit(self)
        self.purpose.setPlaceholderText(_("What the file is for, e.g. checking settlement accounts"))
        self.reason = QPlainTextEdit(self)
        self.reason.setPlaceholderText(_("Why it is needed now"))
        self.reason.setFixedHeight(90)
        self.unmasked = QCheckBox(_("Show full ID and bank numbers"), self)
        self.unmasked.setChecked(unmasked)
        form = QFormLayout()
        form.addRow(_("Target"), self.target)
        form.addRow(_("Purpose"), self.purpose)
        form.addRow(_("Reason"), self.reason)
        form.addRow(self.unmasked)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.send_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.send_button.setText(_("Send request"))
        self.buttons.accepted.connect(self.send)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def values(self) -> tuple[str, str, str, bool]:
        return self.target.text(), self.purpose.text(), self.reason.toPlainText(), self.unmasked.isChecked()

    def _say(self, text: str, colour: str = ERROR) -> None:
        self.message.setStyleSheet(f"color: {colour}")
        self.message.setText(text)

    def send(self) -> None:
        target, purpose, reason, unmasked = self.values()
        problem = request_problem(target, purpose, reason)
        if problem is not None:
            self._say(problem.message())
            empty = next((w for w, v in ((self.target, target), (self.purpose, purpose)) if not v.strip()), None)
            (empty or self.reason).setFocus()
            return
        self.send_button.setEnabled(False)
        self._say(_("Sending the request…"), MUTED)
        access_ops.ask_export(self.ctx, self, self.values(), self._sent, self._failed)

    def _sent(self, request: ExportRequest) -> None:
        self.sig_sent.emit(request)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.send_button.setEnabled(True)
        if isinstance(exc, UserFacingError):
            self._say(_("The request was not sent: {reason}").format(reason=exc.message()))
        else:
            self._say("")
            show_exception(self, exc)

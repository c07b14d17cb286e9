"""The customer's signature (客户签字确认, F3 L320): a drawing pad, its dialog, and the box on the customer's page.

The pad draws with the mouse; a pen or a finger reaches it as the mouse events Qt makes of tablet and touch
input. OK refuses an empty pad with a message; the PNG goes to ``ops.signatures.sign``. The box shows the
latest signature: its picture, the day, who verified it, and its state (current, 已过期 / outdated with the
fields changed since, waiting to be sent, refused by the server with the reason).
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QImageWriter, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, current_language, translate
from app.models.catalogue import FormDefinition
from app.models.signature import Signature
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops import records as record_ops
from app.ui.ops import signatures as ops
from app.ui.style import ERROR, WARNING
from app.validation import secrecy
from app.validation.consent import MESSAGES

PAD_SIZE = QSize(560, 220)


class SignaturePad(QWidget):
    """A white pad the customer signs on; strokes are kept as painter paths."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths: list[QPainterPath] = []
        self._drawing = False
        self.setMinimumSize(PAD_SIZE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName(_("Signature pad"))

    def is_empty(self) -> bool:
        """No stroke, or only strokes of no length (a tap leaves a dot: that counts)."""
        return not self.paths

    def clear(self) -> None:
        self.paths.clear()
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            path = QPainterPath(event.position())
            path.lineTo(event.position() + QPointF(0.1, 0.1))  # a dot is drawn too
            self.paths.append(path)
            self._drawing = True
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drawing and self.paths:
            self.paths[-1].lineTo(event.position())
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drawing and self.paths and event.button() == Qt.MouseButton.LeftButton:
            self.paths[-1].lineTo(event.position())
            self._drawing = False
            self.update()

    def _paint(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            QPen(QColor(20, 20, 60), 2.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        )
        for path in self.paths:
            painter.drawPath(path)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        painter.setPen(QPen(QColor(200, 200, 200), 1, Qt.PenStyle.DashLine))
        baseline = self.height() - 40
        painter.drawLine(20, baseline, self.width() - 20, baseline)
        self._paint(painter)
        painter.end()

    def png(self) -> bytes:
        """The strokes on white, as PNG bytes (what the archive keeps)."""
        image = QImage(self.size(), QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        self._paint(painter)
        painter.end()
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        QImageWriter(buf, QByteArray(b"png")).write(image)
        buf.close()
        return bytes(data.data())


class SignatureDialog(QDialog):
    """Clear / OK / Cancel around the pad; OK on an empty pad says so and stays open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Customer signature"))
        self.pad = SignaturePad(self)
        self.hint = QLabel(_("The customer signs here to confirm the basic information shown on the form."), self)
        self.hint.setWordWrap(True)
        self.message = QLabel("", self)
        self.message.setStyleSheet(f"color: {ERROR};")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.clear_button = QPushButton(_("Clear"), self)
        self.buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.clear_button.clicked.connect(self._clear)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.pad, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.result_png = b""

    def _clear(self) -> None:
        self.pad.clear()
        self.message.clear()

    def _ok(self) -> None:
        if self.pad.is_empty():
            self.message.setText(translate(MESSAGES["signature.empty"]))
            return
        self.result_png = self.pad.png()
        self.accept()


class SignatureBox(QWidget):
    """The latest signature on the customer's page, and the button to take one."""

    sig_message = Signal(str)

    THUMB = QSize(180, 60)

    def __init__(self, ctx: UiContext, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.form = ctx, form
        self.customer_id: str | None = None
        self.signatures: list[Signature] = []
        self.thumb = QLabel(self)
        self.thumb.setFixedSize(self.THUMB)
        self.thumb.setStyleSheet("background: white; border: 1px solid #ccc;")
        self.state = QLabel(_("Not signed by the customer yet."), self)
        self.state.setWordWrap(True)
        self.sign_button = QPushButton(_("Customer signature…"), self)
        self.sign_button.setToolTip(_("The customer signs to confirm the basic information (F3 L320)."))
        self.sign_button.clicked.connect(self.ask_signature)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.thumb)
        layout.addWidget(self.state, 1)
        layout.addWidget(self.sign_button)
        self.dialog: SignatureDialog | None = None

    def set_form(self, form: FormDefinition) -> None:
        self.form = form

    def load(self, customer_id: str | None) -> None:
        self.customer_id = customer_id
        self.sign_button.setEnabled(bool(customer_id))
        if not customer_id:
            self._show([])
            return
        ops.of_customer(self.ctx, self, customer_id).success(self._show).run()

    def refresh(self) -> None:
        """Read again after the customer was saved; a customer never signed has nothing to outdate."""
        if self.customer_id and self.signatures:
            self.load(self.customer_id)

    def _label(self, key: str) -> str:
        spec = self.form.get(key)
        return spec.label(current_language()) if spec else key

    def state_text(self, sig: Signature) -> str:
        head = _("Signed on {date}, verified by {who}.").format(date=sig.signed_on, who=sig.verified_by or "—")
        if sig.state == "refused":
            return head + " " + _("Refused by the server: {reason}").format(reason=sig.error)
        if sig.outdated:
            changed = "、".join(self._label(k) for k in sig.changed)
            return head + " " + _("Outdated: changed since it was signed: {fields}.").format(fields=changed)
        tail = _("Current.") if sig.state == "synced" else _("Current; waiting to be sent.")
        return head + " " + tail

    def _show(self, sigs: list[Signature]) -> None:
        self.signatures = sigs
        self.thumb.clear()
        if not sigs:
            self.state.setText(_("Not signed by the customer yet."))
            self.state.setStyleSheet("")
            return
        latest = sigs[0]
        self.state.setText(self.state_text(latest))
        colour = ERROR if latest.state == "refused" else WARNING if latest.outdated else ""
        self.state.setStyleSheet(f"color: {colour};" if colour else "")
        withheld = secrecy.label(latest.image)  # the masked view gets no picture of the person's hand
        if withheld is not None:
            self.thumb.setText(_(withheld))
            return
        record_ops.photo(self.ctx, self, latest.image).success(self._thumb).run()

    def _thumb(self, data: bytes | None) -> None:
        pix = QPixmap()
        if data and pix.loadFromData(data):
            self.thumb.setPixmap(
                pix.scaled(self.THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            )

    def ask_signature(self) -> None:
        if not self.customer_id:
            return
        self.dialog = SignatureDialog(self)
        self.dialog.accepted.connect(self._signed)
        self.dialog.open()

    def _signed(self) -> None:
        if self.dialog is None or not self.customer_id:
            return
        cid = self.customer_id

        def done(_sig: Signature) -> None:
            self.sig_message.emit(_("The customer's signature is recorded."))
            self.load(cid)

        ops.sign(self.ctx, self, cid, self.dialog.result_png).success(done).failure(
            lambda e: show_exception(self, e)
        ).run()

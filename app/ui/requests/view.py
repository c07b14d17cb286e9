"""Export requests (导出申请, Archive → Export requests…): the requests the server lists to this user
(their own; a market manager's also the team's; an admin's all), waiting ones first, with applicant,
target, purpose, reason, whether ID and bank numbers are unmasked, and the state. A market manager or
an admin approves or refuses (with a reason) the selected one; one's own request cannot be decided
(the buttons stay disabled and say why; the server refuses it too). The list is asked again after
each decision and each new request, and kept in the archive (an approval is usable at once)."""

from __future__ import annotations

import datetime as dt
import time

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _, ngettext, translate
from app.models import times
from app.models.remote import ExportRequest
from app.models.wire import UserRole
from app.services.export_requests import RequestList, may_decide
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops import access as access_ops
from app.ui.requests.dialog import RequestDialog
from app.ui.style import ERROR, MUTED, OK, WARNING

COLUMNS = 7


def when(seconds: float | None) -> str:
    return times.shown(dt.datetime.fromtimestamp(seconds, dt.UTC)) if seconds else ""


def state_text(r: ExportRequest, now: float) -> tuple[str, str]:
    """The state as shown, and its colour."""
    if r.state == "pending":
        return _("Waiting for a decision"), WARNING
    who = r.approver_name or r.approver or ""
    if r.state == "refused":
        return _("Refused by {who}: {note}").format(who=who, note=r.note or "-"), ERROR
    if r.valid_until is not None and now > r.valid_until:
        return _("Expired ({date})").format(date=when(r.valid_until)), MUTED
    return _("Approved by {who}, valid until {date}").format(who=who, date=when(r.valid_until)), OK


class ExportRequestsView(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.data: RequestList | None = None
        self.notice = ""  # what the last decision did, shown until another request is selected
        self.shown: list[ExportRequest] = []
        self.setWindowTitle(_("Export requests"))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.table = QTableWidget(0, COLUMNS, self)
        self.table.setHorizontalHeaderLabels(
            [_("Applicant"), _("Target"), _("Purpose"), _("Reason"), _("Full numbers"), _("State"), _("Asked on")]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.why = QLabel(self)
        self.why.setWordWrap(True)
        self.why.setStyleSheet(f"color: {MUTED}")
        self.approve_button = QPushButton(_("Approve"), self)
        self.refuse_button = QPushButton(_("Refuse…"), self)
        self.new_button = QPushButton(_("Request…"), self)
        self.refresh_button = QPushButton(_("Refresh"), self)
        self.approve_button.clicked.connect(lambda: self._decide(True, ""))
        self.refuse_button.clicked.connect(self.refuse)
        self.new_button.clicked.connect(self.new_request)
        self.refresh_button.clicked.connect(self.refresh)
        row = QHBoxLayout()
        for b in (self.approve_button, self.refuse_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.new_button)
        row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.why)
        layout.addLayout(row)
        self.resize(1200, 520)
        self._selection_changed()

    # ---- the list ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        self.message.setText(_("Asking the server…"))
        access_ops.list_requests(self.ctx, self, self.show_list, self._failed)

    def show_list(self, data: RequestList) -> None:
        self.refresh_button.setEnabled(True)
        self.message.setStyleSheet("")
        self.data = data
        now = time.time()
        self.shown = sorted(data.requests, key=lambda r: (r.state != "pending", -r.created_at))
        self.table.blockSignals(True)  # the old selection is not "a request selected" (it keeps the notice)
        self.table.clearSelection()
        self.table.setRowCount(len(self.shown))
        for n, r in enumerate(self.shown):
            state, colour = state_text(r, now)
            applicant = r.applicant_name + (_(" (you)") if r.applicant == data.me else "")
            cells = (applicant, r.target, r.purpose, r.reason, _("Yes") if r.unmasked else _("No"), state)
            for col, text in enumerate((*cells, when(r.created_at))):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if col == 5:
                    item.setForeground(QBrush(QColor(colour)))
                self.table.setItem(n, col, item)
        self.table.resizeColumnsToContents()
        for col, widest in ((1, 220), (2, 200), (3, 200), (5, 340)):  # the tooltips hold the whole text
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), widest))
        waiting = sum(r.state == "pending" for r in self.shown)
        self.message.setText(
            ngettext(
                "{n} request in all; {waiting} waiting for a decision.",
                "{n} requests in all; {waiting} waiting for a decision.",
                len(self.shown),
            ).format(n=len(self.shown), waiting=waiting)
            if self.shown
            else _("No export requests yet. Request… asks for one.")
        )
        self.table.blockSignals(False)
        self._selection_changed()

    def selected(self) -> ExportRequest | None:
        rows = self.table.selectionModel().selectedRows()
        return self.shown[rows[0].row()] if rows and rows[0].row() < len(self.shown) else None

    def select(self, request_id: str) -> None:
        for n, r in enumerate(self.shown):
            if r.id == request_id:
                self.table.selectRow(n)

    def _selection_changed(self) -> None:
        item, data = self.selected(), self.data
        why = None if item is None or data is None else may_decide(item, data.me, data.role)
        allowed = item is not None and why is None
        self.approve_button.setEnabled(allowed)
        self.refuse_button.setEnabled(allowed)
        self.why.setText(translate(why) if why else "")
        if item is not None:
            self.notice = ""
        elif self.notice:
            self.why.setText(self.notice)
        elif data is not None and data.role is not UserRole.COLLECTOR:
            self.why.setText(_("Select a waiting request to approve or refuse it."))

    # ---- decisions and new requests -------------------------------------------------------------
    def ask_refusal(self) -> str | None:
        """The reason for refusing (the applicant reads it), or None when cancelled."""
        note, ok = QInputDialog.getMultiLineText(
            self, _("Refuse the request"), _("Why is it refused? The applicant reads this.")
        )
        return note if ok else None

    def refuse(self) -> None:
        note = self.ask_refusal()
        if note is None:
            return
        if not note.strip():
            self.why.setText(_("Give the reason for refusing: the applicant reads it."))
            return
        self._decide(False, note)

    def _decide(self, approve: bool, note: str) -> None:
        item = self.selected()
        if item is None:
            return
        self.approve_button.setEnabled(False)
        self.refuse_button.setEnabled(False)

        def done(r: ExportRequest) -> None:
            self.notice = (_("Approved: {target}.") if approve else _("Refused: {target}.")).format(target=r.target)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self._selection_changed()
            if isinstance(exc, UserFacingError):
                self.why.setText(_("Not decided: {reason}").format(reason=exc.message()))
            else:
                show_exception(self, exc)

        access_ops.decide_export(self.ctx, self, item.id, approve, note, done, failed)

    def new_request(self) -> RequestDialog:
        dialog = RequestDialog(self.ctx, self)
        dialog.sig_sent.connect(lambda _r: self.refresh())
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self._selection_changed()
        if isinstance(exc, UserFacingError):
            self.message.setText(_("The server could not be asked: {reason}").format(reason=exc.message()))
            self.message.setStyleSheet(f"color: {ERROR}")
        else:
            show_exception(self, exc)

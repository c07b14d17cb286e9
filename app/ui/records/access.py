"""A customer's access log (查阅记录): who opened or printed the customer, when and on which device,
as the server holds it (audit R9, A4). For market managers and admins; asked when the tab is opened."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.errors import UserFacingError
from app.i18n import N_, _, ngettext
from app.models import times
from app.models.remote import CustomerAccess
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops import syncing as sync_ops

KINDS = {"open": N_("Opened"), "print": N_("Printed"), "search": N_("Searched"), "export": N_("Exported")}


class AccessView(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id: str | None = None
        self.loaded_for: str | None = None
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.refresh_button = QPushButton(_("Ask the server again"), self)
        self.refresh_button.clicked.connect(lambda: self.fetch(force=True))
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels([_("When"), _("Who"), _("What"), _("Device")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def load(self, customer_id: str | None) -> None:
        """A new customer is shown: forget the last answer (asked again when the tab is opened)."""
        self.customer_id = customer_id
        self.loaded_for = None
        self.table.setRowCount(0)
        self.message.setText(_("Who opened this customer, as the server has it after each sync."))

    def fetch(self, force: bool = False) -> None:
        cid = self.customer_id
        if not cid or (self.loaded_for == cid and not force):
            return
        self.message.setText(_("Asking the server…"))
        self.refresh_button.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.refresh_button.setEnabled(True)
            if isinstance(exc, UserFacingError):
                self.message.setText(_("The server could not be asked: {reason}").format(reason=exc.message()))
            else:
                show_exception(self, exc)

        sync_ops.customer_access(self.ctx, self, cid, lambda data: self._show(cid, data), failed)

    def _show(self, cid: str, data: CustomerAccess) -> None:
        self.refresh_button.setEnabled(True)
        if cid != self.customer_id:
            return
        self.loaded_for = cid
        entries = data.entries
        self.message.setText(
            ngettext("Opened {n} time.", "Opened {n} times.", len(entries)).format(n=len(entries))
            if entries
            else _("Nobody has opened this customer yet (as far as the server knows).")
        )
        self.table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            what = _(KINDS.get(e.kind, e.kind))
            if e.via == "review":
                what = _("{what} (review)").format(what=what)
            for col, text in enumerate((times.shown(e.at), e.display_name, what, e.device)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

"""A customer's access log (查阅记录): who opened or printed the customer, when and on which device,
as the server holds it (audit R9, A4). For market managers and admins; asked when the tab is opened."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidgetItem, QWidget

from app.i18n import N_, _, ngettext
from app.models import times
from app.models.remote import CustomerAccess
from app.ui.context import UiContext
from app.ui.ops import syncing as sync_ops
from app.ui.records.lazy_tab import ServerTab

KINDS = {"open": N_("Opened"), "print": N_("Printed"), "search": N_("Searched"), "export": N_("Exported")}


class AccessView(ServerTab[CustomerAccess]):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            [_("When"), _("Who"), _("What"), _("Device")],
            sync_ops.customer_access,
            self._show,
            lambda: _("Who opened this customer, as the server has it after each sync."),
            parent,
        )
        self.hold(None)

    def _show(self, data: CustomerAccess) -> None:
        entries = data.entries
        self.message.setText(
            ngettext(
                "{n} entry: opened, searched, printed or exported.",
                "{n} entries: opened, searched, printed or exported.",
                len(entries),
            ).format(n=len(entries))
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

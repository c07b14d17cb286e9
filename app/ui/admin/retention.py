"""The administration area's "Due for destruction" page (到期销毁; docs/domain.md, "The archive's lifecycle"):
the closed and deleted records past their retention, as the server lists them (ids and dates, no personal
value), and their destruction on the admin's approval: a confirmation that says it cannot be undone and
needs the reason (the decision or its reference). The server destroys all or none, records the admin as the
approver and logs the call; every computer erases the records at its next sync."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, ngettext, translate
from app.models import times
from app.models.admin import Destroyed, DueRecord
from app.services import admin
from app.ui.admin.common import Page, fill, table
from app.ui.context import UiContext
from app.ui.style import ERROR


class DestroyDialog(QDialog):
    """Destroy ``count`` records? Says what goes and that it cannot be undone; the reason is required."""

    def __init__(self, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Destroy records"))
        self.warning = QLabel(
            ngettext(
                "{n} record will be destroyed on the server: its values, versions, visits and photos. "
                "Every computer erases it at its next sync. This cannot be undone.",
                "{n} records will be destroyed on the server: their values, versions, visits and photos. "
                "Every computer erases them at its next sync. This cannot be undone.",
                count,
            ).format(n=count),
            self,
        )
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {ERROR}; font-weight: bold;")
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(_("The decision or its reference (required)"))
        self.error = QLabel(self)
        self.error.setStyleSheet(f"color: {ERROR}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = buttons.addButton(_("Destroy"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.setDefault(True)  # Enter does not destroy
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning)
        layout.addWidget(QLabel(_("Reason"), self))
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, 220)

    def _accept(self) -> None:
        if not self.reason.text().strip():
            self.error.setText(_("Say why the records are destroyed (the decision or its reference)."))
            return
        self.accept()


class RetentionPage(Page):
    """The records due, the longest overdue first; several can be chosen and destroyed together."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Due for destruction")
        self.due: list[DueRecord] = []
        note = QLabel(
            _(
                "Closed and deleted records whose retention period is over. Nothing is destroyed until you "
                "approve it here; the server records you as the approver, with the reason, in the admin log."
            )
        )
        note.setWordWrap(True)
        self.layout_.addWidget(note)
        self.count = QLabel()
        self.layout_.addWidget(self.count)
        self.table = table([_("Code"), _("Record"), _("Kind"), _("Closed or deleted"), _("Due since")], 1)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.layout_.addWidget(self.table)
        self.destroy_b, _r = self.buttons((_("Destroy the selected…"), self.ask_destroy), (_("Refresh"), self.refresh))
        self.layout_.addWidget(self.status)
        self.dialog: DestroyDialog | None = None

    def refresh(self) -> None:
        self.ask(admin.retention_due, self.show_due)

    def show_due(self, due: list[DueRecord]) -> None:
        self.due = due
        fill(
            self.table,
            [
                (
                    d.code or "—",
                    d.record_id,
                    translate(admin.RECORD_CLASSES.get(d.record_class, d.record_class)),
                    times.shown(d.since),
                    times.shown(d.due_since),
                )
                for d in due
            ],
            [d.record_id for d in due],
        )
        self.count.setText(
            ngettext("{n} record is due for destruction.", "{n} records are due for destruction.", len(due)).format(
                n=len(due)
            )
            if due
            else _("No record is due for destruction.")
        )
        self.destroy_b.setEnabled(bool(due))

    def selected_ids(self) -> list[str]:
        model = self.table.selectionModel()
        rows = sorted(i.row() for i in model.selectedRows()) if model else []
        out = []
        for r in rows:
            item = self.table.item(r, 0)
            if item is not None:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def ask_destroy(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self.status.setText(_("Choose the records to destroy."))
            return
        self.dialog = DestroyDialog(len(ids), self)
        self.dialog.accepted.connect(
            lambda: self.destroy_records(ids, self.dialog.reason.text() if self.dialog else "")
        )
        self.dialog.open()

    def destroy_records(self, ids: list[str], reason: str) -> None:
        self.ask(lambda c: admin.destroy_records(c, ids, reason), self.show_destroyed)

    def show_destroyed(self, done: list[Destroyed]) -> None:
        self.status.setText(
            ngettext(
                "{n} record destroyed; every computer erases it at its next sync.",
                "{n} records destroyed; every computer erases them at its next sync.",
                len(done),
            ).format(n=len(done))
        )
        backups = sorted({b for d in done for b in d.kept_in_backups})
        if backups:  # never rewritten: they age out by their rotation (docs/deploy.md, restoring an older backup)
            self.status.setText(
                self.status.text()
                + " "
                + ngettext(
                    "{n} backup made before still holds them until its rotation removes it: {names}.",
                    "{n} backups made before still hold them until their rotation removes them: {names}.",
                    len(backups),
                ).format(n=len(backups), names=", ".join(backups))
            )
        self.refresh()

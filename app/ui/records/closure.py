"""Closing an outlet (销户) and reopening it in the desktop app (docs/domain.md, "The archive's lifecycle"):
the Customer menu's two actions (a market manager or an admin; a collector reports a cancelled licence
through the customer's status, as before, and sees neither), the dialog asking the date of the licence's
cancellation (not in the future) and the reason (required), and the banner of a closed outlet's form
(when, why, by whom; the form is read-only). The work is ``ops.lifecycle.close_outlet``, which announces
the customer as stored: the form, the list and the counts follow from that."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape as html_escape

from PySide6.QtCore import QDate
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.i18n import _
from app.models import times
from app.models.record import Customer
from app.models.wire import UserRole
from app.services.events import Changes
from app.ui.context import UiContext
from app.ui.ops import lifecycle as lifecycle_ops
from app.ui.style import ERROR, MUTED

DECIDERS = (UserRole.SUPERVISOR, UserRole.ADMIN)


def may_decide(role: UserRole | str) -> bool:
    """A market manager or an admin closes and reopens; a collector reports (the server checks it too)."""
    return str(getattr(role, "value", role)) in {r.value for r in DECIDERS}


def banner(customer: Customer) -> tuple[str, str]:
    """The closed outlet's banner (style, HTML): since when, why and by whom it is closed."""
    c = customer.closure or {}
    by = c.get("by_name") or c.get("by") or ""
    text = _("Closed on {day} by {by}: {reason}").format(
        day=html_escape(str(c.get("day") or "")),
        by=html_escape(str(by)),
        reason=html_escape(str(c.get("reason") or "")),
    )
    text += "<br>" + _("The record is read-only; a market manager or an admin can reopen it.")
    if c.get("at"):
        text += f' <span style="color:{MUTED}">({html_escape(times.shown(str(c["at"])))})</span>'
    return f"background:#eeeeee; border:1px solid {MUTED};", text


class ClosureDialog(QDialog):
    """Close: the date the licence was cancelled (today or earlier) and the reason. Reopen: the reason."""

    def __init__(self, action: str, name: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action, self.today = action, today
        closing = action == "close"
        self.setWindowTitle(_("Close the outlet") if closing else _("Reopen the outlet"))
        layout = QFormLayout(self)
        what = QLabel(
            _("{name} leaves the working list and its record becomes read-only.").format(name=name)
            if closing
            else _("{name} returns to the working list and can be edited again.").format(name=name),
            self,
        )
        what.setWordWrap(True)
        layout.addRow(what)
        self.day = QDateEdit(QDate(today.year, today.month, today.day), self)
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMaximumDate(QDate(today.year, today.month, today.day))
        if closing:
            layout.addRow(_("Licence cancelled on"), self.day)
        else:
            self.day.hide()
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(
            _("For example: licence cancelled, shop closed for good") if closing else _("For example: licence reissued")
        )
        layout.addRow(_("Reason"), self.reason)
        self.error = QLabel(self)
        self.error.setStyleSheet(f"color: {ERROR}")
        self.error.setWordWrap(True)
        layout.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = buttons.addButton(
            _("Close the outlet") if closing else _("Reopen"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)
        self.resize(480, 200)

    def picked(self) -> dt.date:
        d = self.day.date()
        return dt.date(d.year(), d.month(), d.day())

    def chosen_day(self) -> str:
        return self.picked().isoformat() if self.action == "close" else self.today.isoformat()

    def _accept(self) -> None:
        if self.action == "close" and self.picked() > self.today:
            self.error.setText(_("The date of a closure cannot be in the future."))
            return
        if not self.reason.text().strip():
            self.error.setText(_("Say why the outlet is closed or reopened."))
            return
        self.accept()


class ClosureActions:
    """The Customer menu's "Close the outlet…" and "Reopen the outlet…": shown to a market manager or an
    admin, enabled for the open saved customer that may be closed (open, not waiting for review) or
    reopened (closed)."""

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget,
        add: Callable[[str, Callable[[], object]], QAction],
        current: Callable[[], Customer | None],
        message: Callable[[str], None],
    ) -> None:
        self.ctx, self.parent, self.current, self.message = ctx, parent, current, message
        self.close_action = add(_("Close the outlet…"), lambda: self.ask("close"))
        self.reopen_action = add(_("Reopen the outlet…"), lambda: self.ask("reopen"))
        self.role: UserRole | str = UserRole.COLLECTOR
        self.dialog: ClosureDialog | None = None

    def update(self, role: UserRole | str, usable: bool = True) -> None:
        """Follow the role and the open customer (``usable``: unlocked)."""
        self.role = role
        shown = may_decide(role)
        c = self.current()
        for action in (self.close_action, self.reopen_action):
            action.setVisible(shown)
        self.close_action.setEnabled(
            shown and usable and c is not None and not c.closed and c.status.value != "pending"
        )
        self.reopen_action.setEnabled(shown and usable and c is not None and c.closed)

    def ask(self, action: str) -> None:
        c = self.current()
        if c is None or not may_decide(self.role):
            return
        name = str(c.values.get("shop_name") or c.code or c.id)
        self.dialog = ClosureDialog(action, name, times.today(), self.parent)  # the bureau's day
        dialog = self.dialog
        dialog.accepted.connect(lambda: self.run(c.id, action, dialog.chosen_day(), dialog.reason.text()))
        dialog.open()

    def run(self, customer_id: str, action: str, day: str, reason: str) -> None:
        def done(_changes: Changes) -> None:
            self.message(_("The outlet was closed.") if action == "close" else _("The outlet was reopened."))

        lifecycle_ops.close_outlet(self.ctx, self.parent, customer_id, action, day, reason).success(done).run()

"""The administration area's "AB posts" (AB岗) and "Alerts" pages (issue 18; docs/domain.md, "Access to personal
data"). AB posts: who covers which customer manager on leave, for which days and why, in force or not; set one
(a dialog: A, B, first and last day, reason), end one early, and read its handover records (what was open at
its start and at its end). Alerts: repeated failed sign-ins, refused tokens and large exports, newest first;
acknowledge one (the server records who and when)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.i18n import _, ngettext, translate
from app.models import times
from app.models.guards import Alert, Cover
from app.services import guards
from app.ui.admin.common import Page, fill, selected_key, table, when
from app.ui.context import UiContext
from app.ui.style import ERROR


class CoverDialog(QDialog):
    """A new cover: A, B, first and last day (whole days in China), the reason (each required)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Set an AB post"))
        self.absent, self.cover, self.reason = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        today = times.today()
        self.starts, self.ends = QDateEdit(self), QDateEdit(self)
        for d in (self.starts, self.ends):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setDate(QDate(today.year, today.month, today.day))
        form = QFormLayout()
        form.addRow(_("On leave (A)"), self.absent)
        form.addRow(_("Covered by (B)"), self.cover)
        form.addRow(_("First day"), self.starts)
        form.addRow(_("Last day"), self.ends)
        form.addRow(_("Reason"), self.reason)
        self.error = QLabel(self)
        self.error.setStyleSheet(f"color: {ERROR}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def days(self) -> tuple[dt.date, dt.date]:
        s, e = self.starts.date(), self.ends.date()
        return dt.date(s.year(), s.month(), s.day()), dt.date(e.year(), e.month(), e.day())

    def _accept(self) -> None:
        if not (self.absent.text().strip() and self.cover.text().strip() and self.reason.text().strip()):
            self.error.setText(_("Name A and B and say why."))
            return
        self.accept()


class CoversPage(Page):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("AB posts")
        note = QLabel(
            _(
                "While a customer manager is on leave, B keeps their customers for the days set here; "
                "it ends by itself. A handover record is written at the start and at the end."
            )
        )
        note.setWordWrap(True)
        self.layout_.addWidget(note)
        self.table = table(
            [_("No."), _("On leave (A)"), _("Covered by (B)"), _("First day"), _("Last day"), _("State"), _("Reason")],
            6,
        )
        self.layout_.addWidget(self.table)
        self.handover = table([_("Handover"), _("When"), _("Customers"), _("Customers with open work")], 3)
        self.layout_.addWidget(self.handover)
        self.buttons(
            (_("Set an AB post…"), self.ask_set),
            (_("End early"), self.end),
            (_("Handover record"), self.show_one),
            (_("Refresh"), self.refresh),
        )
        self.layout_.addWidget(self.status)
        self.dialog: CoverDialog | None = None
        self.covers: list[Cover] = []

    def refresh(self) -> None:
        self.ask(guards.covers, self.show_covers)

    def show_covers(self, covers: list[Cover]) -> None:
        self.covers = covers
        rows = [
            (
                c.id,
                c.absent,
                c.cover,
                when(c.starts_at),
                when(c.ends_at),
                translate(guards.COVER_STATES[c.state]),
                c.reason,
            )
            for c in covers
        ]
        fill(self.table, rows, [c.id for c in covers])

    def ask_set(self) -> None:
        self.dialog = CoverDialog(self)
        self.dialog.accepted.connect(self._send)
        self.dialog.open()

    def _send(self) -> None:
        d = self.dialog
        if d is None:
            return
        starts, ends = d.days()
        absent, cover, reason = d.absent.text(), d.cover.text(), d.reason.text()
        self.ask(lambda c: guards.set_cover(c, absent, cover, starts, ends, reason), self._changed)

    def _changed(self, cover: Cover) -> None:
        self.status.setText(_("AB post {n}: {b} covers {a}.").format(n=cover.id, a=cover.absent, b=cover.cover))
        self.show_handover(cover)
        self.refresh()

    def end(self) -> None:
        key = selected_key(self.table)
        if key is None:
            self.status.setText(_("Choose an AB post first."))
            return
        self.ask(lambda c: guards.end_cover(c, int(key)), self._changed)

    def show_one(self) -> None:
        key = selected_key(self.table)
        if key is None:
            self.status.setText(_("Choose an AB post first."))
            return
        self.ask(lambda c: guards.cover(c, int(key)), self.show_handover)

    def show_handover(self, cover: Cover) -> None:
        rows = [
            (
                translate(guards.HANDOVER_EVENTS.get(h.event, h.event)),
                when(h.at),
                h.customers,
                "; ".join(f"{o.code or o.record_id[:8]} {o.shop} ({o.status})" for o in h.open) or "—",
            )
            for h in cover.handover
        ]
        fill(self.handover, rows)


class AlertsPage(Page):
    sig_waiting = Signal(int)  # alerts not acknowledged, as last listed (the status bar's notice follows it)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Alerts")
        self.count = QLabel()
        self.layout_.addWidget(self.count)
        self.table = table(
            [_("No."), _("Raised"), _("What"), _("Account or address"), _("Count"), _("Acknowledged")], 3
        )
        self.layout_.addWidget(self.table)
        self.buttons((_("Acknowledge"), self.acknowledge), (_("Refresh"), self.refresh))
        self.layout_.addWidget(self.status)

    def refresh(self) -> None:
        self.ask(guards.alerts, self.show_alerts)

    def show_alerts(self, alerts: list[Alert]) -> None:
        rows = [
            (
                a.id,
                when(a.raised_at),
                translate(guards.ALERT_KINDS.get(a.kind, a.kind)),
                a.subject,
                f"{a.count} / {a.threshold}",
                f"{a.acknowledged_by} {when(a.acknowledged_at)}" if a.acknowledged_by else "—",
            )
            for a in alerts
        ]
        fill(self.table, rows, [a.id for a in alerts])
        new = sum(1 for a in alerts if a.acknowledged_by is None)
        self.count.setText(
            ngettext("{n} alert not acknowledged yet.", "{n} alerts not acknowledged yet.", new).format(n=new)
            if new
            else _("No alert waits.")
        )
        self.sig_waiting.emit(new)

    def acknowledge(self) -> None:
        key = selected_key(self.table)
        if key is None:
            self.status.setText(_("Choose an alert first."))
            return
        self.ask(lambda c: guards.acknowledge(c, int(key)), lambda _a: self.refresh())

"""The administration area's "Incidents" page (安全事件; docs/domain.md, "Incident records"): the incidents
the server holds, newest first; one opened shows the day, what happened, the affected customers, the remedy,
who was told and every step with who took it and when. An incident is recorded here (kind, day, what
happened, the customers), the lost or exposed device revoked as one of its steps, the remedy and the notices
recorded, and it is closed once both are; a refusal says what is missing (here first, else the server's
reason)."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _, ngettext, translate
from app.models.admin import Incident, IncidentRow, IncidentStep
from app.services import admin
from app.ui.admin.common import Page, fill, select_key, selected_key, table, when
from app.ui.context import UiContext
from app.ui.style import ERROR


def kind_label(kind: str) -> str:
    return translate(admin.INCIDENT_KINDS.get(kind, kind))


def state_label(state: str) -> str:
    return _("Ended") if state == "closed" else _("Being handled")


def step_text(s: IncidentStep) -> str:
    """A step's own details in words: the device revoked, the text recorded."""
    d = s.detail
    if s.action == "revoked":
        return _("{device} of {user}").format(device=d.get("device", ""), user=d.get("user", ""))
    if s.action in ("remedy", "notified"):
        return str(d.get("text", ""))
    if s.action == "opened":
        n = int(d.get("customers") or 0)
        return ngettext("{n} customer affected", "{n} customers affected", n).format(n=n)
    return ""


class _Form(QDialog):
    """A small dialog: its fields in a form, an error line, OK/Cancel; ``check`` says what is missing."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, 260)

    def check(self) -> str:
        return ""

    def _accept(self) -> None:
        problem = self.check()
        if problem:
            self.error.setText(problem)
            return
        self.accept()


class NewIncidentDialog(_Form):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("Record an incident"), parent)
        self.kind = QComboBox(self)
        for key in admin.INCIDENT_KINDS:
            self.kind.addItem(kind_label(key), key)
        self.day = QDateEdit(QDate.currentDate(), self)
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMaximumDate(QDate.currentDate())
        self.summary = QPlainTextEdit(self)
        self.summary.setPlaceholderText(_("What happened, how it was found (required)"))
        self.customers = QLineEdit(self)
        self.customers.setPlaceholderText(_("Customer codes, separated by commas (may be empty)"))
        self.form.addRow(_("Kind"), self.kind)
        self.form.addRow(_("Day it happened"), self.day)
        self.form.addRow(_("What happened"), self.summary)
        self.form.addRow(_("Affected customers"), self.customers)

    def check(self) -> str:
        return "" if self.summary.toPlainText().strip() else _("Say what happened.")


class RevokeDialog(_Form):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("Revoke a device"), parent)
        note = QLabel(_("The device's sign-in stops at once; its user signs in again on another computer."), self)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.user = QLineEdit(self)
        self.device = QLineEdit(self)
        self.form.addRow(_("User"), self.user)
        self.form.addRow(_("Device"), self.device)

    def check(self) -> str:
        if not self.user.text().strip() or not self.device.text().strip():
            return _("Name the user and the device to revoke.")
        return ""


class TextDialog(_Form):
    def __init__(self, title: str, label: str, missing: str, current: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.missing = missing
        self.text = QPlainTextEdit(self)
        self.text.setPlainText(current)
        self.form.addRow(label, self.text)

    def check(self) -> str:
        return "" if self.text.toPlainText().strip() else self.missing


class IncidentsPage(Page):
    """The list on the left, the opened incident on the right, the actions under them."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Incidents")
        self.rows: list[IncidentRow] = []
        self.current: Incident | None = None
        self.dialog: QDialog | None = None
        note = QLabel(
            _(
                "Leaks, lost laptops and other incidents with personal data: what happened, the customers "
                "affected, the remedy and who was told. An incident closes once the remedy and the notices "
                "are recorded."
            )
        )
        note.setWordWrap(True)
        self.layout_.addWidget(note)
        split = QSplitter(self)
        self.table = table([_("No."), _("Day"), _("Kind"), _("What happened"), _("Customers"), _("State")], 3)
        self.table.itemSelectionChanged.connect(self._chosen)
        split.addWidget(self.table)
        detail = QWidget(split)
        box = QVBoxLayout(detail)
        self.heading = QLabel(_("Choose an incident to see it."), detail)
        self.heading.setWordWrap(True)
        self.facts = QFormLayout()
        self.summary = QLabel(detail)
        self.customers = QLabel(detail)
        self.remedy = QLabel(detail)
        self.notified = QLabel(detail)
        for w in (self.summary, self.customers, self.remedy, self.notified):
            w.setWordWrap(True)
        self.facts.addRow(_("What happened"), self.summary)
        self.facts.addRow(_("Affected customers"), self.customers)
        self.facts.addRow(_("Remedy"), self.remedy)
        self.facts.addRow(_("Who was told"), self.notified)
        self.steps = table([_("Step"), _("Details"), _("By"), _("When")], 1)
        box.addWidget(self.heading)
        box.addLayout(self.facts)
        box.addWidget(QLabel(_("Steps"), detail))
        box.addWidget(self.steps)
        split.addWidget(detail)
        split.setSizes([520, 480])
        self.layout_.addWidget(split, 1)
        self.new_b, self.revoke_b, self.remedy_b, self.notified_b, self.close_b, _r = self.buttons(
            (_("Record an incident…"), self.ask_new),
            (_("Revoke a device…"), self.ask_revoke),
            (_("Record the remedy…"), lambda: self.ask_text("remedy")),
            (_("Record who was told…"), lambda: self.ask_text("notified")),
            (_("Close the incident"), self.close_incident),
            (_("Refresh"), self.refresh),
        )
        self.layout_.addWidget(self.status)
        self._actions()

    # ---- list and detail ---------------------------------------------------------------------------
    def refresh(self) -> None:
        self.ask(admin.incidents, self.show_list)

    def show_list(self, rows: list[IncidentRow]) -> None:
        keep = self.current.id if self.current else None
        self.rows = rows
        fill(
            self.table,
            [(r.id, r.occurred_on, kind_label(r.kind), r.summary, r.customers, state_label(r.state)) for r in rows],
            [r.id for r in rows],
        )
        if keep is not None:
            select_key(self.table, keep)
        if not rows:
            self.status.setText(_("No incident is recorded."))

    def _chosen(self) -> None:
        key = selected_key(self.table)
        if key is not None and (self.current is None or self.current.id != key):
            self.ask(lambda c: admin.incident(c, int(key)), self.show_incident)

    def show_incident(self, inc: Incident) -> None:
        self.current = inc
        self.heading.setText(
            _("Incident {id}: {kind}, {day} — {state}").format(
                id=inc.id, kind=kind_label(inc.kind), day=inc.occurred_on, state=state_label(inc.state)
            )
        )
        self.summary.setText(inc.summary)
        self.customers.setText("、".join(inc.customers) if inc.customers else _("none named"))
        self.remedy.setText(inc.remedy or _("not recorded yet"))
        self.notified.setText(inc.notified or _("not recorded yet"))
        fill(
            self.steps,
            [
                (translate(admin.INCIDENT_STEPS.get(s.action, s.action)), step_text(s), s.by, when(s.at))
                for s in inc.steps
            ],
        )
        self._actions()

    def _actions(self) -> None:
        open_ = self.current is not None and self.current.state == "open"
        for b in (self.revoke_b, self.remedy_b, self.notified_b, self.close_b):
            b.setEnabled(open_)

    def _changed(self, inc: Incident, message: str) -> None:
        self.show_incident(inc)
        self.status.setText(message)
        self.refresh()

    # ---- actions -------------------------------------------------------------------------------------
    def ask_new(self) -> None:
        dialog = NewIncidentDialog(self)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self.record_new(dialog))
        dialog.open()

    def record_new(self, d: NewIncidentDialog) -> None:
        kind, day = str(d.kind.currentData()), d.day.date().toString("yyyy-MM-dd")
        summary, customers = d.summary.toPlainText(), d.customers.text()
        self.current = None
        self.ask(
            lambda c: admin.open_incident(c, kind, day, summary, customers),
            lambda inc: self._changed(inc, _("Incident {id} recorded.").format(id=inc.id)),
        )

    def ask_revoke(self) -> None:
        if self.current is None:
            return
        dialog = RevokeDialog(self)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self.revoke(dialog.user.text(), dialog.device.text()))
        dialog.open()

    def revoke(self, user: str, device: str) -> None:
        if self.current is None:
            return
        n = self.current.id
        self.ask(
            lambda c: admin.revoke_for_incident(c, n, user, device),
            lambda inc: self._changed(inc, _("Device {device} revoked.").format(device=device.strip())),
        )

    def ask_text(self, what: str) -> None:
        if self.current is None:
            return
        if what == "remedy":
            dialog = TextDialog(
                _("Record the remedy"), _("Remedy"), _("Say what was done."), self.current.remedy or "", self
            )
        else:
            dialog = TextDialog(
                _("Record who was told"),
                _("Who was told"),
                _("Say who was told, and when."),
                self.current.notified or "",
                self,
            )
        self.dialog = dialog
        dialog.accepted.connect(lambda: self.record_text(what, dialog.text.toPlainText()))
        dialog.open()

    def record_text(self, what: str, text: str) -> None:
        if self.current is None:
            return
        n = self.current.id
        message = _("Remedy recorded.") if what == "remedy" else _("Notice recorded.")
        self.ask(lambda c: admin.record_incident(c, n, what, text), lambda inc: self._changed(inc, message))

    def close_incident(self) -> None:
        current = self.current
        if current is None:
            return
        try:  # what is missing is said at once, without asking the server
            if not (current.remedy and current.notified) or current.state == "closed":
                admin.close_incident(None, current)
        except UserFacingError as exc:
            self.status.setText(exc.message())
            return
        self.ask(
            lambda c: admin.close_incident(c, current),
            lambda inc: self._changed(inc, _("Incident {id} closed.").format(id=inc.id)),
        )

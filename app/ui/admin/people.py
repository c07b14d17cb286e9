"""Pages of the administration area about people: users (add with a one-time code, disable, reset the
password, role, team), devices (list, revoke), teams and the handover of customers."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, ngettext, translate
from app.models.admin import AdminDevice, AdminUser, Handover, LogEntry, OneTimeCode, Territories
from app.services import admin
from app.ui.admin.common import Page, fill, selected_key, table, when
from app.ui.context import UiContext
from app.ui.errors import info

ROLES = ("collector", "supervisor", "admin", "viewer")


def role_label(role: str) -> str:
    return translate(admin.ROLE_LABELS.get(role, role))


def roles_combo(current: str = "collector") -> QComboBox:
    box = QComboBox()
    for r in ROLES:
        box.addItem(role_label(r), r)
    box.setCurrentIndex(ROLES.index(current) if current in ROLES else 0)
    return box


def show_code(parent: QWidget, code: OneTimeCode) -> None:
    """The code, once: the admin passes it on; the user sets their password with it when signing in."""
    text = _(
        "One-time code for {user}: {code}\n\nGood once, until {until}. Give it to {user} in person or by phone: "
        "they choose their own password with it (Sync → Set a password with a code…)."
    ).format(user=code.name, code=code.code or "—", until=when(code.expires_at))
    info(parent, text)  # the box belongs to its parent (Qt) and deletes itself when closed


class NewUserDialog(QDialog):
    def __init__(
        self, supervisors: list[str], parent: QWidget | None = None, departments: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Add a user"))
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setPlaceholderText(_("Sign-in name, without spaces"))
        self.display_name = QLineEdit()
        self.role = roles_combo()
        self.supervisor = QComboBox()
        self.supervisor.addItem(_("(no team)"), "")
        for s in supervisors:
            self.supervisor.addItem(s, s)
        form.addRow(_("User name"), self.name)
        form.addRow(_("Full name"), self.display_name)
        form.addRow(_("Role"), self.role)
        form.addRow(_("Team of"), self.supervisor)
        self.department = QComboBox()  # a department user (部门人员): a territory viewer placed in it
        self.department.addItem(_("(no department)"), "")
        for code, name in departments or []:
            self.department.addItem(name, code)
        form.addRow(_("Department"), self.department)
        note = QLabel(_("The user gets a one-time code instead of a password and chooses their own with it."))
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, str, str, str]:
        return (
            self.name.text(),
            str(self.role.currentData()),
            self.display_name.text(),
            str(self.supervisor.currentData()),
            str(self.department.currentData() or ""),
        )


class UsersPage(Page):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Users")
        self.users: list[AdminUser] = []
        self.table = table(
            [
                _("User"),
                _("Full name"),
                _("Role"),
                _("Department"),
                _("Team of"),
                _("Status"),
                _("Customers"),
                _("Devices"),
            ],
            1,
        )
        self.count = QLabel()
        self.layout_.addWidget(self.count)
        self.layout_.addWidget(self.table)
        self.add_b, self.disable_b, self.reset_b, self.role_b, self.team_b, _r = self.buttons(
            (_("Add a user…"), self.add),
            (_("Disable / enable"), self.toggle),
            (_("Reset the password"), self.reset),
            (_("Change the role…"), self.change_role),
            (_("Change the team…"), self.change_team),
            (_("Refresh"), self.refresh),
        )
        self.layout_.addWidget(self.status)
        self.dialog: NewUserDialog | None = None
        self.departments: list[tuple[str, str]] = []  # (code, name), for the new user's department
        self.placed: dict[str, str] = {}  # user -> the name of the department they are placed in

    def refresh(self) -> None:
        self.ask(admin.users, self.show_users)
        self.ask(admin.territories, self.show_departments)

    def show_departments(self, t: Territories) -> None:
        """A department user reads as a viewer by role: the department column says which department."""
        self.departments = [(d.code, d.name) for d in t.departments]
        names = dict(self.departments)
        self.placed = {p.user: names.get(p.department, p.department) for p in t.places if p.department}
        if self.users:
            self.show_users(self.users)

    def show_users(self, users: list[AdminUser]) -> None:
        self.users = users
        fill(
            self.table,
            [
                (
                    u.name,
                    u.display_name,
                    role_label(u.role.value),
                    self.placed.get(u.name, "—"),
                    u.supervisor or "—",
                    _("Disabled") if u.disabled else _("Active"),
                    u.customers,
                    u.devices,
                )
                for u in users
            ],
            [u.name for u in users],
        )
        self.count.setText(ngettext("{n} user", "{n} users", len(users)).format(n=len(users)))

    def supervisors(self) -> list[str]:
        return [u.name for u in self.users if u.role.value == "supervisor" and not u.disabled]

    def current(self) -> AdminUser | None:
        name = selected_key(self.table)
        user = next((u for u in self.users if u.name == name), None)
        if user is None:
            self.status.setText(_("Choose a user in the list first."))
        return user

    def add(self) -> None:
        self.dialog = NewUserDialog(self.supervisors(), self, self.departments)
        self.dialog.accepted.connect(self._add)
        self.dialog.open()

    def _add(self) -> None:
        assert self.dialog is not None
        name, role, display, sup, dep = self.dialog.values()

        def added(code: OneTimeCode) -> None:
            self.status.setText(_("{user} was added.").format(user=code.name))
            show_code(self, code)
            self.refresh()

        self.ask(lambda c: admin.add_user(c, name, role, display, sup, dep), added)

    def toggle(self) -> None:
        user = self.current()
        if user is None:
            return
        disable = not user.disabled

        def done(_none: Any) -> None:
            msg = _("{user} is disabled; every session of theirs ended.") if disable else _("{user} is enabled.")
            self.status.setText(msg.format(user=user.name))
            self.refresh()

        self.ask(lambda c: admin.set_disabled(c, user.name, disable), done)

    def reset(self) -> None:
        user = self.current()
        if user is None:
            return
        self.ask(lambda c: admin.reset_password(c, user.name), lambda code: show_code(self, code))

    def change_role(self) -> None:
        user = self.current()
        if user is None:
            return
        labels = [role_label(r) for r in ROLES]
        label, ok = QInputDialog.getItem(
            self,
            _("Change the role"),
            _("Role of {user}").format(user=user.name),
            labels,
            labels.index(role_label(user.role.value)),
            False,
        )
        if not ok:
            return
        role = ROLES[labels.index(label)]

        def done(n: int) -> None:
            self.status.setText(_("{user} is now {role}.").format(user=user.name, role=label))
            self.refresh()

        self.ask(lambda c: admin.set_role(c, user.name, role), done)

    def change_team(self) -> None:
        user = self.current()
        if user is None:
            return
        none = _("(no team)")
        choices = [none, *self.supervisors()]
        start = choices.index(user.supervisor) if user.supervisor in choices else 0
        choice, ok = QInputDialog.getItem(
            self, _("Change the team"), _("Team of {user}").format(user=user.name), choices, start, False
        )
        if ok:
            self.set_team(user.name, "" if choice == none else choice)

    def set_team(self, name: str, supervisor: str) -> None:
        def done(n: int) -> None:
            self.status.setText(
                ngettext("{user} moved with {n} customer.", "{user} moved with {n} customers.", n).format(
                    user=name, n=n
                )
            )
            self.refresh()

        self.ask(lambda c: admin.set_team(c, name, supervisor), done)


class DevicesPage(Page):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Devices")
        self.devices: list[AdminDevice] = []
        self.table = table([_("User"), _("Device"), _("Computer"), _("Last sign-in"), _("Status")], 2)
        self.layout_.addWidget(self.table)
        self.revoke_b, _r = self.buttons((_("Revoke the device"), self.revoke), (_("Refresh"), self.refresh))
        self.layout_.addWidget(self.status)

    def refresh(self) -> None:
        self.ask(admin.devices, self.show_devices)

    def show_devices(self, devices: list[AdminDevice]) -> None:
        self.devices = devices
        fill(
            self.table,
            [
                (d.user, d.device_id, d.device_name, when(d.last_login_at), _("Revoked") if d.revoked else _("Active"))
                for d in devices
            ],
            [(d.user, d.device_id) for d in devices],
        )

    def revoke(self) -> None:
        key = selected_key(self.table)
        if key is None:
            self.status.setText(_("Choose a device in the list first."))
            return
        user, device = key

        def done(_none: Any) -> None:
            self.status.setText(
                _("The device {device} of {user} is revoked: it must sign in again.").format(device=device, user=user)
            )
            self.refresh()

        self.ask(lambda c: admin.revoke(c, user, device), done)


class TeamsPage(Page):
    """The teams as they are (a market manager and their customer managers) and the handover of customers
    from one person to another, with the record of every handover."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Teams and handovers")
        top = QHBoxLayout()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([_("Team"), _("Customers")])
        top.addWidget(self.tree, 1)
        box = QVBoxLayout()
        form = QFormLayout()
        self.from_user = QComboBox()
        self.to_user = QComboBox()
        self.customers = QPlainTextEdit()
        self.customers.setPlaceholderText(_("Customer codes, one per line (empty: all of the first person's)"))
        self.customers.setMaximumHeight(90)
        self.note = QLineEdit()
        self.note.setPlaceholderText(_("Why, for the handover record"))
        form.addRow(_("From"), self.from_user)
        form.addRow(_("To"), self.to_user)
        form.addRow(_("Customers"), self.customers)
        form.addRow(_("Note"), self.note)
        box.addLayout(form)
        top.addLayout(box, 1)
        self.layout_.addLayout(top)
        self.hand_b, _r = self.buttons((_("Hand over"), self.hand_over), (_("Refresh"), self.refresh))
        self.layout_.addWidget(QLabel(_("Handover records")))
        self.records = table([_("Time"), _("By"), _("From"), _("To"), _("Customers"), _("Note")])
        self.layout_.addWidget(self.records)
        self.layout_.addWidget(self.status)

    def refresh(self) -> None:
        self.ask(admin.users, self.show_teams)
        self.ask(admin.handovers, self.show_records)

    def show_teams(self, users: list[AdminUser]) -> None:
        self.tree.clear()
        for sup in [u for u in users if u.role.value == "supervisor"]:
            item = QTreeWidgetItem([f"{sup.name} · {sup.display_name}", str(sup.customers)])
            for m in [u for u in users if u.supervisor == sup.name]:
                item.addChild(QTreeWidgetItem([f"{m.name} · {m.display_name}", str(m.customers)]))
            self.tree.addTopLevelItem(item)
            item.setExpanded(True)
        alone = [u for u in users if u.role.value == "collector" and not u.supervisor]
        self.tree.header().setStretchLastSection(False)
        if alone:
            item = QTreeWidgetItem([_("(no team)"), ""])
            for m in alone:
                item.addChild(QTreeWidgetItem([f"{m.name} · {m.display_name}", str(m.customers)]))
            self.tree.addTopLevelItem(item)
            item.setExpanded(True)
        self.tree.resizeColumnToContents(0)
        holders = [u.name for u in users if u.role.value != "admin"]
        for box, first in ((self.from_user, _("(the customers listed)")), (self.to_user, None)):
            keep = box.currentData()
            box.clear()
            if first:
                box.addItem(first, "")
            for name in holders:
                box.addItem(name, name)
            if keep:
                box.setCurrentIndex(max(box.findData(keep), 0))

    def show_records(self, rows: list[LogEntry]) -> None:
        fill(
            self.records,
            [
                (
                    when(r.at),
                    r.actor,
                    r.detail.get("from_user") or "—",
                    r.target,
                    len(r.detail.get("moved") or []),
                    r.detail.get("note") or "",
                )
                for r in rows
            ],
        )

    def hand_over(self) -> None:
        to, source = str(self.to_user.currentData() or ""), str(self.from_user.currentData() or "")
        text, note = self.customers.toPlainText(), self.note.text()

        def done(h: Handover) -> None:
            self.status.setText(
                ngettext(
                    "{n} customer handed over to {user}.", "{n} customers handed over to {user}.", len(h.moved)
                ).format(n=len(h.moved), user=h.to)
            )
            self.customers.clear()
            self.note.clear()
            self.refresh()

        self.ask(lambda c: admin.handover(c, to, text, source, note), done)

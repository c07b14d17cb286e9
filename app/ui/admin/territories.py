"""The administration area's page of the territory tree (province → city → county → team) and the
departments: add, rename, move and remove nodes, name a team's market manager, edit the departments, and
place users at a node and in a department. Every change is the server's (admin API, admin log)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, ngettext, translate
from app.models.admin import AdminUser, Territories, TerritoryNode
from app.services import admin
from app.ui.admin.common import Page, fill, selected_key, table
from app.ui.context import UiContext

ID_ROLE = Qt.ItemDataRole.UserRole


def level_label(level: str) -> str:
    return translate(admin.LEVEL_LABELS.get(level, level))


class TerritoriesPage(Page):
    """The tree on the left; the departments and the placing of users on the right."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Territories and departments")
        self.data = Territories((), (), ())
        self.people: list[AdminUser] = []
        top = QHBoxLayout()
        left = QVBoxLayout()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([_("Name"), _("Level"), _("Market manager"), _("Users")])
        self.tree.currentItemChanged.connect(lambda *_a: self._selected())
        left.addWidget(self.tree, 1)
        top.addLayout(left, 3)
        right = QVBoxLayout()
        deps = QGroupBox(_("Departments"))
        dl = QVBoxLayout(deps)
        self.departments = table([_("Department code"), _("Name"), _("Users"), _("Fields owned")], stretch=1)
        dl.addWidget(self.departments)
        right.addWidget(deps, 1)
        place = QGroupBox(_("Where a user stands"))
        pl = QFormLayout(place)
        self.user = QComboBox()
        self.user.currentIndexChanged.connect(lambda _i: self._user_changed())
        self.department = QComboBox()
        self.where = QLabel()
        self.where.setWordWrap(True)
        pl.addRow(_("User"), self.user)
        pl.addRow(_("Department"), self.department)
        self.manager_box = QCheckBox(_("The department's manager (e.g. 市场部经理: signs bulk maintenance)"))
        pl.addRow("", self.manager_box)
        pl.addRow(_("Node"), self.where)
        right.addWidget(place)
        top.addLayout(right, 2)
        self.layout_.addLayout(top, 1)
        self.node_buttons = self.buttons(
            (_("Add…"), self.add),
            (_("Rename…"), self.rename),
            (_("Move…"), self.move_node),
            (_("Market manager…"), self.manager),
            (_("Remove"), self.remove),
            (_("Refresh"), self.refresh),
        )
        self.dep_buttons = self.buttons(
            (_("Add a department…"), self.add_department),
            (_("Rename the department…"), self.rename_department),
            (_("Remove the department"), self.remove_department),
            (_("Place the user at the chosen node"), self.place),
            (_("Take the user out of the tree"), self.unplace),
        )
        self.layout_.addWidget(self.status)

    # ---- showing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.ask(admin.users, self._show_people)
        self.ask(admin.territories, self.show_tree)

    def _show_people(self, users: list[AdminUser]) -> None:
        self.people = users
        keep = self.user.currentData()
        self.user.blockSignals(True)
        self.user.clear()
        for u in users:
            self.user.addItem(f"{u.name} · {u.display_name}" if u.display_name else u.name, u.name)
        if keep:
            self.user.setCurrentIndex(max(self.user.findData(keep), 0))
        self.user.blockSignals(False)
        self._user_changed()
        if self.data.nodes:  # the tree came first: show its managers by their names now
            self.show_tree(self.data)

    def person(self, login: str | None) -> str:
        """A user as people know them: the display name with the login, or the login alone."""
        if not login:
            return ""
        shown = next((u.display_name for u in self.people if u.name == login and u.display_name), "")
        return f"{shown} ({login})" if shown and shown != login else login

    def show_tree(self, data: Territories) -> None:
        keep = self.current()
        self.data = data
        self.tree.clear()
        items: dict[int, QTreeWidgetItem] = {}
        for n in data.nodes:  # depth first: a parent comes before its nodes
            item = QTreeWidgetItem(
                [n.name, level_label(n.level), self.person(n.supervisor), _(", ").join(map(self.person, n.users))]
            )
            item.setData(0, ID_ROLE, n.id)
            parent = items.get(n.parent) if n.parent is not None else None
            if parent is not None:
                parent.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            items[n.id] = item
        self.tree.expandAll()
        for c in range(4):
            self.tree.resizeColumnToContents(c)
        if keep is not None and keep.id in items:
            self.tree.setCurrentItem(items[keep.id])
        fill(
            self.departments,
            [(d.code, d.name, d.users, d.fields) for d in data.departments],
            [d.code for d in data.departments],
        )
        keep_dep = self.department.currentData()
        self.department.clear()
        self.department.addItem(_("(no department)"), "")
        for d in data.departments:
            self.department.addItem(d.name, d.code)
        if keep_dep:
            self.department.setCurrentIndex(max(self.department.findData(keep_dep), 0))
        self._user_changed()

    def current(self) -> TerritoryNode | None:
        item = self.tree.currentItem()
        node_id = item.data(0, ID_ROLE) if item is not None else None
        return next((n for n in self.data.nodes if n.id == node_id), None)

    def _selected(self) -> None:
        self.where.setText(self._where_text())

    def _user_changed(self) -> None:
        name = self.user.currentData()
        place = next((p for p in self.data.places if p.user == name), None)
        self.manager_box.setChecked(place is not None and place.manager)
        if place is not None and place.department:
            self.department.setCurrentIndex(max(self.department.findData(place.department), 0))
        elif self.department.count():
            self.department.setCurrentIndex(0)
        self.where.setText(self._where_text())

    def _where_text(self) -> str:
        name = self.user.currentData()
        place = next((p for p in self.data.places if p.user == name), None)
        node = next((n for n in self.data.nodes if place and n.id == place.territory), None)
        now = node.name if node is not None else _("(not in the tree)")
        chosen = self.current()
        target = chosen.name if chosen is not None else _("(none chosen)")
        return _("Now: {now}. Chosen in the tree: {target}.").format(now=now, target=target)

    def _need_node(self) -> TerritoryNode | None:
        n = self.current()
        if n is None:
            self.status.setText(_("Choose a node in the tree first."))
        return n

    def _done(self, text: str) -> Any:
        def done(_result: Any) -> None:
            self.status.setText(text)
            self.refresh()

        return done

    # ---- nodes ---------------------------------------------------------------------------------
    def add(self) -> None:
        parent = self.current()
        if parent is not None and parent.level == "team":
            self.status.setText(_("A team has no nodes under it."))
            return
        if parent is None:  # a root: a province, or a city or county where the deployment is one
            labels = [level_label(lv) for lv in ("province", "city", "county")]
            label, ok = QInputDialog.getItem(self, _("Add a top-level node"), _("Level"), labels, 0, False)
            if not ok:
                return
            level = ("province", "city", "county")[labels.index(label)]
        else:
            level = admin.CHILD_LEVEL[parent.level]
        title = _("Add a {level}").format(level=level_label(level))
        name, ok = QInputDialog.getText(self, title, _("Name"))
        if not ok:
            return
        parent_id = parent.id if parent is not None else None
        text = _("{level} {name} added.").format(level=level_label(level), name=name.strip())
        self.ask(lambda c: admin.add_node(c, name, level, parent_id), self._done(text))

    def rename(self) -> None:
        n = self._need_node()
        if n is None:
            return
        name, ok = QInputDialog.getText(self, _("Rename"), _("New name"), text=n.name)
        if ok:
            text = _("{old} is now called {new}.").format(old=n.name, new=name.strip())
            self.ask(lambda c: admin.rename_node(c, n.id, name), self._done(text))

    def move_node(self) -> None:
        n = self._need_node()
        if n is None:
            return
        up = {v: k for k, v in admin.CHILD_LEVEL.items()}.get(n.level)
        choices = [p for p in self.data.nodes if p.level == up and p.id != n.parent]
        labels = ([_("(top level)")] if n.level != "team" and n.parent is not None else []) + [p.name for p in choices]
        if not labels:
            self.status.setText(_("There is no other place this node can move to."))
            return
        label, ok = QInputDialog.getItem(self, _("Move {name}").format(name=n.name), _("Under"), labels, 0, False)
        if not ok:
            return
        target = next((p for p in choices if p.name == label), None)
        target_id = target.id if target is not None else None
        text = _("{name} moved.").format(name=n.name)
        self.ask(lambda c: admin.move_node(c, n.id, target_id), self._done(text))

    def manager(self) -> None:
        n = self._need_node()
        if n is None:
            return
        if n.level != "team":
            self.status.setText(_("Only a team has a market manager."))
            return
        names = [u.name for u in self.people if u.role.value == "supervisor" and not u.disabled]
        labels = [_("(none)"), *map(self.person, names)]
        current = names.index(n.supervisor) + 1 if n.supervisor in names else 0
        label, ok = QInputDialog.getItem(
            self, _("Market manager of {name}").format(name=n.name), _("Market manager"), labels, current, False
        )
        if not ok:
            return
        sup = names[labels.index(label) - 1] if labels.index(label) > 0 else ""

        def done(moved: int) -> None:
            self.status.setText(
                ngettext(
                    "{name}'s market manager is set; {n} customer moved with the team's members.",
                    "{name}'s market manager is set; {n} customers moved with the team's members.",
                    moved,
                ).format(name=n.name, n=moved)
            )
            self.refresh()

        self.ask(lambda c: admin.set_node_supervisor(c, n.id, sup), done)

    def remove(self) -> None:
        n = self._need_node()
        if n is not None:
            self.ask(lambda c: admin.remove_node(c, n.id), self._done(_("{name} removed.").format(name=n.name)))

    # ---- departments and users -----------------------------------------------------------------
    def add_department(self) -> None:
        code, ok = QInputDialog.getText(self, _("Add a department"), _("Code (letters, for the form's field owners)"))
        if not ok:
            return
        name, ok = QInputDialog.getText(self, _("Add a department"), _("Name"))
        if ok:
            text = _("Department {name} added.").format(name=name.strip())
            self.ask(lambda c: admin.add_department(c, code, name), self._done(text))

    def _need_department(self) -> str | None:
        code = selected_key(self.departments)
        if code is None:
            self.status.setText(_("Choose a department in the list first."))
        return str(code) if code is not None else None

    def rename_department(self) -> None:
        code = self._need_department()
        if code is None:
            return
        old = next((d.name for d in self.data.departments if d.code == code), code)
        name, ok = QInputDialog.getText(self, _("Rename"), _("New name"), text=old)
        if ok:
            text = _("{old} is now called {new}.").format(old=old, new=name.strip())
            self.ask(lambda c: admin.rename_department(c, code, name), self._done(text))

    def remove_department(self) -> None:
        code = self._need_department()
        if code is not None:
            name = next((d.name for d in self.data.departments if d.code == code), code)
            self.ask(lambda c: admin.remove_department(c, code), self._done(_("{name} removed.").format(name=name)))

    def place(self) -> None:
        target = self._need_node()
        if target is not None:
            self._place(target)

    def unplace(self) -> None:
        self._place(None)

    def _place(self, target: TerritoryNode | None) -> None:
        name, dep = str(self.user.currentData() or ""), str(self.department.currentData() or "")
        target_id = target.id if target is not None else None

        def done(moved: int) -> None:
            where = target.name if target is not None else _("(not in the tree)")
            self.status.setText(
                ngettext(
                    "{user} now stands at {where}; {n} customer moved with them.",
                    "{user} now stands at {where}; {n} customers moved with them.",
                    moved,
                ).format(user=name, where=where, n=moved)
            )
            self.refresh()

        manager = self.manager_box.isChecked()
        self.ask(lambda c: admin.place_user(c, name, target_id, dep, manager), done)

"""The administration area's territory tree and departments page as an admin uses it: the real app signed in
to a real server process on 127.0.0.1; the tree built, a team given its market manager, a collector placed
in it (their customers follow), a department renamed; bad input refused with a message in Chinese; the
server's state and admin log checked through the server's own command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QInputDialog, QMessageBox

from app.ui.admin.common import select_key
from tests.ui.test_admin_ui import cells, seed, server_log, settle, sign_in_as


def answers(monkeypatch: Any, items: list[str], texts: list[str]) -> None:
    """The dialogs the page opens answer in turn with these choices and texts (OK each time)."""
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: (items.pop(0), True)))
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (texts.pop(0), True)))


def choose(page: Any, name: str) -> None:
    found = [it for it in page.tree.findItems(name, _match_all(), 0)]
    assert found, name
    page.tree.setCurrentItem(found[0])


def _match_all() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive


def warnings_of(page: Any) -> list[str]:
    return [b.text() for b in page.findChildren(QMessageBox)]


def test_the_territory_tree_and_departments(qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path) -> None:
    srv.admin("user", "add", "boss", "--role", "admin")
    srv.admin("user", "add", "s2", "--role", "supervisor", "--display-name", "王经理")
    seed(srv, tmp_path)  # c2 holds five customers, in s1's team
    sign_in_as(qtbot, running, srv, monkeypatch, "boss")
    running.window.act_admin.trigger()
    area = running.window.admin_window
    assert area.tabs.tabText(3) == "区域与部门"
    page = area.territories
    area.tabs.setCurrentWidget(page)
    settle(qtbot, page)
    assert page.tree.topLevelItemCount() == 0
    assert cells(page.departments, 1) == ["专卖管理所", "县区营销部", "市场部", "配送部", "销售部", "信息科", "客服部"]
    assert int(cells(page.departments, 3)[0]) > 0  # the monopoly office owns fields of the form

    # the tree, level by level: a root asks its level; a child's level follows its parent's
    items: list[str] = ["省"]
    texts: list[str] = ["陕西省"]
    answers(monkeypatch, items, texts)
    page.add()
    settle(qtbot, page)
    assert page.status.text() == "已新增省“陕西省”。"
    for parent, child in (("陕西省", "西安市"), ("西安市", "雁塔区"), ("雁塔区", "雁塔一组")):
        choose(page, parent)
        texts.append(child)
        page.add()
        settle(qtbot, page)
    choose(page, "雁塔一组")
    assert page.current().level == "team"
    page.add()
    assert page.status.text() == "团队之下不能再有节点。"

    # the team's market manager; c2 placed in it with a department: their customers follow to s2's team
    items.append("王经理 (s2)")  # offered by the name people know, with the login
    page.manager()
    settle(qtbot, page)
    assert page.status.text() == "已设定“雁塔一组”的市场经理；0 户客户随团队成员转移。"
    page.user.setCurrentIndex(page.user.findData("c2"))
    page.department.setCurrentIndex(page.department.findData("market"))
    page.place()
    settle(qtbot, page)
    assert page.status.text() == "c2 现在位于“雁塔一组”；5 户客户随其转移。"
    team = page.tree.findItems("雁塔一组", _match_all(), 0)[0]
    assert [team.text(c) for c in range(4)] == ["雁塔一组", "团队", "王经理 (s2)", "c2"]
    assert "c2\tcollector\ts2\tactive" in srv.admin("user", "list").stdout

    # the market department's manager (the bulk maintenance signature): a post of a user placed in 市场部
    page.user.setCurrentIndex(page.user.findData("c1"))
    page.department.setCurrentIndex(0)  # (no department)
    page.manager_box.setChecked(True)
    page.unplace()
    settle(qtbot, page)
    assert warnings_of(page)[-1] == "部门经理须属于该部门：请选择部门。"
    page.department.setCurrentIndex(page.department.findData("market"))
    page.unplace()
    settle(qtbot, page)
    assert next(p for p in page.data.places if p.user == "c1").manager
    page.user.setCurrentIndex(page.user.findData("c2"))
    assert not page.manager_box.isChecked()  # the box follows the chosen user's place
    page.user.setCurrentIndex(page.user.findData("c1"))
    assert page.manager_box.isChecked()

    # a department renamed; bad input refused with the reason, nothing sent
    select_key(page.departments, "it")
    texts.append("信息中心")
    page.rename_department()
    settle(qtbot, page)
    assert "信息中心" in cells(page.departments, 1)
    choose(page, "西安市")
    texts.append("   ")
    page.rename()
    settle(qtbot, page)
    assert warnings_of(page)[-1] == "请输入名称。"
    texts.append("西安\n市")
    page.rename()
    settle(qtbot, page)
    assert warnings_of(page)[-1] == "名称含有换行或其他不可见字符，请重新输入。"

    # the server refuses to remove a node that still has users, with its reason
    choose(page, "雁塔一组")
    page.remove()
    settle(qtbot, page)
    assert "still has 1 users (c2)" in warnings_of(page)[-1]

    listing = srv.admin("territory", "list").stdout.splitlines()
    assert [line.strip().split("\t")[1:3] for line in listing] == [
        ["province", "陕西省"],
        ["city", "西安市"],
        ["county", "雁塔区"],
        ["team", "雁塔一组"],
    ]
    done = [(r[1], r[3], r[5]) for r in server_log(srv) if r[3].startswith(("territories.", "users.place", "depart"))]
    assert ("boss", "users.place", "ok") in done and ("boss", "territories.remove", "refused") in done
    assert ("boss", "departments.rename", "ok") in done

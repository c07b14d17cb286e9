"""The administration area as an admin uses it: the real app signed in as an admin to a real server process
on 127.0.0.1, each page doing its task through the admin API, the server's state and admin log checked
through the server's own command line. Hidden for everyone else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from openpyxl import Workbook
from PySide6.QtWidgets import QInputDialog

from app.export.xlsx import Column, write_sheet
from app.models.catalogue import load_form
from app.models.wire import UserRole
from app.services.demo import generate
from app.sync import admin_protocol
from app.ui.admin import people
from app.ui.admin.common import select_key
from app.ui.admin.window import AdminWindow
from app.ui.sync.signin_dialog import SignInDialog
from tests.sync.conftest import SERVER_PASSWORD, Server
from tests.ui.test_sync_ui import status_text

CODES = [f"61010200000{i}" for i in range(1, 6)]


def sign_in_as(qtbot: Any, running: Any, srv: Server, monkeypatch: Any, user: str) -> None:  # noqa: F811
    dialogs: list[SignInDialog] = []
    monkeypatch.setattr(SignInDialog, "open", lambda self: dialogs.append(self))
    running.window.sign_in()
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    d = dialogs[0]
    d.server.setText(srv.url)
    d.user.setText(user)
    d.password.setText(SERVER_PASSWORD)
    d.sign_in()
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)


def seed(srv: Server, tmp_path: Path) -> None:  # noqa: F811
    """A second collector holding five approved customers with official codes (groceries in town)."""
    srv.admin("user", "add", "c2", "--role", "collector", "--supervisor", "s1")
    form = load_form()
    rows = list(generate(len(CODES), seed=5))
    for r, code in zip(rows, CODES, strict=True):
        r.update(customer_code=code, retail_format="grocery", market_type="urban")
    keys = ["customer_code", "shop_name", "retail_format", "market_type", "region_code", "address"]
    path = tmp_path / "customers.xlsx"
    write_sheet(path, [Column(form[k].label_zh) for k in keys], ([r.get(k) for k in keys] for r in rows))
    srv.admin("import-customers", str(path), "--owner", "c2")


def settle(qtbot: Any, page: Any) -> None:
    qtbot.waitUntil(lambda: page.busy == 0, timeout=20_000)


def cells(table: Any, col: int = 0) -> list[str]:
    return [table.item(i, col).text() for i in range(table.rowCount())]


def server_log(srv: Server) -> list[list[str]]:  # noqa: F811
    return [line.split("\t") for line in srv.admin("admin-log", "--limit", "500").stdout.splitlines()]


def test_the_admin_area(qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path) -> None:  # noqa: F811
    win = running.window
    assert not win.act_admin.isVisible()  # a collector (the role until the server says otherwise)
    srv.admin("user", "add", "boss", "--role", "admin")
    seed(srv, tmp_path)
    sign_in_as(qtbot, running, srv, monkeypatch, "boss")
    assert win.role is UserRole.ADMIN and win.act_admin.isVisible()
    codes: list[str] = []
    monkeypatch.setattr(people, "info", lambda parent, text: codes.append(text))
    win.act_admin.trigger()
    area = win.admin_window
    assert isinstance(area, AdminWindow) and area.isVisible() and area.windowTitle() == "管理"
    assert [area.tabs.tabText(i) for i in range(area.tabs.count())] == [
        "用户",
        "设备",
        "团队与交接",
        "区域与部门",
        "工作日历",
        "购进与分类",
        "审计副本",
        "管理日志",
        "到期销毁",
        "安全事件",
        "AB岗",
        "告警",
    ]

    # users: listed, added (with a one-time code), disabled, password reset, role changed
    users = area.users
    settle(qtbot, users)
    assert cells(users.table) == ["boss", "c1", "c2", "s1"]
    assert cells(users.table, 2) == ["管理员", "客户经理", "客户经理", "市场经理"]
    users.add()
    d = users.dialog
    d.name.setText("c9")
    d.display_name.setText("新人")
    d.supervisor.setCurrentIndex(d.supervisor.findData("s1"))
    d.accept()
    qtbot.waitUntil(lambda: bool(codes), timeout=20_000)
    assert "c9 的一次性验证码" in codes[-1]
    code = codes[-1].split("：", 1)[1].split()[0]
    r = requests.post(
        srv.url + "/api/v1/auth/reset",
        json={"username": "c9", "code": code, "new_password": "c9-password-1"},
        headers={"X-FieldArchive-Protocol": "1"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    settle(qtbot, users)
    assert "c9" in cells(users.table)
    users.add()  # a department user (部门人员): a viewer placed in 专卖管理所 at once
    d = users.dialog
    d.name.setText("zm1")
    d.role.setCurrentIndex(d.role.findData("viewer"))
    d.department.setCurrentIndex(d.department.findData("monopoly"))
    d.accept()
    qtbot.waitUntil(lambda: len(codes) == 2, timeout=20_000)
    assert "zm1 的一次性验证码" in codes[-1]
    assert "monopoly\t专卖管理所\t1 users" in srv.admin("department", "list").stdout
    users.refresh()  # a department user reads as a viewer by role: its department has a column
    qtbot.waitUntil(
        lambda: dict(zip(cells(users.table), cells(users.table, 3), strict=True)).get("zm1") == "专卖管理所",
        timeout=10_000,
    )
    assert dict(zip(cells(users.table), cells(users.table, 3), strict=True))["c1"] == "—"
    codes.pop()
    select_key(users.table, "c1")
    users.toggle()
    settle(qtbot, users)
    assert users.status.text() == "c1 已停用，其所有会话已结束。"
    assert "c1\tcollector\ts1\tdisabled" in srv.admin("user", "list").stdout
    select_key(users.table, "c2")
    users.reset()
    qtbot.waitUntil(lambda: len(codes) == 2, timeout=20_000)
    assert "c2 的一次性验证码" in codes[-1]
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("市场经理", True)))
    select_key(users.table, "c9")
    users.change_role()
    settle(qtbot, users)
    assert users.status.text() == "c9 现在是市场经理。"

    # devices: s1 signs in somewhere; the admin revokes that device
    requests.post(
        srv.url + "/api/v1/auth/login",
        json={"username": "s1", "password": SERVER_PASSWORD, "device_id": "pc-s1", "device_name": "办公室"},
        headers={"X-FieldArchive-Protocol": "1"},
        timeout=10,
    ).raise_for_status()
    area.tabs.setCurrentWidget(area.devices)
    settle(qtbot, area.devices)
    assert ("s1", "pc-s1") in [
        (a, b) for a, b in zip(cells(area.devices.table), cells(area.devices.table, 1), strict=True)
    ]
    select_key(area.devices.table, ("s1", "pc-s1"))
    area.devices.revoke()
    settle(qtbot, area.devices)
    assert json.loads(srv.admin("devices", "list", "s1").stdout)[0]["revoked"] is True

    # teams and handovers: c2's customers go to s1, with the record
    teams = area.teams
    area.tabs.setCurrentWidget(teams)
    settle(qtbot, teams)
    tops = {
        teams.tree.topLevelItem(i).text(0).split(" ")[0]: teams.tree.topLevelItem(i)
        for i in range(teams.tree.topLevelItemCount())
    }
    assert set(tops) == {"c9", "s1"}  # c9 became a market manager above
    assert sorted(tops["s1"].child(i).text(0).split(" ")[0] for i in range(tops["s1"].childCount())) == ["c1", "c2"]
    teams.from_user.setCurrentIndex(teams.from_user.findData("c2"))
    teams.to_user.setCurrentIndex(teams.to_user.findData("s1"))
    teams.note.setText("c2 调岗")
    teams.hand_over()
    settle(qtbot, teams)
    assert teams.status.text() == "已将 5 个客户交接给 s1。"
    assert (
        cells(teams.records, 1) == ["boss"]
        and cells(teams.records, 4) == ["5"]
        and cells(teams.records, 5) == ["c2 调岗"]
    )

    # the work calendar: one day set in the draft (no client sees it), then published after a question
    cal = area.calendar
    area.tabs.setCurrentWidget(cal)
    settle(qtbot, cal)
    from PySide6.QtCore import QDate

    assert not cal.publish_b.isEnabled() and cal.draft_label.text().startswith("没有草稿")
    cal.day.setDate(QDate(2031, 1, 2))
    cal.kind.setCurrentIndex(cal.kind.findData("holiday"))
    cal.set_day()
    settle(qtbot, cal)
    assert cal.status.text() == "已存入草稿，尚未发布。"
    assert "2031-01-02" not in json.loads(srv.admin("calendar", "show").stdout)["holidays"]
    assert [cal.changes.item(0, i).text() for i in range(3)] == ["2031-01-02", "普通日", "节假日"]
    assert "变更 1 天" in cal.draft_label.text() and cal.publish_b.isEnabled()
    cal.ask_publish()
    assert cal.confirm is not None and "变更 1 天" in cal.confirm.text()
    next(b for b in cal.confirm.buttons() if b.text() == "发布").click()
    settle(qtbot, cal)
    assert cal.status.text().startswith("已发布")
    assert "2031-01-02" in json.loads(srv.admin("calendar", "show").stdout)["holidays"]
    assert cal.changes.rowCount() == 0 and not cal.publish_b.isEnabled()

    # purchases: checked first (nothing written), then imported; classification previewed, then applied
    pp = area.purchases
    area.tabs.setCurrentWidget(pp)
    wb = Workbook()
    ws = wb.active
    ws.append(["客户编码", "期间", "购进量（条）", "购进金额（元）"])
    for i, c in enumerate(CODES, 1):
        ws.append([c, "2026-07", 10 * i, 100 * i])
    wb.save(tmp_path / "p.xlsx")
    pp.use_file(tmp_path / "p.xlsx")
    assert not pp.import_b.isEnabled()
    pp.send(True)
    settle(qtbot, pp)
    assert pp.status.text().startswith("已检查，未写入") and pp.import_b.isEnabled()
    pp.send(False)
    settle(qtbot, pp)
    assert pp.status.text().startswith("已导入 5 行")
    pp.run_period.setText("2026-07")
    assert not pp.apply_b.isEnabled()
    pp.classify(True)
    settle(qtbot, pp)
    assert pp.changes.rowCount() == 5 and pp.apply_b.isEnabled()
    assert pp.status.text().startswith("试运行，未写入：5 个客户将改变")
    assert cells(pp.changes, 5)[0] == "— → CZ1"
    pp.classify(False)
    settle(qtbot, pp)
    assert pp.status.text().startswith("已应用：5 个客户已改变")
    # a province's run: the server lists the first 10,000 changes and counts them all (issue 21)
    answer = {"period": "2026-07", "applied": False, "ranked": 12_000, "unchanged": 0, "no_figures": 0}
    row = {"record_id": "r", "code": "610102000001", "shop": "店", "retail_format": "grocery", "score": 0.5}
    row |= {"old_scale": None, "new_scale": "1", "old_class": None, "new_class": "CZ1"}
    pp.show_run(admin_protocol.classify({**answer, "changed": 12_000, "changes": [row]}, "classify"))
    assert pp.changes.rowCount() == 1
    assert (
        pp.status.text().startswith("试运行，未写入：12000 个客户将改变") and "表中列出其中前 1 个" in pp.status.text()
    )
    pp.show_run(admin_protocol.classify({**answer, "changes": [row]}, "classify"))  # a server without the count
    assert pp.status.text().startswith("试运行，未写入：1 个客户将改变") and "表中列出" not in pp.status.text()

    # the audit copy: listed, verified, exported
    au = area.audit
    area.tabs.setCurrentWidget(au)
    settle(qtbot, au)
    au.verify()
    settle(qtbot, au)
    assert au.status.text() == "已上传的审计记录完好。"
    au.export(tmp_path / "audit.jsonl")
    settle(qtbot, au)
    assert (tmp_path / "audit.jsonl").exists() and au.status.text().endswith("audit.jsonl。")

    # the admin log: every call of the area, by boss through the desktop app
    lg = area.log
    area.tabs.setCurrentWidget(lg)
    settle(qtbot, lg)
    assert "桌面应用" in cells(lg.table, 2) and "users.add" in cells(lg.table, 3)
    actions = {(row[1], row[2], row[3]) for row in server_log(srv)}
    for action in (
        "users.add",
        "users.disable",
        "users.reset",
        "users.role",
        "devices.revoke",
        "customers.handover",
        "calendar.draft.set",
        "calendar.publish",
        "purchases.import",
        "classify.run",
        "audit.verify",
        "audit.export",
    ):
        assert ("boss", "api", action) in actions, action

    # no longer an admin: the area closes and its menu item goes
    win.set_role(UserRole.COLLECTOR)
    assert not win.act_admin.isVisible() and not area.isVisible()


def test_a_user_sets_their_password_with_the_code(qtbot, running, srv, monkeypatch) -> None:  # noqa: F811
    """Sync → Set a password with a code…: wrong code refused with the reason; the right one sets the
    password once, and signing in works with it."""
    from app.ui.sync.code_dialog import CodeDialog

    code = srv.admin("user", "reset", "c1").stdout.strip()
    dialogs: list[CodeDialog] = []
    monkeypatch.setattr(CodeDialog, "open", lambda self: dialogs.append(self))
    running.window.redeem_code()
    d = dialogs[0]
    d.server.setText(srv.url)
    d.user.setText("c1")
    d.code.setText("AAAA-BBBB-CCCC-DDDD")
    d.password.setText("c1-new-password")
    d.repeat.setText("c1-new-password")
    d.send()
    qtbot.waitUntil(lambda: d.ok.isEnabled() and d.message.text() != "正在发送…", timeout=20_000)
    assert d.message.text() == "验证码错误、已使用或已过期：请向管理员索取新的验证码。"
    d.repeat.setText("something-else")
    d.code.setText(code)
    d.send()
    qtbot.waitUntil(lambda: d.ok.isEnabled() and d.message.text() != "正在发送…", timeout=20_000)
    assert d.message.text() == "两次输入的密码不一致。"
    d.repeat.setText("c1-new-password")
    d.send()
    qtbot.waitUntil(lambda: d.message.text() == "密码已设置，请用新密码登录。", timeout=20_000)
    r = requests.post(
        srv.url + "/api/v1/auth/login",
        json={"username": "c1", "password": "c1-new-password", "device_id": "pc-c1", "device_name": "x"},
        headers={"X-FieldArchive-Protocol": "1"},
        timeout=10,
    )
    assert r.status_code == 200

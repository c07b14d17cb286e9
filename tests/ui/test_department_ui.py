"""A department user (部门人员: a viewer placed in a department, docs/domain.md) in the real app against a real
server on 127.0.0.1: created by the admin command line in one call, signed in on the desktop, they are offered
no action that writes a customer, and their 待办 lists the onboarding step their department (专卖管理所) owns,
which they do with its phone notice; the server records it as theirs."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from app.services.changes import Notice
from app.ui.onboarding_view import TodoWindow
from app.ui.sync.signin_dialog import SignInDialog
from tests.server.helpers import Api, save
from tests.sync.conftest import SERVER_PASSWORD
from tests.ui.test_report_ui import _menu_action
from tests.ui.test_sync_ui import status_text


def sign_in_as(qtbot: Any, running: Any, srv: Any, monkeypatch: Any, user: str) -> None:
    dialogs: list[SignInDialog] = []
    monkeypatch.setattr(SignInDialog, "open", lambda self: dialogs.append(self))
    running.window.sign_in()
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    d = dialogs[0]
    d.server.setText(srv.url)
    d.user.setText(user)
    d.password.setText(SERVER_PASSWORD)
    d.sign_in()


def test_a_department_user_does_their_departments_step(
    qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path
) -> None:
    import app.ui.onboarding_view as view

    shown: list[str] = []
    monkeypatch.setattr(view, "show_exception", lambda parent, exc: shown.append(exc.message()))
    out = srv.admin("user", "add", "zmx", "--role", "viewer", "--department", "monopoly", "--display-name", "专卖李")
    assert out.returncode == 0, out.stderr
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        api = Api(http)
        token = api.login("c1", SERVER_PASSWORD).json()["access_token"]
        assert api.push1(token, save(str(uuid.uuid4()), {"shop_name": "部门新店"}))["status"] == "applied"

    sign_in_as(qtbot, running, srv, monkeypatch, "zmx")
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)
    win = running.window
    assert not any(a.isVisible() for a in (win.act_new, win.act_import, *win.customer_actions))
    _menu_action(win, "待办…").trigger()
    w: TodoWindow = win.todo_window
    qtbot.waitUntil(lambda: w.table.rowCount() == 1, timeout=20_000)
    cells = [w.table.item(0, c).text() for c in range(w.table.columnCount())]
    assert cells[0].endswith("部门新店") and cells[1] == "专卖部门转发新办证客户信息" and cells[2] == "专卖管理所"
    assert w.items[0].step.phone and w.do_button.isEnabled() is False  # nothing chosen yet
    w.ask_step = lambda item: ("已转营销科", Notice("营销科 王某", "029-88886666", "已电话告知"))
    w.table.selectRow(0)
    assert w.do_button.isEnabled()
    case_id = w.items[0].case_id
    w.do_selected()
    qtbot.waitUntil(lambda: bool(shown) or w.message.text() == "暂无待办。", timeout=20_000)
    assert not shown and w.table.rowCount() == 0, shown
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        api = Api(http)
        token = api.login("c1", SERVER_PASSWORD).json()["access_token"]
        case = api.call("GET", f"/onboarding/cases/{case_id}", token).json()
    assert case["steps"][0]["done_by"] == "zmx" and case["steps"][0]["note"] == "已转营销科"
    assert [(n["party"], n["recorded_by"]) for n in case["notices"]] == [("营销科 王某", "zmx")]

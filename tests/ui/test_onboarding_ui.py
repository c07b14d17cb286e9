"""The to-do list (Archive → 待办…) in the real app against a real server on 127.0.0.1: offline it says the
list needs the server; signed in as the customer manager c1 under a county step table (the visit on the day
or the next, the bank account into V6 within a working day: F3 L9, L164), it lists c1's two waiting visits,
the one of a licensee whose information arrived before the National Day holiday overdue and in red; doing it
moves that case on to the bank step; a step someone else moved on meanwhile is refused in Chinese. The bank
step records its phone notice: the step's dialog refuses it without who was called and the outcome, and the
server keeps the call. Then the server stops: the window shows the list kept in the archive at the last
fetch, "as of" then, with the steps' actions disabled."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path

import httpx
from PySide6.QtWidgets import QDialogButtonBox

from app.services.changes import Notice
from app.ui.onboarding_step import OnboardingStepDialog
from app.ui.onboarding_view import TodoWindow
from app.ui.style import ERROR
from tests.server.helpers import Api, demo_values, save
from tests.server.test_cli import write_xlsx
from tests.sync.conftest import SERVER_PASSWORD
from tests.ui.test_report_ui import _menu_action
from tests.ui.test_sync_ui import sign_in, status_text

COUNTY = [
    {"code": "visit", "name": "客户经理当日或次日走访", "owner": "role:collector", "hours": 8},
    {"code": "bank", "name": "银行账号一个工作日内维护到V6", "owner": "role:collector", "hours": 8, "phone": True},
]


def test_the_to_do_list(qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path) -> None:
    import app.ui.onboarding_view as view

    shown: list[str] = []
    monkeypatch.setattr(view, "show_exception", lambda parent, exc: shown.append(exc.message()))
    win = running.window
    _menu_action(win, "待办…").trigger()
    w: TodoWindow = win.todo_window
    assert w is not None and w.isVisible()
    qtbot.waitUntil(lambda: w.message.text().startswith("待办列表需要连接服务器"), timeout=10_000)
    assert w.message.text() == "待办列表需要连接服务器，现在无法查询：请先登录服务器。" and w.table.rowCount() == 0

    steps = tmp_path / "county.json"
    steps.write_text(json.dumps(COUNTY, ensure_ascii=False), encoding="utf-8")
    srv.admin("onboarding", "steps", "--file", str(steps))
    rows = demo_values(1, seed=9)
    rows[0]["customer_code"] = "610102009999"
    sheet = tmp_path / "licensee.xlsx"
    write_xlsx(sheet, rows, ["customer_code", "shop_name", "licence_no", "region_code", "address"])
    srv.admin("import-customers", str(sheet), "--owner", "c1")
    srv.admin("onboarding", "open", "610102009999", "--received", "2026-09-30T14:00")
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        api = Api(http)
        token = api.login("c1", SERVER_PASSWORD).json()["access_token"]
        assert api.push1(token, save(str(uuid.uuid4()), {"shop_name": "今日新店"}))["status"] == "applied"

    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)
    w.fetch()
    qtbot.waitUntil(lambda: w.table.rowCount() == 2, timeout=20_000)
    cells = [[w.table.item(r, c).text() for c in range(w.table.columnCount())] for r in range(2)]
    assert cells[0][0].startswith("610102009999") and cells[1][0].endswith("今日新店")  # the oldest deadline first
    assert [c[1] for c in cells] == ["客户经理当日或次日走访"] * 2 and [c[2] for c in cells] == ["客户经理"] * 2
    assert [c[3] for c in cells] == ["专卖管理部门", "客户经理"]
    assert cells[0][5] == "2026-10-08 14:00"  # 3 hours on Sept 30, the holiday, 5 hours on Oct 8
    assert cells[0][6].startswith("已超期") and cells[1][6].startswith("剩余")
    colours = [w.table.item(r, 0).foreground().color().name() for r in range(2)]
    assert colours[0] == ERROR and colours[1] != ERROR
    assert w.message.text() == "共 2 项待办。 其中 1 项已超期。"

    late = w.items[0]
    w.ask_note = lambda item: "已走访，客户同意电子结算"
    w.table.selectRow(0)
    assert w.do_button.isEnabled()
    w.do_selected()

    def names() -> list[str]:
        return [w.table.item(r, 1).text() for r in range(w.table.rowCount())]

    qtbot.waitUntil(lambda: bool(shown) or "银行账号一个工作日内维护到V6" in names(), timeout=20_000)
    assert not shown and sorted(names()) == ["客户经理当日或次日走访", "银行账号一个工作日内维护到V6"], shown
    assert w.message.text() == "共 2 项待办。"  # the bank step's clock started now: nothing overdue

    w.items = [dataclasses.replace(late)]  # as the window showed it before: done meanwhile
    w.table.selectRow(0)
    w.do_selected()
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    assert shown[-1] == "其他人刚刚办理了该流程；请刷新列表。"

    # the bank step records its phone notice: its dialog says what is missing before the server is asked
    w.fetch()
    qtbot.waitUntil(lambda: len(w.items) == 2 and w.refresh_button.isEnabled(), timeout=20_000)
    bank = next(i for i in w.items if i.step.code == "bank")
    assert bank.step.phone and not late.step.phone
    dialog = OnboardingStepDialog(bank, w)
    assert dialog.phone is not None
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    ok.click()
    assert dialog.problem.text() == "请填写通知了谁。" and dialog.result() == 0
    dialog.phone.party.setText("结算中心 张某")
    ok.click()
    assert dialog.problem.text() == "请填写结果。"
    dialog.phone.outcome.setText("已告知，账号已维护")
    ok.click()
    assert dialog.result() == 1 and dialog.answer()[1] == Notice("结算中心 张某", "", "已告知，账号已维护")
    w.ask_step = lambda item: ("账号已维护到V6", Notice("结算中心 张某", "029-88880000", "已电话告知"))
    w.table.selectRow(next(r for r in range(w.table.rowCount()) if w.items[r].step.code == "bank"))
    shown.clear()
    w.do_selected()
    qtbot.waitUntil(lambda: bool(shown) or "银行账号一个工作日内维护到V6" not in names(), timeout=20_000)
    assert not shown and names() == ["客户经理当日或次日走访"], shown
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        api = Api(http)
        token = api.login("c1", SERVER_PASSWORD).json()["access_token"]
        case = api.call("GET", f"/onboarding/cases/{bank.case_id}", token).json()
    assert case["status"] == "done"
    assert [(n["position"], n["party"], n["number"], n["outcome"]) for n in case["notices"]] == [
        (2, "结算中心 张某", "029-88880000", "已电话告知")
    ]

    # the server is gone: the list kept in the archive at the last fetch, as of then, nothing can be done
    srv.stop()
    w.fetch()
    qtbot.waitUntil(lambda: w.message.text().startswith("无法连接服务器"), timeout=30_000)
    assert "待服务器可连接后才能办理" in w.message.text() and "以下为本档案保存的 20" in w.message.text()
    assert names() == ["客户经理当日或次日走访"] and w.items[0].shop_name == "今日新店"
    w.table.selectRow(0)
    assert not w.do_button.isEnabled()
    w.do_selected()  # nothing asked of the server
    assert w.offline and not shown

"""The change requests' section of the to-do list (待办) in the real app against a real server on 127.0.0.1,
signed in as the customer manager c1: their own-field change that arrived on the eve of the National Day holiday
is overdue and red (due 17:00 that day), the city task order's visit waits for them; doing both moves them on,
the own change is applied on the server; a step someone else moved on meanwhile is refused in Chinese; the
step dialog asks an emergency step's phone call and says what is missing."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from app.models.onboarding import WaitingChange
from app.services.changes import Notice
from app.ui.changes_view import StepDialog
from app.ui.onboarding_view import TodoWindow
from app.ui.style import ERROR
from tests.server.helpers import demo_values
from tests.server.test_cli import write_xlsx
from tests.ui.test_report_ui import _menu_action
from tests.ui.test_sync_ui import sign_in, status_text


def test_the_change_steps_in_the_to_do_list(qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path) -> None:
    import app.ui.changes_view as view

    shown: list[str] = []
    monkeypatch.setattr(view, "show_exception", lambda parent, exc: shown.append(exc.message()))
    srv.admin("user", "add", "mkt", "--role", "collector")
    srv.admin("place", "mkt", "--department", "market")
    rows = demo_values(2, seed=11)
    for i, r in enumerate(rows):
        r["customer_code"] = f"61010200888{i}"
    sheet = tmp_path / "customers.xlsx"
    write_xlsx(sheet, rows, ["customer_code", "shop_name", "licence_no", "region_code", "address"])
    srv.admin("import-customers", str(sheet), "--owner", "c1")
    own = srv.admin(
        "change", "open", "610102008880", "--path", "own", "--set", "contact_name=王五六七",
        "--received", "2026-09-30T14:00", "--user", "c1",
    ).stdout.split("\t")[0]  # fmt: skip
    city = srv.admin(
        "change", "open", "610102008881", "--path", "city", "--set", 'order_cycle=["mon", "thu"]', "--user", "mkt"
    ).stdout.split("\t")[0]
    srv.admin("change", "do", city, "--step", "order", "--revision", "1", "--user", "mkt")

    win = running.window
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)
    _menu_action(win, "待办…").trigger()
    w: TodoWindow = win.todo_window
    p = w.changes
    qtbot.waitUntil(lambda: p.table.rowCount() == 2, timeout=20_000)
    cells = [[p.table.item(r, c).text() for c in range(p.table.columnCount())] for r in range(2)]
    assert [c[0] for c in cells] == ["自身维护权限内，当日维护", "营销中心任务单"]
    assert "联系人" in cells[0][1] and "王五六七" in cells[0][1] and "周一、周四" in cells[1][1]
    assert [c[2] for c in cells] == ["客户经理当日更新自身维护权限内的信息", "客户经理实地走访核实并回馈"]
    assert cells[0][4] == "2026-09-30 17:00" and cells[0][5].startswith("已超期") and cells[1][5].startswith("剩余")
    colours = [p.table.item(r, 0).foreground().color().name() for r in range(2)]
    assert colours[0] == ERROR and colours[1] != ERROR
    assert p.message.text() == "共 2 项修改待办。 其中 1 项已超期。"
    assert [i.case_id for i in p.items] == [own, city]

    late = p.items[0]
    p.ask = lambda item: ("已在系统中更新", None, None)
    p.table.selectRow(0)
    p.do_selected()
    qtbot.waitUntil(lambda: bool(shown) or p.table.rowCount() == 1, timeout=20_000)
    assert not shown and p.items[0].case_id == city
    shown_case = json.loads(srv.admin("change", "show", own, "--user", "c1").stdout)
    assert shown_case["status"] == "done" and shown_case["items"][0]["applied_version"] == 2
    assert shown_case["steps"][0]["note"] == "已在系统中更新" and shown_case["steps"][0]["overdue"] is True

    p.ask = lambda item: ("已走访核实", None, None)
    p.table.selectRow(0)
    p.do_selected()
    qtbot.waitUntil(lambda: bool(shown) or p.table.rowCount() == 0, timeout=20_000)
    assert not shown and p.message.text() == "没有等待您办理的修改申请。"

    p.items = [dataclasses.replace(late)]  # as the window showed it before: done meanwhile
    p.table.setRowCount(1)
    p.table.selectRow(0)
    p.do_selected()
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    assert shown[-1] == "这项修改申请已办结。"


def test_the_step_dialog_asks_the_phone_call(qtbot) -> None:
    from app.models.onboarding import CaseStep

    step = CaseStep(1, "fill", "代填", "department:market", None, 0.5, None, None, None, None, None, "", False, 0.5)
    item = WaitingChange("id", "emergency", 1, (), step, frozenset({"phone"}), False)
    d = StepDialog(item)
    qtbot.addWidget(d)
    assert d.phone is not None and d.told is None
    d._accept()
    assert d.problem.text() == "请填写通知了谁。" and not d.result()
    d.phone.party.setText("县区营销部 王科长")
    d._accept()
    assert d.problem.text() == "请填写结果。"
    d.phone.outcome.setText("已接听")
    d.phone.number.setText("029-1")
    d._accept()
    assert d.result() and d.answer()[1] == Notice("县区营销部 王科长", "029-1", "已接听")

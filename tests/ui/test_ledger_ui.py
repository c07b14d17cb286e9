"""The modification ledger screen (Archive → 修改台帐…) in the real app against a real server on 127.0.0.1:
signed in as the market manager s1, it lists c1's direct change and the change s1 approved, not another
team's nor a returned one; the customer-manager filter; the export opened and checked cell by cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
from openpyxl import load_workbook
from PySide6.QtCore import QDate

from app.models import times
from app.ui.ledger_view import LedgerWindow
from tests.server.helpers import Api, complete_values, create, decide, save, submit
from tests.sync.conftest import SERVER_PASSWORD
from tests.ui.test_report_ui import _menu_action
from tests.ui.test_sync_ui import status_text


def _approved(api: Api, tokens: dict[str, str], collector: str, supervisor: str, seed: int) -> dict[str, Any]:
    rec = create(api, tokens[collector], complete_values(api, tokens[collector], seed=seed))
    assert api.push1(tokens[collector], submit(rec["id"], 1))["record"]["status"] == "pending"
    return api.push1(tokens[supervisor], decide(rec["id"], 2))["record"]


def _change(api: Api, token: str, rec: dict[str, Any], **changes: Any) -> dict[str, Any]:
    res = api.push1(token, save(rec["id"], {k: (rec["values"].get(k), v) for k, v in changes.items()}, rec["version"]))
    assert res["status"] == "applied", res
    return res["record"]


def _reviewed(api: Api, tokens: dict[str, str], who: str, sup: str, rec: dict[str, Any], action: str = "approve"):
    rec = api.push1(tokens[who], submit(rec["id"], rec["version"]))["record"]
    return api.push1(tokens[sup], decide(rec["id"], rec["version"], action, "不符" if action == "return" else ""))


def _data(srv: Any) -> dict[str, Any]:
    """c1 (s1's team): a direct change and an approved change of A; c2 (s1's): a returned change of B;
    c3 (s2's team): an approved change of D."""
    srv.admin("user", "add", "c2", "--role", "collector", "--supervisor", "s1")
    srv.admin("user", "add", "s2", "--role", "supervisor")
    srv.admin("user", "add", "c3", "--role", "collector", "--supervisor", "s2")
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        api = Api(http)
        tokens = {n: api.login(n, SERVER_PASSWORD).json()["access_token"] for n in ("s1", "s2", "c1", "c2", "c3")}
        a = _approved(api, tokens, "c1", "s1", 41)
        b = _approved(api, tokens, "c2", "s1", 42)
        d = _approved(api, tokens, "c3", "s2", 43)
        a = _change(api, tokens["c1"], a, contact_name="王小明")
        new_id = complete_values(api, tokens["c1"], seed=44)["id_card"]
        old = dict(a["values"])
        a = _change(api, tokens["c1"], a, shop_name="新世纪便利店", id_card=new_id)
        assert _reviewed(api, tokens, "c1", "s1", a)["record"]["status"] == "approved"
        b = _change(api, tokens["c2"], b, shop_name="被退回的店名")
        assert _reviewed(api, tokens, "c2", "s1", b, "return")["record"]["status"] == "returned"
        d = _change(api, tokens["c3"], d, shop_name="别队的店")
        assert _reviewed(api, tokens, "c3", "s2", d)["record"]["status"] == "approved"
    return {"a": a, "old": old, "new_id": new_id}


def _sign_in_as_s1(qtbot, running, srv, monkeypatch) -> None:
    from app.ui.sync.signin_dialog import SignInDialog

    dialogs: list[SignInDialog] = []
    monkeypatch.setattr(SignInDialog, "open", lambda self: dialogs.append(self))
    running.window.sign_in()
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    d = dialogs[0]
    d.server.setText(srv.url)
    d.user.setText("s1")
    d.password.setText(SERVER_PASSWORD)
    d.sign_in()
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)


def test_the_ledger_screen_and_its_export(qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path) -> None:
    import app.ui.ledger_view as view

    shown: list[str] = []
    monkeypatch.setattr(view, "show_exception", lambda parent, exc: shown.append(exc.message()))
    monkeypatch.setattr(view, "info", lambda parent, text: shown.append(text))
    win = running.window
    _menu_action(win, "修改台帐…").trigger()
    w: LedgerWindow = win.ledger_window
    assert w is not None and w.isVisible()
    first, last = w.period()
    assert first.day == 1 and (last + dt.timedelta(days=1)).day == 1  # the previous month

    # not signed in: a clear message, nothing shown
    w.fetch()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown[-1] == "请先登录服务器。" and w.table.rowCount() == 0 and not w.export_button.isEnabled()
    # a period that ends before it starts is refused before asking
    w.end.setDate(w.start.date().addDays(-1))
    w.fetch()
    assert shown[-1] == "期间的结束日期早于开始日期。"

    data = _data(srv)
    _sign_in_as_s1(qtbot, running, srv, monkeypatch)
    today = times.now().date()
    w.start.setDate(QDate(today.year, today.month, 1))
    w.end.setDate(QDate(today.year, today.month, today.day))
    w.fetch()
    qtbot.waitUntil(lambda: w.table.rowCount() > 0, timeout=20_000)
    a, old, new_id = data["a"], data["old"], data["new_id"]
    cells = [[w.table.item(r, c).text() for c in range(w.table.columnCount())] for r in range(w.table.rowCount())]
    assert [(c[3], c[5], c[8], c[9], c[10]) for c in cells] == [
        (a["code"], "联系人", "客户经理直接修改", "c1", ""),
        (a["code"], "店铺名称", "审核通过", "c1", "s1"),
        (a["code"], "负责人身份证号码", "审核通过", "c1", "s1"),
    ]
    assert cells[1][6:8] == [old["shop_name"], "新世纪便利店"]
    assert cells[2][7] == new_id[:6] + "********" + new_id[-4:]  # masked for a market manager
    assert w.message.text().startswith(
        f"{today.replace(day=1).isoformat()} 至 {today.isoformat()}：1 户客户共 3 项修改"
    )
    assert "身份证号码和银行账号已部分隐去" in w.message.text()
    assert "客户经理：c1: 3" in w.summary.text()
    assert "部门：专卖管理所: 1" in w.summary.text() and "部门：县区营销部: 2" in w.summary.text()
    # the filter lists s1's team; c2's returned change is not a modification
    assert [w.collector.itemData(i) for i in range(w.collector.count())] == [None, "c1", "c2", "s1"]
    w.collector.setCurrentIndex(2)
    w.fetch()
    qtbot.waitUntil(lambda: w.table.rowCount() == 0, timeout=20_000)
    w.collector.setCurrentIndex(1)
    w.fetch()
    qtbot.waitUntil(lambda: w.table.rowCount() == 3, timeout=20_000)

    # the export: the ledger sheet set up for printing, identifiers as Text, the summary after it
    target = tmp_path / "台帐.xlsx"
    w.ask_file = lambda suggested: str(target)
    w.export()
    qtbot.waitUntil(lambda: shown and shown[-1].startswith("修改台帐已写入"), timeout=20_000)
    assert shown[-1].endswith("共 3 行。")
    wb = load_workbook(target)
    assert wb.sheetnames == ["修改台帐", "汇总"]
    ws = wb["修改台帐"]
    assert [c.value for c in ws[1]] == [
        "序号",
        "完成时间",
        "客户经理",
        "客户代码",
        "店铺名称",
        "修改项目",
        "修改前",
        "修改后",
        "修改途径",
        "操作人",
        "审核人",
        "来源",
    ]
    assert [c.value for c in ws[3]][:9] == [
        2,
        cells[1][1],
        "c1",
        a["code"],
        "新世纪便利店",
        "店铺名称",
        old["shop_name"],
        "新世纪便利店",
        "审核通过",
    ]
    assert ws["D3"].number_format == "@" and ws["H4"].value == cells[2][7]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert ws.max_row == 4
    summary = {r[0].value: r[1].value for r in wb["汇总"].iter_rows(min_row=2)}
    assert summary["修改项数（按字段）"] == 3 and summary["涉及客户数"] == 1
    assert summary["修改途径：审核通过"] == 2 and summary["客户经理：c1"] == 3

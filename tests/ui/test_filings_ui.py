"""The monthly filings' section of the to-do list (Archive → 待办…) in the real app against a real server on
127.0.0.1: offline it says it needs the server; signed in as the customer manager c1, it lists the order
collection summary of the month just ended (an order entered in the desktop's visit dialog, synced) and the
one of the month before, overdue and red; filing that one
from the window turns it into 逾期报送; saved as a workbook it holds the cover and the summary in its columns,
customer codes and amounts as text cells. The special-use form's rows are checked before anything is sent."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QDate
from sqlalchemy import update

from app.errors import UserFacingError
from app.models.record import Visit
from app.services import filings as service
from app.ui.onboarding_view import TodoWindow
from app.ui.records.visits import VisitDialog
from app.ui.style import ERROR
from server.config import CHINA_TZ, DB_FILE
from server.db import Database
from server.schema import users
from tests.server.helpers import Api, save
from tests.server.test_filings import a_visit, months_ago
from tests.sync.conftest import SERVER_PASSWORD
from tests.ui.test_report_ui import _menu_action
from tests.ui.test_sync_ui import sign_in, status_text


def test_filings_in_the_to_do_list(qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path) -> None:
    import app.ui.filings_view as view

    shown: list[str] = []
    monkeypatch.setattr(view, "show_exception", lambda parent, exc: shown.append(exc.message()))
    win = running.window
    _menu_action(win, "待办…").trigger()
    w: TodoWindow = win.todo_window
    f = w.filings
    qtbot.waitUntil(lambda: f.message.text().startswith("报表需要连接服务器"), timeout=10_000)
    assert f.message.text() == "报表需要连接服务器，现在无法查询：请先登录服务器。" and f.table.rowCount() == 0

    m2, m1 = months_ago(2), months_ago(1)
    database = Database(f"sqlite:///{srv.data / DB_FILE}")  # the users have been there since the month m2
    since = dt.datetime(*map(int, m2.split("-")), 1, tzinfo=CHINA_TZ).timestamp()
    database.write(lambda tx: tx.conn.execute(update(users).values(created_at=since)))
    database.dispose()
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        api = Api(http)
        token = api.login("c1", SERVER_PASSWORD).json()["access_token"]
        rid = str(uuid.uuid4())
        assert api.push1(token, save(rid, {"shop_name": "东关烟酒店"}))["status"] == "applied"
        order = {"orders": 1, "order_quantity": 5, "order_amount": "99"}  # another client's visit
        assert api.push1(token, a_visit(rid, f"{m2}-15", order))["status"] == "applied"

    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)
    # the visit of the month just ended, with its order, entered in the desktop's visit dialog
    dialog = VisitDialog(running.ctx, rid, win)
    qtbot.addWidget(dialog)
    dialog.date.setDate(QDate(*map(int, m1.split("-")), 15))
    assert not dialog.amount.isEnabled()
    dialog.order.setChecked(True)
    dialog.orders.setValue(2)
    dialog.cartons.setValue(30)
    dialog.amount.setText("1234.567")
    dialog._save()
    assert dialog.error.text() == "请填写订单金额（元），最多两位小数，例如 900.50。"
    dialog.amount.setText("1234.5")
    added: list[Visit] = []
    dialog.sig_added.connect(added.append)
    dialog._save()
    qtbot.waitUntil(lambda: bool(added), timeout=10_000)
    assert (added[0].orders, added[0].order_quantity, added[0].order_amount) == (2, 30, "1234.5")
    win.coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新 · 发送 1"), timeout=30_000)
    w.fetch()
    qtbot.waitUntil(lambda: f.table.rowCount() == 2, timeout=20_000)
    cells = [[f.table.item(r, c).text() for c in range(f.table.columnCount())] for r in range(2)]
    assert [c[0] for c in cells] == ["卷烟营销部客户经理订单采集汇总表"] * 2
    assert [c[1] for c in cells] == [m1, m2] and cells[1][3] == "逾期未报送"
    assert cells[1][2] == dt.date(*map(int, m1.split("-")), 3).isoformat()  # the 3rd of the month after
    assert f.table.item(1, 0).foreground().color().name() == ERROR
    assert "份报表待报送" in f.message.text()

    f.ask = lambda item: {"note": "已报县级内管股"}
    f.table.selectRow(1)
    assert f.file_button.isEnabled()
    f.file_selected()
    qtbot.waitUntil(lambda: bool(shown) or f.table.rowCount() == 1, timeout=20_000)
    assert not shown, shown  # filed, late: no longer owed, and the server keeps it as filed late
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        api = Api(http)
        token = api.login("c1", SERVER_PASSWORD, device="pc-check").json()["access_token"]
        filed = api.call("GET", f"/filings/collector_orders/{m2}", token).json()
        assert (filed["state"], filed["note"], filed["content"]["total"]["amount"]) == (
            "late",
            "已报县级内管股",
            "99.00",
        )

    f.table.selectRow(0)  # the month just ended: its workbook as it would be filed now

    target = tmp_path / "orders.xlsx"
    f.ask_file = lambda suggested: str(target)
    f.save_selected()
    qtbot.waitUntil(lambda: bool(shown) or f.message.text().startswith("报表已保存到"), timeout=20_000)
    assert not shown, shown
    wb = load_workbook(target)
    assert wb.sheetnames == ["封面", "卷烟营销部客户经理订单采集汇总表"]
    cover = {r[0]: r[1] for r in wb["封面"].iter_rows(min_row=2, values_only=True)}
    assert cover["报表"] == "卷烟营销部客户经理订单采集汇总表" and cover["月份"] == m1
    assert cover["状态"] in ("待报送", "逾期未报送") and cover["报送至"] == "县级内管股"
    table = wb["卷烟营销部客户经理订单采集汇总表"]
    header = [c.value for c in table[1]]
    assert header == ["序号", "日期", "客户代码", "店铺名称", "订单数", "订购量（条）", "金额（元）"]
    line = table[2]
    assert (line[1].value, line[3].value, line[4].value, line[5].value) == (f"{m1}-15", "东关烟酒店", 2, 30)
    assert line[6].value == "1234.50" and line[6].data_type == "s" and not line[2].value  # a draft has no code yet
    assert [c.value for c in table[3]][0] == "合计" and table[3][6].value == "1234.50"


def test_the_special_use_rows_are_checked_before_sending() -> None:
    row = ["2026-11-10", "接待", "中华(硬)", "2", "900"]
    assert service.special_use_rows("2026-11", [row, ["", "", "", "", "", ""]]) == [
        {"day": "2026-11-10", "purpose": "接待", "brand": "中华(硬)", "quantity": 2, "amount": "900", "handled_by": ""}
    ]
    cases = [
        (["2026-12-01", *row[1:]], "第 1 行：日期须为 2026-11 内的某一天，格式为 YYYY-MM-DD。"),
        (["2026-11-31", *row[1:]], "第 1 行：日期须为 2026-11 内的某一天，格式为 YYYY-MM-DD。"),
        ([row[0], "", *row[2:]], "第 1 行：用途和品规必须填写。"),
        ([*row[:3], "两条", row[4]], "第 1 行：数量（条）须为整数。"),
        ([*row[:4], "9.999"], "第 1 行：金额以元为单位，最多两位小数，例如 900.50。"),
    ]
    for cells, message in cases:
        with pytest.raises(UserFacingError) as caught:
            service.special_use_rows("2026-11", [cells])
        assert caught.value.message() == message

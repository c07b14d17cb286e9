"""The integrity archive in the running app (real controller, real SQLCipher archive): a complaint of the
user's past its deadline puts its customer in the list's "超期或待核查" filter and in the status bar's count
(another person's does not), Archive → 逾期投诉… lists every overdue complaint held, and Archive → 公示名单…
saves the server's notice list (a real server on 127.0.0.1) as the workbook to publish."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

import app.ui.records.integrity as integrity_ui
from app.services import integrity, records
from app.ui.records.table_model import Column
from tests.server.helpers import Api
from tests.sync.conftest import SERVER_PASSWORD
from tests.ui.test_ledger_ui import _approved, _sign_in_as_s1
from tests.ui.test_report_ui import _menu_action


def _setup(session: Any) -> dict[str, str]:
    """A (a complaint of the user's, past its deadline), B (a complaint past its deadline, assigned to
    someone else), C (a complaint not due yet): drafts made today, nothing else overdue."""
    ids = {
        n: records.save_draft(session, {"shop_name": name})[0].id
        for n, name in (("a", "甲店"), ("b", "乙店"), ("c", "丙店"))
    }
    long_ago = (session.today() - dt.timedelta(days=40)).isoformat()
    integrity.open_complaint(session, ids["a"], "phone", long_ago, "价格不明示")
    other = integrity.open_complaint(session, ids["b"], "visit", long_ago, "不找零")
    integrity.step_complaint(session, other.id, "assign", assignee="someone")
    integrity.open_complaint(session, ids["c"], "phone", session.today().isoformat(), "服务态度差")
    return ids


def test_an_overdue_complaint_of_the_user_is_in_the_overdue_filter_and_the_count(qtbot, running, monkeypatch) -> None:
    win = running.window
    ids = running.runner.call_db(lambda: _setup(running.ctx.session))
    panel = win.list_panel
    panel.apply()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=10_000)
    win.refresh_summary()
    qtbot.waitUntil(lambda: "超期或待核查 1" in win.summary.text(), timeout=10_000)

    panel.overdue.setChecked(True)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: panel.model.row_at(0) is not None, timeout=10_000)
    assert panel.model.customer_id(0) == ids["a"]
    status = panel.model.index(0, Column.STATUS.value)
    assert str(panel.model.data(status, Qt.ItemDataRole.DisplayRole)).startswith("⚠ ")
    assert "您负责的投诉超过办理期限未答复" in panel.model.data(status, Qt.ItemDataRole.ToolTipRole)
    assert "您负责的超期未答复投诉" in panel.overdue.toolTip()

    # Archive → 逾期投诉…: every overdue complaint held here (A's and B's), the complainant masked
    shown: list[integrity_ui.OverdueDialog] = []
    monkeypatch.setattr(integrity_ui.OverdueDialog, "open", lambda self: shown.append(self))
    _menu_action(win, "逾期投诉…").trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    table = shown[0].table
    assert table.rowCount() == 2
    assert sorted(table.item(r, 2).text() for r in range(2)) == ["乙店", "甲店"]
    opened: list[str] = []
    shown[0].sig_open_customer.connect(opened.append)
    shown[0]._open(table.item(0, 0))
    assert opened and opened[0] in (ids["a"], ids["b"])


def test_the_public_notice_list_from_the_menu(qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path) -> None:
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        api = Api(http)
        tokens = {n: api.login(n, SERVER_PASSWORD).json()["access_token"] for n in ("s1", "c1")}
        code = _approved(api, tokens, "c1", "s1", 51)["code"]
    rated = srv.admin("credit", "rate", "--by", "s1", code, "B", "--notice-days", "7")
    assert rated.returncode == 0, rated.stderr
    _sign_in_as_s1(qtbot, running, srv, monkeypatch)

    target = tmp_path / "公示名单.xlsx"
    asked: list[str] = []
    said: list[str] = []

    def save_as(parent: Any, title: str, suggested: str, filters: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    monkeypatch.setattr(integrity_ui, "info", lambda parent, text: said.append(text))
    _menu_action(running.window, "公示名单…").trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=20_000)
    assert said == ["已保存 1 户公示名单。"] and asked[0].startswith("公示名单-")
    wb = load_workbook(target)
    text = "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert code in text and "B" in text
    assert "B级：守法经营" in text  # each grade with its definition


def test_the_integrity_tab_reads_its_records_when_it_comes_into_view(qtbot, running) -> None:
    """Opening a customer leaves the integrity archive unread while another tab is in view (a Submit or a
    save reads nothing for it); bringing the tab into view reads it, and another customer empties it."""
    win = running.window
    ids = running.runner.call_db(lambda: _setup(running.ctx.session))
    win.open_customer(ids["a"])
    side, view = win.panel, win.panel.integrity
    qtbot.waitUntil(lambda: view.customer_id == ids["a"], timeout=10_000)
    assert side.tabs.currentIndex() != side.integrity_tab
    assert view.stale and view.complaints.rowCount() == 0
    side.tabs.setCurrentIndex(side.integrity_tab)
    qtbot.waitUntil(lambda: view.complaints.rowCount() == 1, timeout=10_000)
    assert not view.stale and view.complaints.item(0, 5).text() == "已受理"
    win.open_customer(ids["c"])  # in view: read at once
    qtbot.waitUntil(lambda: view.customer_id == ids["c"] and view.complaints.rowCount() == 1, timeout=10_000)

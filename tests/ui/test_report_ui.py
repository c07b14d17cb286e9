"""The monthly report from the Archive menu, in the real app against a real server on 127.0.0.1:
refused with a clear message before signing in, written in the background after it."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from PySide6.QtWidgets import QFileDialog

from app.models import times
from app.ui import report_flow
from app.ui.report_flow import MonthlyReportDialog
from tests.ui.test_sync_ui import sign_in, status_text


def _menu_action(window, text: str):
    for menu in window.menus:
        for action in menu.actions():
            if action.text() == text:
                return action
    raise AssertionError(f"no menu item {text}")


def test_monthly_report_from_the_menu(qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path) -> None:  # noqa: F811
    win = running.window
    dialogs: list[MonthlyReportDialog] = []
    monkeypatch.setattr(MonthlyReportDialog, "open", lambda self: dialogs.append(self))
    target = tmp_path / "月报.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    shown: list[str] = []
    monkeypatch.setattr(report_flow, "show_exception", lambda parent, exc: shown.append(exc.message()))
    monkeypatch.setattr(report_flow, "info", lambda parent, text: shown.append(text))

    # not signed in: a clear message, no file
    _menu_action(win, "月报…").trigger()
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    d = dialogs[-1]
    assert d.month.count() == 12 and d.chosen() == d.month.itemText(1)  # the previous month is preselected
    d.month.setCurrentIndex(0)
    d.accept()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown[-1] == "请先登录服务器。" and not target.exists()

    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    _menu_action(win, "月报…").trigger()
    qtbot.waitUntil(lambda: len(dialogs) == 2, timeout=5000)
    dialogs[-1].month.setCurrentIndex(0)
    month = dialogs[-1].chosen()
    dialogs[-1].accept()
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=20_000)
    assert shown[-1].startswith(f"{month} 月报已写入") and target.exists()
    wb = load_workbook(target)
    assert wb.sheetnames == ["封面", "类别调整", "档案完整率", "逾期维护", "拜访情况", "投诉处理情况"]
    assert wb["封面"]["B2"].value == month


def test_the_archive_stays_usable_while_the_server_answers(
    qtbot,
    running,
    srv,  # noqa: F811
    memory_keyring,
    monkeypatch,
    tmp_path: Path,
) -> None:
    """The figures are fetched on the network pool: while the server's answer is held back the archive
    thread still answers; Cancel drops the answer and writes nothing; without Cancel the file is written."""
    import threading

    from app.sync.client import SyncClient

    shown: list[str] = []
    monkeypatch.setattr(report_flow, "show_exception", lambda parent, exc: shown.append(exc.message()))
    monkeypatch.setattr(report_flow, "info", lambda parent, text: shown.append(text))
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    release, asked = threading.Event(), threading.Event()
    real = SyncClient.monthly_report

    def held(self, month):
        asked.set()
        assert release.wait(20), "the test never released the server's answer"
        return real(self, month)

    monkeypatch.setattr(SyncClient, "monthly_report", held)
    month = MonthlyReportDialog(times.today()).chosen()

    dropped = tmp_path / "dropped.xlsx"
    busy = report_flow.fetch_and_write(running.ctx, running.window, month, dropped)
    qtbot.waitUntil(asked.is_set, timeout=10_000)
    free = lambda: running.runner.call_db(lambda: running.ctx.session._archive.meta.device_id, timeout=5)  # noqa: E731
    assert free() and not dropped.exists()  # the archive thread answers while the server's answer is held
    from PySide6.QtWidgets import QPushButton

    cancel = busy.findChild(QPushButton)
    assert cancel.text() == "取消"
    cancel.click()
    release.set()
    qtbot.wait(1500)
    assert not dropped.exists() and shown == []

    release.clear()
    asked.clear()
    kept = tmp_path / "kept.xlsx"
    report_flow.fetch_and_write(running.ctx, running.window, month, kept)
    qtbot.waitUntil(asked.is_set, timeout=10_000)
    assert free() and not kept.exists()
    release.set()
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    assert shown[-1].startswith(f"{month} 月报已写入") and kept.exists()
    assert load_workbook(kept)["封面"]["B2"].value == month


def test_integrity_grading_tab_asks_the_server(
    qtbot,
    running,
    srv,  # noqa: F811
    memory_keyring,
    monkeypatch,
    tmp_path: Path,
) -> None:
    from tests.sync.test_classification_sync import _customers
    from tests.ui.test_sync_ui import on_db

    codes = _customers(tmp_path / "customers.xlsx", 2)
    srv.admin("import-customers", str(tmp_path / "customers.xlsx"), "--owner", "c1")
    srv.admin("credit", "rate", "--by", "s1", codes[0], "B", "--notice-days", "7", "--on", "2026-09-01")
    srv.admin("credit", "appeal", codes[0], "店主对处罚记录有异议", "--on", "2026-09-03")
    srv.admin("credit", "decide", "--by", "s1", codes[0], "--grade", "A", "--note", "申诉成立", "--on", "2026-09-14")
    win = running.window
    panel = win.panel

    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    first = on_db(running, lambda s: next(c for c in s._archive.customers.iterate() if c.code == codes[0]))
    assert first.values["credit_grade"] == "A"  # the decision arrived by sync
    win.open_customer(first.id)
    qtbot.waitUntil(lambda: panel.customer_id == first.id, timeout=5000)
    panel.tabs.setCurrentIndex(panel.credit_tab)
    qtbot.waitUntil(lambda: panel.credit.table.rowCount() == 1, timeout=10_000)
    row = [panel.credit.table.item(0, c).text() for c in range(7)]
    assert row[0] == "2026-09-01" and row[1] == "B" and "7 个工作日" in row[2]
    assert row[3].startswith("2026-09-03") and row[5] == "A (申诉成立)" and row[6] == "已审定"
    assert panel.credit.message.text() == "服务器上有 1 次评定。"

    # the server gone: the tab says so, nothing else happens
    srv.stop()
    panel.credit.fetch(force=True)
    qtbot.waitUntil(lambda: panel.credit.message.text().startswith("无法查询服务器"), timeout=20_000)
    assert panel.credit.refresh_button.isEnabled()

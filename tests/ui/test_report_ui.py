"""The monthly report from the Archive menu, in the real app against a real server on 127.0.0.1:
refused with a clear message before signing in, written in the background after it."""
from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from PySide6.QtWidgets import QFileDialog

from app.ui import errors as ui_errors
from app.ui import report_flow
from app.ui.report_flow import MonthlyReportDialog
from tests.ui.test_sync_ui import sign_in, srv, status_text  # noqa: F401  (srv is a fixture)


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
    monkeypatch.setattr(ui_errors, "show_exception", lambda parent, exc: shown.append(exc.message()))
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
    assert wb.sheetnames == ["封面", "类别调整", "档案完整率", "逾期维护", "拜访情况"]
    assert wb["封面"]["B2"].value == month

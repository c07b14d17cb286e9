"""The customer's access log tab (查阅记录) in the real app signed in as the market manager, against a
real server: it lists who opened the customer, from the entries the collector's computer uploaded;
a collector's window does not show the tab."""

from __future__ import annotations

import os
from typing import Any

from app import paths
from app.models.wire import UserRole
from app.services import records
from app.services.demo import generate
from app.ui.sync.signin_dialog import SignInDialog
from tests.sync.conftest import SERVER_PASSWORD, Client
from tests.ui.test_sync_ui import on_db, status_text


def test_the_access_log_tab_lists_who_opened_the_customer(
    qtbot, running, srv, memory_keyring, monkeypatch, tmp_path
) -> None:
    win, panel = running.window, running.window.panel
    assert not panel.tabs.isTabVisible(panel.access_tab)  # a collector until the server says otherwise
    ui_home = os.environ[paths.ENV_HOME]
    try:  # the collector, on their own computer, creates a customer and opens it twice
        c1 = Client(tmp_path / "home-c1", "c1").__enter__()
        made = records.save_draft(c1.session, next(generate(1, seed=41, complete=True)))[0]
        records.open_customer(c1.session, made.id)
        records.open_customer(c1.session, made.id)
        c1.login(srv)
        assert c1.sync().complete
        c1.__exit__()
    finally:
        os.environ[paths.ENV_HOME] = ui_home

    dialogs: list[SignInDialog] = []
    monkeypatch.setattr(SignInDialog, "open", lambda self: dialogs.append(self))
    win.sign_in()
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    d = dialogs[0]
    d.server.setText(srv.url)
    d.user.setText("s1")
    d.password.setText(SERVER_PASSWORD)
    d.sign_in()
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    assert on_db(running, lambda s: s.role) is UserRole.SUPERVISOR
    qtbot.waitUntil(lambda: panel.tabs.isTabVisible(panel.access_tab), timeout=5000)

    win.open_customer(made.id)
    qtbot.waitUntil(lambda: panel.customer_id == made.id, timeout=5000)
    assert panel.tabs.tabText(panel.access_tab) == "查阅记录"
    panel.tabs.setCurrentIndex(panel.access_tab)
    qtbot.waitUntil(lambda: panel.access.table.rowCount() == 2, timeout=10_000)
    rows: list[list[Any]] = [[panel.access.table.item(r, c).text() for c in range(4)] for r in range(2)]
    assert [r[1:3] for r in rows] == [["c1", "查阅"], ["c1", "查阅"]]
    assert panel.access.message.text() == "共 2 条查阅、检索、打印或导出记录。"
    # the market manager's own opening is logged here and reaches the server at the next sync
    mine = on_db(running, lambda s: s._archive.access.entries(made.id))
    assert [e.action for e in mine] == ["open"]

    # Archive → Export requests… (the refusals of an export point there): asked from the server
    assert win.act_export_requests.text() == "导出申请…"
    view = win.show_export_requests()
    qtbot.waitUntil(lambda: view.message.text() == "还没有导出申请。点“申请…”提出申请。", timeout=10_000)

"""An alert reaches the admin without them going to look (issue 18): the real app signed in as an admin to a
real server process on 127.0.0.1. No notice while no alert waits; real failed sign-ins on c1 raise an alert;
after the next sync the status bar says "1 条告警待确认", and a click opens the administration area on its
Alerts page, where acknowledging it takes the notice away. A market manager's client shows none."""

from __future__ import annotations

from typing import Any

import requests

from app.ui.admin.window import AdminWindow
from tests.ui.test_admin_ui import cells, settle, sign_in_as


def fail_sign_ins(srv: Any, user: str, n: int) -> None:
    for _ in range(n):
        requests.post(
            srv.url + "/api/v1/auth/login",
            json={"username": user, "password": "not-the-password", "device_id": "pc-x", "device_name": "x"},
            headers={"X-FieldArchive-Protocol": "1"},
            timeout=30,
        )


def sync_and_ask(qtbot: Any, running: Any) -> None:
    notice = running.window.alert_notice
    asked: list[int] = []
    running.window.coordinator.sig_finished.connect(lambda _o: asked.append(1))
    running.window.coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: bool(asked) and notice.busy == 0, timeout=30_000)


def test_an_admin_sees_the_alerts_waiting_after_a_sync_and_opens_them(
    qtbot, running, srv, memory_keyring, monkeypatch
) -> None:
    srv.admin("user", "add", "boss", "--role", "admin")
    sign_in_as(qtbot, running, srv, monkeypatch, "boss")
    win = running.window
    notice = win.alert_notice
    qtbot.waitUntil(lambda: notice.busy == 0, timeout=20_000)
    assert notice.isHidden() and notice.waiting == 0  # the sign-in's sync asked: none waits

    fail_sign_ins(srv, "c1", 10)  # the default threshold of failed sign-ins on one account
    sync_and_ask(qtbot, running)
    assert not notice.isHidden() and notice.text() == "1 条告警待确认"
    assert "alerts." not in srv.admin("admin-log").stdout  # a count after each sync would fill the admin log
    assert notice.toolTip() == "在管理界面中打开告警页，查看并确认告警。"
    english = notice.fontMetrics().horizontalAdvance("12 alerts to acknowledge")
    assert notice.sizeHint().width() < 200 and english < 200  # beside the sync status, within 1280 px

    notice.click()
    area = win.admin_window
    assert isinstance(area, AdminWindow) and area.isVisible()
    page = area.alerts
    assert area.tabs.currentWidget() is page
    settle(qtbot, page)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=20_000)
    assert cells(page.table, 2) == ["同一账号多次登录失败"] and cells(page.table, 3) == ["c1"]
    page.table.selectRow(0)
    page.acknowledge()
    settle(qtbot, page)
    qtbot.waitUntil(lambda: notice.isHidden(), timeout=20_000)  # the page's list lowered it
    assert "acknowledged by boss" in srv.admin("alert", "list").stdout
    sync_and_ask(qtbot, running)
    assert notice.isHidden()

    fail_sign_ins(srv, "s1", 10)  # a second alert, while the area is open: the notice comes back
    sync_and_ask(qtbot, running)
    assert notice.text() == "1 条告警待确认"
    notice.click()
    settle(qtbot, page)
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=20_000)
    assert cells(page.table, 3) == ["s1", "c1"]


def test_a_market_manager_gets_no_alert_notice(qtbot, running, srv, memory_keyring, monkeypatch) -> None:
    fail_sign_ins(srv, "c1", 10)
    sign_in_as(qtbot, running, srv, monkeypatch, "s1")
    notice = running.window.alert_notice
    qtbot.waitUntil(lambda: notice.busy == 0, timeout=20_000)
    assert notice.isHidden() and notice.waiting == 0
    assert "failed_logins_user" in srv.admin("alert", "list").stdout  # the alert is there, for admins

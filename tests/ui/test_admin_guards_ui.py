"""The administration area's AB posts and Alerts pages (issue 18) as an admin uses them: the real app signed in
as an admin to a real server process on 127.0.0.1. An AB post is set in its dialog (s1 covers c1 today), listed
in force with its handover record, ended early; repeated failed sign-ins on c1 become an alert, acknowledged
from the page; the server's command line shows both."""

from __future__ import annotations

import requests

from app.ui.admin.guards import CoverDialog
from app.ui.admin.window import AdminWindow
from tests.ui.test_admin_ui import cells, settle, sign_in_as


def test_ab_posts_and_alerts_in_the_admin_area(qtbot, running, srv, memory_keyring, monkeypatch) -> None:
    srv.admin("user", "add", "boss", "--role", "admin")
    sign_in_as(qtbot, running, srv, monkeypatch, "boss")
    win = running.window
    win.act_admin.trigger()
    area = win.admin_window
    assert isinstance(area, AdminWindow)

    page = area.covers
    area.tabs.setCurrentWidget(page)
    settle(qtbot, page)
    assert page.table.rowCount() == 0
    monkeypatch.setattr(CoverDialog, "open", lambda self: None)  # not shown: filled in below
    page.ask_set()
    d = page.dialog
    assert d is not None and d.windowTitle() == "设置AB岗代管"
    d.absent.setText("c1")
    d.cover.setText("s1")
    d._accept()
    assert d.error.text() == "请填写A岗、B岗和原因。" and d.result() == 0
    d.reason.setText("年休假")
    d._accept()
    settle(qtbot, page)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=20_000)
    assert page.status.text().startswith("AB岗代管 1：s1 代管 c1 的客户")
    assert cells(page.table, 1) == ["c1"] and cells(page.table, 2) == ["s1"] and cells(page.table, 5) == ["生效中"]
    assert cells(page.handover, 0) == ["开始"]
    page.table.selectRow(0)
    page.end()
    settle(qtbot, page)
    qtbot.waitUntil(lambda: cells(page.table, 5) == ["已结束"], timeout=20_000)
    assert cells(page.handover, 0) == ["开始", "结束"]
    assert "c1 → s1" in srv.admin("cover", "list").stdout

    for _ in range(10):  # the default threshold of failed sign-ins on one account
        requests.post(
            srv.url + "/api/v1/auth/login",
            json={"username": "c1", "password": "not-the-password", "device_id": "pc-x", "device_name": "x"},
            headers={"X-FieldArchive-Protocol": "1"},
            timeout=30,
        )
    alerts = area.alerts
    area.tabs.setCurrentWidget(alerts)
    settle(qtbot, alerts)
    alerts.refresh()
    settle(qtbot, alerts)
    assert cells(alerts.table, 2) == ["同一账号多次登录失败"] and cells(alerts.table, 3) == ["c1"]
    assert cells(alerts.table, 4) == ["10 / 10"] and alerts.count.text() == "1 条告警尚未确认。"
    alerts.table.selectRow(0)
    alerts.acknowledge()
    settle(qtbot, alerts)
    qtbot.waitUntil(lambda: cells(alerts.table, 5)[0].startswith("boss "), timeout=20_000)
    assert alerts.count.text() == "没有待处理的告警。"
    assert "acknowledged by boss" in srv.admin("alert", "list").stdout

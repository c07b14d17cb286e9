"""The administration area's incident page (安全事件, issue 18, audit S2) as an admin uses it: the real app
signed in as an admin to a real server process on 127.0.0.1; an incident recorded with an affected
customer, opened (its facts and steps), the lost laptop revoked as a step, closing refused until the remedy
and who was told are recorded, then closed; the server's state read back through its own command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from app.ui.admin.common import select_key
from app.ui.admin.incidents import NewIncidentDialog, RevokeDialog, TextDialog
from tests.sync.conftest import SERVER_PASSWORD
from tests.ui.test_admin_ui import CODES, cells, seed, settle, sign_in_as


def _dialogs(monkeypatch: Any, cls: Any) -> list[Any]:
    seen: list[Any] = []
    monkeypatch.setattr(cls, "open", lambda self: seen.append(self))
    return seen


def test_an_admin_records_follows_and_closes_an_incident(
    qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path
) -> None:
    srv.admin("user", "add", "boss", "--role", "admin")
    seed(srv, tmp_path)
    requests.post(  # the laptop that will be lost has signed in once
        srv.url + "/api/v1/auth/login",
        json={"username": "c1", "password": SERVER_PASSWORD, "device_id": "laptop-c1", "device_name": "笔记本"},
        headers={"X-FieldArchive-Protocol": "1"},
        timeout=10,
    ).raise_for_status()
    sign_in_as(qtbot, running, srv, monkeypatch, "boss")
    win = running.window
    win.act_admin.trigger()
    area = win.admin_window
    assert area is not None
    area.tabs.setCurrentWidget(area.incidents)
    page = area.incidents
    assert area.tabs.tabText(area.tabs.currentIndex()) == "安全事件"
    settle(qtbot, page)
    assert page.table.rowCount() == 0 and page.status.text() == "尚无安全事件记录。"
    assert not page.close_b.isEnabled() and not page.revoke_b.isEnabled()

    # record one: what happened is required (said in the dialog)
    new = _dialogs(monkeypatch, NewIncidentDialog)
    page.ask_new()
    d = new[-1]
    d.kind.setCurrentIndex(d.kind.findData("lost_device"))
    d._accept()
    assert not d.result() and d.error.text() == "请说明发生了什么。"
    d.summary.setPlainText("客户经理的笔记本电脑在公交车上遗失")
    d.customers.setText(f"{CODES[0]}，{CODES[1]}")
    d._accept()
    settle(qtbot, page)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and page.current is not None, timeout=20_000)
    assert page.status.text().startswith("已记录安全事件")
    assert cells(page.table, 2) == ["设备遗失或被盗"] and cells(page.table, 4) == ["2"]
    assert cells(page.table, 5) == ["处理中"]
    assert page.current is not None and len(page.current.customers) == 2
    assert page.remedy.text() == "尚未记录" and [s.action for s in page.current.steps] == ["opened"]

    # closing before the remedy and the notices: refused, saying what is missing
    page.close_incident()
    assert page.status.text() == "请先记录补救措施和告知对象，再结束事件。"

    # the lost laptop is revoked as a step
    rev = _dialogs(monkeypatch, RevokeDialog)
    page.ask_revoke()
    rev[-1].user.setText("c1")
    rev[-1].device.setText("laptop-c1")
    rev[-1]._accept()
    settle(qtbot, page)
    qtbot.waitUntil(lambda: page.steps.rowCount() == 2, timeout=20_000)
    assert cells(page.steps) == ["已记录", "已吊销设备"] and "laptop-c1" in page.steps.item(1, 1).text()
    assert page.steps.item(1, 2).text() == "boss"
    devices = json.loads(srv.admin("devices", "list", "c1").stdout)
    assert [d["revoked"] for d in devices if d["device_id"] == "laptop-c1"] == [True]

    texts = _dialogs(monkeypatch, TextDialog)
    page.ask_text("remedy")
    texts[-1]._accept()
    assert texts[-1].error.text() == "请说明采取了什么措施。"
    texts[-1].text.setPlainText("已远程吊销该设备登录，档案为加密存储")
    texts[-1]._accept()
    settle(qtbot, page)
    qtbot.waitUntil(lambda: page.remedy.text() == "已远程吊销该设备登录，档案为加密存储", timeout=20_000)
    page.close_incident()
    assert page.status.text() == "请先记录告知对象，再结束事件。"
    page.ask_text("notified")
    texts[-1].text.setPlainText("2026-12-01 告知受影响的 2 户零售客户及市局专卖科")
    texts[-1]._accept()
    settle(qtbot, page)
    qtbot.waitUntil(lambda: page.current is not None and page.current.notified is not None, timeout=20_000)
    page.close_incident()
    settle(qtbot, page)
    qtbot.waitUntil(lambda: page.current is not None and page.current.state == "closed", timeout=20_000)
    assert page.status.text().endswith("已结束。") and not page.close_b.isEnabled()
    assert cells(page.steps) == ["已记录", "已吊销设备", "已记录补救措施", "已记录告知", "已结束"]
    settle(qtbot, page)
    select_key(page.table, page.current.id)
    assert cells(page.table, 5) == ["已结束"]
    shown = srv.admin("incident", "show", str(page.current.id)).stdout
    assert "lost_device" in shown.splitlines()[0] and shown.splitlines()[0].endswith("closed")
    assert "remedy: 已远程吊销该设备登录" in shown and "who was told: 2026-12-01 告知" in shown
    steps = [line.split("\t")[1] for line in shown.splitlines() if line.startswith("  ")]
    assert steps == ["opened", "revoked", "remedy", "notified", "closed"]

"""The maintenance checks window (Archive → 维护检查与抽查…; issue 17) in the real app against a real server on
127.0.0.1: offline it says the checks need the server; signed in as the market manager s1 it records the
monthly check of c1 (a deficient point without findings is refused before sending), a second one is refused
by the server in Chinese (check.already), a spot audit by s1 is refused (check.not_service) until s1 is placed
in the customer-service department, and the month's list shows both."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from app.models import times
from app.ui.checks_view import ChecksDialog, last_month
from app.ui.sync.signin_dialog import SignInDialog
from tests.server.helpers import Api
from tests.sync.conftest import SERVER_PASSWORD
from tests.ui.test_report_ui import _menu_action
from tests.ui.test_sync_ui import status_text


def sign_in_as(qtbot: Any, running: Any, srv: Any, monkeypatch: Any, user: str) -> None:
    dialogs: list[SignInDialog] = []
    monkeypatch.setattr(SignInDialog, "open", lambda self: dialogs.append(self))
    running.window.sign_in()
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    d = dialogs[0]
    d.server.setText(srv.url)
    d.user.setText(user)
    d.password.setText(SERVER_PASSWORD)
    d.sign_in()
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)


def test_checks_window_records_and_lists(qtbot, running, srv, memory_keyring, monkeypatch) -> None:
    win = running.window
    opened: list[ChecksDialog] = []
    monkeypatch.setattr(ChecksDialog, "show", lambda self: opened.append(self))
    _menu_action(win, "维护检查与抽查…").trigger()
    w = opened[0]
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.message.text().startswith("检查记录需要连接服务器"), timeout=10_000)
    assert w.message.text() == "检查记录需要连接服务器，现在无法查询：请先登录服务器。"
    assert not w.tabs.isTabEnabled(0) and w.tabs.currentIndex() == 1  # not a market manager (yet)

    sign_in_as(qtbot, running, srv, monkeypatch, "s1")
    w.fetch()  # signed in as a market manager: the monthly check's form opens
    qtbot.waitUntil(lambda: w.message.text() == f"{last_month(times.today())} 尚无检查记录。", timeout=20_000)
    assert w.tabs.isTabEnabled(0)
    w.tabs.setCurrentIndex(0)
    month = last_month(times.today())
    assert w.month.text() == month
    day = f"{month}-20"
    w.m_collector.setText("c1")
    w.m_day.setText(day)
    w.ratings["accuracy"].deficient.setChecked(True)
    w.record_monthly()  # deficient without findings: said before anything is sent
    assert w.error.text() == "有不合格项时，请填写检查发现的问题。"
    w.m_day.setText((times.today() + dt.timedelta(days=1)).isoformat())
    w.m_findings.setPlainText("两户经营地址未更新")
    w.record_monthly()
    assert w.error.text() == "检查日期须在所查月份第一天或之后，且不能晚于今天。"
    w.m_day.setText(day)
    w.record_monthly()
    qtbot.waitUntil(lambda: w.table.rowCount() == 1, timeout=20_000)
    assert w.error.text() == ""
    row = [w.table.item(0, c).text() for c in range(w.table.columnCount())]
    assert row == ["月度检查", "c1", "s1", day, "及时性 合格 · 客观性 合格 · 准确性 不合格", "两户经营地址未更新"]
    assert w.message.text() == f"{month} 共 1 条检查记录。"

    w.record_monthly()  # the same month again: the server's refusal, in Chinese
    qtbot.waitUntil(lambda: w.error.text() != "", timeout=20_000)
    assert w.error.text() == "该客户经理这个月份的月度检查已经记录过。" and w.m_record.isEnabled()

    w.tabs.setCurrentIndex(1)
    w.s_collector.setText("c1")
    w.s_day.setText(day)
    w.s_sample.setValue(0)
    w.record_spot()
    assert w.error.text() == "抽查档案数至少为 1。"
    w.s_sample.setValue(25)
    w.s_score.setValue(86)
    w.s_findings.setPlainText("抽查 25 户，3 户电话缺失")
    w.record_spot()  # s1 is a market manager, not of 客服部
    qtbot.waitUntil(lambda: w.error.text() != "", timeout=20_000)
    assert w.error.text() == "抽查审核由客服部或管理员记录。"
    w.s_collector.setText("nobody")
    assert srv.admin("place", "s1", "--department", "service").returncode == 0  # now also in 客服部
    w.record_spot()
    qtbot.waitUntil(lambda: w.error.text() == "服务器上没有该账号的客户经理。", timeout=20_000)
    w.s_collector.setText("c1")
    w.record_spot()
    qtbot.waitUntil(lambda: w.table.rowCount() == 2, timeout=20_000)
    spot = [w.table.item(1, c).text() for c in range(w.table.columnCount())]
    assert spot == ["抽查审核", "c1", "s1", day, "抽查 25 份档案，评分 86", "抽查 25 户，3 户电话缺失"]

    with httpx.Client(base_url=srv.url, timeout=30) as http:  # the server keeps them, as the API lists them
        api = Api(http)
        token = api.login("c1", SERVER_PASSWORD, device="pc-check").json()["access_token"]
        seen = api.call("GET", f"/checks?month={month}", token).json()["checks"]
        got = [(c["kind"], c["accuracy"], c["score"]) for c in seen]
        assert got == [("monthly", "deficient", None), ("spot", None, 86)]

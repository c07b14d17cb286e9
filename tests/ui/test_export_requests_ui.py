"""Export requests in the desktop app against a real server (docs/domain.md "Access to personal data"):
the export dialog's "show full ID and bank numbers" needs an approved request, asked for with
Request… and chosen once the market manager approved it; the Export requests view lists the
requests, and a market manager approves or refuses (with a reason) the team's, never their own."""

from __future__ import annotations

import openpyxl
from PySide6.QtWidgets import QDialogButtonBox, QInputDialog, QMessageBox, QWidget

from app.models.remote import ExportRequest
from app.models.wire import UserRole
from app.services import records, syncing
from app.services.demo import generate
from app.sync.client import MemoryTokens, SyncClient
from app.ui import sheets_flow
from app.ui.requests.dialog import RequestDialog
from app.ui.requests.view import ExportRequestsView
from tests.sync.conftest import SERVER_PASSWORD


def account(srv, name: str) -> SyncClient:
    """Another person at another computer, talking to the same server."""
    client = SyncClient(srv.url, MemoryTokens(), f"device-{name}")
    client.login(name, SERVER_PASSWORD, f"pc-{name}")
    return client


def rows(view: ExportRequestsView) -> list[list[str]]:
    return [
        [view.table.item(r, c).text() for c in range(view.table.columnCount())] for r in range(view.table.rowCount())
    ]


def test_full_numbers_are_exported_under_an_approved_request_asked_for_in_the_dialog(
    qtbot, ctx, srv, memory_keyring, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    made = [records.save_draft(ctx.session, v)[0] for v in generate(2, seed=51, complete=True)]
    syncing.login(ctx.session, srv.url, "c1", SERVER_PASSWORD)  # the archive was created as "tester"
    parent = QWidget()
    qtbot.addWidget(parent)

    dialog = sheets_flow.choose_export(ctx, parent, None)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.unmasked.text() == "显示完整证件号和银行账号" and not dialog.unmasked.isChecked()
    assert dialog.request_box.isHidden() and ok.isEnabled()  # masked: no request needed
    dialog.unmasked.setChecked(True)
    assert not dialog.request_box.isHidden() and not ok.isEnabled()
    assert dialog.request.count() == 0 and "申请…" in dialog.request_hint.text()
    assert dialog.request_button.text() == "申请…"

    dialog.request_button.click()
    ask = dialog.request_dialog
    assert isinstance(ask, RequestDialog) and ask.unmasked.isChecked()
    ask.send_button.click()  # nothing filled in: nothing sent, and it says what is missing
    assert "请填写对象" in ask.message.text() and ask.isVisible()
    ask.target.setText("本组全部客户")
    ask.purpose.setText("核对结算账户")
    ask.send_button.click()
    assert "请填写理由" in ask.message.text()
    ask.reason.setPlainText("银行账号变更后逐户核对")
    ask.send_button.click()
    qtbot.waitUntil(lambda: not ask.isVisible(), timeout=10_000)
    assert "申请已提交" in dialog.request_hint.text() and not ok.isEnabled()  # pending: not usable yet

    supervisor = account(srv, "s1")
    try:
        (asked,) = supervisor.export_requests()
        assert (asked.applicant, asked.target, asked.unmasked, asked.state) == ("c1", "本组全部客户", True, "pending")
        supervisor.decide_export(asked.id, True, "同意，限本次")
    finally:
        supervisor.close()
    dialog.reject()

    # the applicant's view: their own request, approved, which they may not decide themselves
    view = ExportRequestsView(ctx, parent)
    view.refresh()
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
    (row,) = rows(view)
    assert row[0].endswith("（本人）") and row[1:5] == ["本组全部客户", "核对结算账户", "银行账号变更后逐户核对", "是"]
    assert row[5].startswith("s1 已批准，有效至")
    view.table.selectRow(0)
    assert not view.approve_button.isEnabled() and not view.refuse_button.isEnabled()
    assert view.why.text() == "自己的申请由您的市场经理或管理员审批，不能由本人审批。"

    # the approval was kept when the view listed it: the export dialog offers it at once
    dialog = sheets_flow.choose_export(ctx, parent, None)
    dialog.unmasked.setChecked(True)
    assert dialog.request.count() == 1 and dialog.request.currentData() == asked.id
    assert dialog.request.currentText().startswith("本组全部客户 — 核对结算账户（有效至")
    out = tmp_path / "full.xlsx"
    monkeypatch.setattr(sheets_flow.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: out.exists(), timeout=10_000)
    qtbot.wait(20)
    ws = openpyxl.load_workbook(out).worksheets[0]
    head = [c.value for c in ws[1]]
    ids = [
        r[head.index(ctx.session.form.get("id_card").label("zh_CN"))] for r in ws.iter_rows(min_row=2, values_only=True)
    ]
    assert sorted(ids) == sorted(m.values["id_card"] for m in made)  # in full
    entry = ctx.session._archive.access.entries()[-1]
    assert (entry.new["request"], entry.new["masked"]) == (asked.id, False)


def test_a_market_manager_approves_or_refuses_the_teams_requests_not_their_own(
    qtbot, ctx, srv, memory_keyring, monkeypatch
) -> None:
    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    collector = account(srv, "c1")
    try:
        first = collector.request_export("本组全部客户", "核对结算账户", "银行账号变更", unmasked=True)
        second = collector.request_export("碑林区客户", "走访排期", "下周集中走访", unmasked=False)
    finally:
        collector.close()
    syncing.login(ctx.session, srv.url, "s1", SERVER_PASSWORD)
    parent = QWidget()
    qtbot.addWidget(parent)
    view = ExportRequestsView(ctx, parent)
    view.refresh()
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=10_000)
    assert view.message.text() == "共 2 条申请，其中 2 条待审批。"
    assert [r[0] for r in rows(view)] == ["c1", "c1"] and {r[5] for r in rows(view)} == {"待审批"}
    assert not view.approve_button.isEnabled()  # nothing selected

    view.select(first.id)
    assert view.approve_button.isEnabled() and view.refuse_button.isEnabled() and view.why.text() == ""
    view.approve_button.click()
    qtbot.waitUntil(lambda: view.message.text() == "共 2 条申请，其中 1 条待审批。", timeout=10_000)
    assert view.why.text() == "已批准：本组全部客户。"  # listed again after the decision

    view.select(first.id)  # decided: cannot be decided again
    assert not view.approve_button.isEnabled() and view.why.text() == "该申请已经审批过了。"
    view.select(second.id)
    answers = iter([("  ", True), ("范围太大，请按街道申请", True)])
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: next(answers))
    view.refuse_button.click()  # an empty reason: not refused, and it says so
    assert view.why.text() == "请填写驳回理由：申请人会看到。"
    view.refuse_button.click()
    qtbot.waitUntil(lambda: view.message.text() == "共 2 条申请，其中 0 条待审批。", timeout=10_000)
    assert view.why.text() == "已驳回：碑林区客户。"
    states = {r.id: r for r in view.shown}
    assert states[first.id].state == "approved" and states[first.id].approver == "s1"
    assert (states[second.id].state, states[second.id].note) == ("refused", "范围太大，请按街道申请")
    assert "s1 已驳回：范围太大，请按街道申请" in [r[5] for r in rows(view)]

    # the market manager's own request: listed, but not theirs to decide
    asked: list[ExportRequest] = []
    ask = view.new_request()
    ask.sig_sent.connect(asked.append)
    ask.target.setText("本组全部客户")
    ask.purpose.setText("年度核查")
    ask.reason.setPlainText("档案年度核查")
    ask.send_button.click()
    qtbot.waitUntil(lambda: bool(asked) and view.table.rowCount() == 3, timeout=10_000)
    view.select(asked[0].id)
    assert not view.approve_button.isEnabled()
    assert view.why.text() == "自己的申请由您的市场经理或管理员审批，不能由本人审批。"


def test_an_admins_export_of_personal_fields_asks_for_a_request_in_the_dialog(qtbot, ctx) -> None:
    ctx.session.role = UserRole.ADMIN  # as the server said at sign-in: the archive holds every team's customers
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = sheets_flow.choose_export(ctx, parent, None)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not dialog.request_box.isHidden() and not ok.isEnabled() and "管理员" in dialog.request_hint.text()
    dialog._set_all(False)
    dialog.groups["operating_level"].setChecked(True)  # no personal field: no request needed
    assert dialog.request_box.isHidden() and ok.isEnabled()
    assert dialog.options().request_id is None

"""Sync as a person sees it: the real app (DB thread, network thread) against a real server process
on 127.0.0.1: signing in, the status bar, going offline and back, a conflict resolved in the
dialog, signing out with changes not yet sent."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from app import paths
from app.models.remote import FieldConflict
from app.services import records, syncing
from app.services.demo import generate
from app.ui.sync.conflict_dialog import ConflictDialog
from app.ui.sync.signin_dialog import SignInDialog
from tests.sync.conftest import SERVER_PASSWORD, Client, Server


@pytest.fixture(scope="module")
def srv_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A server's data folder with s1 (supervisor) and c1 (collector), made once per module: each
    test serves its own copy (two admin processes fewer per test, the same fresh server)."""
    data = tmp_path_factory.mktemp("srv") / "server-data"
    s = Server(data)
    s.admin("user", "add", "s1", "--role", "supervisor")
    s.admin("user", "add", "c1", "--role", "collector", "--supervisor", "s1")
    return data


@pytest.fixture
def srv(tmp_path: Path, srv_data: Path) -> Iterator[Server]:
    shutil.copytree(srv_data, tmp_path / "server-data")
    s = Server(tmp_path / "server-data")
    s.start()
    yield s
    s.stop()


def on_db(running: Any, fn: Any) -> Any:
    return running.runner.call_db(lambda: fn(running.ctx.session))


def status_text(running: Any) -> str:
    return running.window.sync_status.label.text()


def sign_in(qtbot: Any, running: Any, srv: Server, monkeypatch: Any, password: str = SERVER_PASSWORD) -> SignInDialog:
    dialogs: list[SignInDialog] = []
    monkeypatch.setattr(SignInDialog, "open", lambda self: dialogs.append(self))
    running.window.sign_in()
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    d = dialogs[0]
    d.server.setText(srv.url)
    d.user.setText("c1")
    d.password.setText(password)
    d.sign_in()
    return d


def test_signing_in_sends_what_was_made_offline(qtbot, running, srv, memory_keyring, monkeypatch) -> None:
    win = running.window
    assert status_text(running) == "未连接服务器" and win.act_sign_in.isEnabled() and not win.act_sync_now.isEnabled()
    made = on_db(running, lambda s: records.save_draft(s, next(generate(1, seed=5)))[0])
    d = sign_in(qtbot, running, srv, monkeypatch, password="wrong-password")
    qtbot.waitUntil(lambda: d.message.text() == "用户名或密码错误。", timeout=10_000)
    assert not d.result() and d.ok.isEnabled()  # the dialog stays, to try again
    d.password.setText(SERVER_PASSWORD)
    d.sign_in()
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    assert status_text(running) == "已是最新 · 发送 1，接收 0"
    assert d.password.text() == ""  # the password is not kept in memory
    assert memory_keyring.store  # the tokens are in the keyring
    assert on_db(running, lambda s: s._archive.outbox.outbox_count()) == 0
    assert on_db(running, lambda s: s._archive.customers.get(made.id).version) == 1
    assert win.act_sync_now.isEnabled() and win.act_sign_out.isEnabled() and not win.act_sign_in.isEnabled()
    assert "上次完整同步" in win.sync_status.label.toolTip()


def test_offline_keeps_changes_and_sends_them_when_the_server_is_back(
    qtbot, running, srv, memory_keyring, monkeypatch
) -> None:
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    srv.stop()
    made = on_db(running, lambda s: records.save_draft(s, next(generate(1, seed=6)))[0])
    coordinator = running.window.coordinator
    coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: status_text(running).startswith("离线"), timeout=30_000)
    assert on_db(running, lambda s: s._archive.outbox.outbox_count()) == 1  # nothing lost
    assert coordinator.timer.isActive() and coordinator.failures == 1  # tried again later by itself
    srv.start()
    coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    assert on_db(running, lambda s: s._archive.outbox.outbox_count()) == 0
    assert on_db(running, lambda s: s._archive.customers.get(made.id).version) == 1
    assert coordinator.failures == 0


def test_a_conflict_is_resolved_field_by_field_in_the_dialog(
    qtbot, running, srv, memory_keyring, monkeypatch, tmp_path
) -> None:
    win = running.window
    values = next(generate(1, seed=7))
    made = on_db(running, lambda s: records.save_draft(s, values)[0])
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    # the market manager changes the landline on another computer
    ui_home = os.environ[paths.ENV_HOME]
    try:
        s1 = Client(tmp_path / "home-s1", "s1").__enter__()
        s1.login(srv)
        s1.sync()
        theirs = dict(s1.session._archive.customers.get(made.id).values)
        records.save_draft(s1.session, {**theirs, "landline": "029-88885678"}, made.id)
        assert s1.sync().applied == 1
        s1.__exit__()
    finally:
        os.environ[paths.ENV_HOME] = ui_home
    # meanwhile, here, the same field is changed in the form
    win.open_customer(made.id)
    form = win.panel.form_widget
    qtbot.waitUntil(lambda: form.customer is not None and form.customer.id == made.id, timeout=5000)
    form.rows["landline"].editor.edit.setText("029-88881234")
    form._edited("landline")
    form.save()
    qtbot.waitUntil(lambda: not form.is_dirty(), timeout=5000)
    win.coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: status_text(running).startswith("已同步；"), timeout=20_000)
    qtbot.waitUntil(lambda: form.banner.isVisible() and "服务器上也被修改" in form.banner.text(), timeout=5000)
    lp = win.list_panel
    lp.problems.setChecked(True)  # the list's "sync problems" filter
    qtbot.waitUntil(lambda: lp.model.rowCount() == 1, timeout=5000)
    dialogs: list[ConflictDialog] = []
    monkeypatch.setattr(ConflictDialog, "open", lambda self: dialogs.append(self))
    form._banner_link("conflict")
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    dialog = dialogs[0]
    assert list(dialog.choices) == ["landline"]
    group, _other, field = dialog.choices["landline"]
    assert (field.mine, field.server) == ("029-88881234", "029-88885678")
    group.button(1).setChecked(True)  # keep the market manager's number
    dialog.resolve()
    qtbot.waitUntil(lambda: dialog.result() == 1, timeout=5000)
    win.coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    stored = on_db(running, lambda s: s._archive.customers.get(made.id))
    assert stored.values["landline"] == "029-88885678" and stored.sync_state != "conflict"
    qtbot.waitUntil(lambda: not form.banner.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: lp.model.rowCount() == 0, timeout=5000)


def test_a_typed_value_in_the_conflict_dialog_is_validated(qtbot, running, srv, memory_keyring, monkeypatch) -> None:
    made = on_db(running, lambda s: records.save_draft(s, next(generate(1, seed=8)))[0])
    fields = [FieldConflict("landline", None, "029-88881234", "029-88885678")]
    dialog = ConflictDialog(running.ctx, running.window.form, made.id, fields, running.window)
    qtbot.addWidget(dialog)
    dialog.choices["landline"][1].setText("12345")
    dialog.resolve()
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=5000)
    assert "固定电话" in dialog.error.text() and dialog.result() == 0


def test_signing_out_says_what_is_not_sent_and_keeps_it(qtbot, running, srv, memory_keyring, monkeypatch) -> None:
    win = running.window
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    srv.stop()
    on_db(running, lambda s: records.save_draft(s, next(generate(1, seed=9)))[0])
    boxes: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "open", lambda box: boxes.append(box))
    win.sign_out()
    qtbot.waitUntil(lambda: bool(boxes), timeout=5000)
    assert "还有 1 项修改尚未发送" in boxes[0].text()
    boxes[0].done(QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: status_text(running) == "未登录：登录后才能同步", timeout=20_000)
    assert not memory_keyring.store  # signed out here even though the server is down
    assert on_db(running, lambda s: s._archive.outbox.outbox_count()) == 1
    assert on_db(running, syncing.status)["bound"] is not None
    assert win.act_sign_in.isEnabled() and not win.act_sync_now.isEnabled()


def test_a_long_sync_can_be_cancelled_and_resumes_later(qtbot, running, srv, memory_keyring, monkeypatch) -> None:
    from app.models.record import NewCustomer, Provenance, Source
    from app.validation import validate_values

    def fill(s: Any) -> None:
        items = []
        for values in generate(3000, seed=10):
            report = validate_values(s.form, values)
            items.append(NewCustomer(records.new_id(), records.clean_values(report), records.quality(report)))
        s._archive.customers.insert(s.form, items, Provenance(s.user, Source.IMPORT, "t.xlsx"))

    on_db(running, fill)
    win = running.window
    status = win.sync_status
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status.cancel.isVisible() and status_text(running).startswith("正在发送"), timeout=20_000)
    assert "MB" in status_text(running) or "KB" in status_text(running)  # counts and bytes
    status.cancel.click()
    qtbot.waitUntil(lambda: status_text(running) == "同步已取消", timeout=30_000)
    left = on_db(running, lambda s: s._archive.outbox.outbox_count())
    assert 0 < left < 3000  # stopped part-way; what was answered is settled
    win.coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=120_000)
    assert on_db(running, lambda s: s._archive.outbox.outbox_count()) == 0


def test_without_a_keyring_the_sign_in_lasts_for_this_run_and_says_so(
    qtbot, running, srv, no_keyring, monkeypatch
) -> None:
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: "没有安全的密钥存储" in running.window.statusBar().currentMessage(), timeout=10_000)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)


def test_a_refused_audit_log_shows_in_the_status_bar(qtbot, running, srv, memory_keyring, monkeypatch) -> None:
    from sqlalchemy import text

    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)

    def rewrite_last_entry(s: Any) -> None:
        records.save_draft(s, next(generate(1, seed=8)))
        with s._archive.db.transaction() as tx:  # an entry not yet sent, changed behind the trail's back
            tx.execute(text("DROP TRIGGER audit_no_update"))
            tx.execute(text("UPDATE audit SET actor = 'x' WHERE seq = (SELECT max(seq) FROM audit)"))

    on_db(running, rewrite_last_entry)
    running.window.coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: status_text(running) == "已同步；审计日志未被接受", timeout=20_000)
    assert running.window.sync_status.label.toolTip().startswith("服务器未接受本机的审计日志。档案记录已同步")
    assert on_db(running, lambda s: s._archive.outbox.outbox_count()) == 0  # the record went all the same


def test_a_record_the_server_refuses_for_its_text_is_shown_as_a_sync_problem(
    qtbot, running, srv, memory_keyring, monkeypatch
) -> None:
    """A lone surrogate written into the archive behind the validation (an old version, a bug): the sync
    sends it, the server refuses it by name, the status bar and the list show a sync problem, the record's
    banner says why in Chinese, and the next sync does not send it again."""
    import json

    from app.storage import schema

    win = running.window
    made = on_db(running, lambda s: [records.save_draft(s, v)[0] for v in generate(2, seed=21)])

    def corrupt(s: Any) -> None:
        C = schema.customer.c
        with s._archive.db.transaction() as tx:
            data = json.loads(
                tx.execute(schema.customer.select().with_only_columns(C.data).where(C.id == made[0].id)).scalar()
            )
            tx.execute(
                schema.customer.update()
                .where(C.id == made[0].id)
                .values(data=json.dumps({**data, "shop_name": "坏\ud800店"}))
            )

    on_db(running, corrupt)
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(
        lambda: on_db(running, lambda s: s._archive.customers.get(made[0].id).sync_state) == "rejected", timeout=20_000
    )
    qtbot.waitUntil(lambda: status_text(running).startswith("已同步；1"), timeout=20_000)  # 1 needs attention
    assert on_db(running, lambda s: s._archive.customers.get(made[1].id).sync_state) == "synced"
    lp = win.list_panel
    lp.problems.setChecked(True)  # the list's "sync problems" filter
    qtbot.waitUntil(lambda: lp.model.rowCount() == 1, timeout=5000)
    win.open_customer(made[0].id)
    form = win.panel.form_widget
    qtbot.waitUntil(lambda: form.customer is not None and form.customer.id == made[0].id, timeout=5000)
    qtbot.waitUntil(lambda: form.banner.isVisible(), timeout=5000)
    assert "服务器未接受上次修改" in form.banner.text() and "服务器无法保存" in form.banner.text()
    assert "surrogate" not in form.banner.text()
    assert on_db(running, lambda s: s._archive.outbox.outbox_count()) == 0
    outcomes: list[Any] = []
    win.coordinator.sig_finished.connect(outcomes.append)
    win.coordinator.sync(manual=True)  # a second sync does not resend the refused change
    qtbot.waitUntil(lambda: bool(outcomes), timeout=20_000)
    assert outcomes[0].pushed == 0 and outcomes[0].remaining == 1
    assert on_db(running, lambda s: s._archive.customers.get(made[0].id).sync_state) == "rejected"

"""First start, unlock (wrong passphrase, lockout, recovery), locking."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from app.services import records, startup
from app.services import session as ss
from app.settings import Settings
from app.ui.context import UiContext
from app.ui.controller import AppController, LockScreen
from app.ui.tasks import TaskRunner
from app.ui.unlock_dialog import UnlockDialog
from app.ui.wizard import PAGE_OPTIONS, PAGE_PASSPHRASE, PAGE_RECOVERY, FirstStartWizard
from tests.conftest import PASSPHRASE


@pytest.fixture
def ictx(qapp, home):
    c = UiContext(TaskRunner(inline=True), Settings())
    yield c
    if c.session is not None:
        c.session.close()


def test_wizard_creates_the_archive_and_shows_the_recovery_code_once(qtbot, ictx, no_keyring) -> None:
    w = FirstStartWizard(ictx, "default", "zh_CN")
    qtbot.addWidget(w)
    w.show()
    w.next()
    page = w.pages[PAGE_PASSPHRASE]
    page.first.setText("short")
    assert not page.isComplete() and "8" in page.problem.text()
    page.first.setText("12345678")
    page.second.setText("12345678")
    assert not page.isComplete() and "容易" in page.problem.text()
    page.first.setText(PASSPHRASE)
    page.second.setText(PASSPHRASE + "x")
    assert not page.isComplete() and "不一致" in page.problem.text()
    page.second.setText(PASSPHRASE)
    assert page.isComplete() and page.meter.value() == 4
    w.next()
    options = w.pages[PAGE_OPTIONS]
    assert not options.remember.isEnabled() and "密钥库" in options.reason.text()  # greyed out, with the reason
    w.next()  # the commit page creates the archive, then moves on
    assert w.currentId() == PAGE_RECOVERY and w.created
    code = w.pages[PAGE_RECOVERY].code.text()
    assert len(code) == 29
    assert not w.pages[PAGE_RECOVERY].isComplete()
    w.pages[PAGE_RECOVERY].confirm.setChecked(True)
    with qtbot.waitSignal(w.sig_created) as got:
        w.accept()
    session = got.args[0]
    ictx.session = session
    assert startup.profile_exists()
    session.close()
    ss.unlock(recovery_code=code).close()  # the code shown opens the archive


def test_wizard_can_remember_the_key_where_a_keyring_exists(qtbot, ictx, memory_keyring) -> None:
    w = FirstStartWizard(ictx, "default", "zh_CN")
    qtbot.addWidget(w)
    w.show()
    w.next()
    w.pages[PAGE_PASSPHRASE].first.setText(PASSPHRASE)
    w.pages[PAGE_PASSPHRASE].second.setText(PASSPHRASE)
    w.next()
    assert w.pages[PAGE_OPTIONS].remember.isEnabled()
    w.pages[PAGE_OPTIONS].remember.setChecked(True)
    w.next()
    w.session.close()
    assert ss.device_key() is not None


@pytest.fixture
def created(home):
    s, code = ss.create(passphrase=PASSPHRASE, actor="tester")
    s.close()
    return code


def test_wrong_passphrase_keeps_the_dialog_open_then_locks_out(qtbot, ictx, created) -> None:
    d = UnlockDialog(ictx, "default")
    qtbot.addWidget(d)
    d.show()
    page = d.stack.currentWidget()  # as tall as the passphrase page, not as the recovery page behind it
    assert d.stack.height() == page.sizeHint().height() < d.stack.widget(1).sizeHint().height()
    d.toggle_recovery()
    assert d.stack.height() >= d.stack.widget(1).sizeHint().height()
    d.toggle_recovery()
    for _ in range(3):
        d.passphrase.setText("not the passphrase")
        d.try_unlock()
        assert d.isVisible() and d.message.text().startswith("密码不正确")
    assert not d.unlock_button.isEnabled() and "秒后再试" in d.wait_label.text()  # the delay counts down
    with qtbot.waitSignal(d.sig_unlocked, timeout=10_000) as got:
        qtbot.waitUntil(d.unlock_button.isEnabled, timeout=8_000)
        d.passphrase.setText(PASSPHRASE)
        d.try_unlock()
    ictx.session = got.args[0]
    assert not d.isVisible()


def test_forgotten_passphrase_with_the_recovery_code(qtbot, ictx, created, monkeypatch) -> None:
    """The recovery page has the wizard's rules and meter (12345678 is refused there too) and says
    clearly that the passphrase was changed."""
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    d = UnlockDialog(ictx, "default")
    qtbot.addWidget(d)
    d.show()
    d.toggle_recovery()
    d.code.setText(created)
    d.new1.setText("12345678")
    d.new2.setText("12345678")
    assert d.new_passphrase.meter.value() == 0 and "容易" in d.new_passphrase.problem.text()
    d.try_unlock()
    shown = lambda: d.message.text() + d.new_passphrase.problem.text()  # noqa: E731
    assert "容易" in shown() and d.isVisible()
    assert ss.unlock(passphrase=PASSPHRASE).close() is None  # nothing was changed
    d.new1.setText("short")
    d.try_unlock()
    assert "8" in shown()
    d.new1.setText("a fresh passphrase")
    assert d.new_passphrase.meter.value() >= 2 and d.new_passphrase.meter_label.text()
    d.new2.setText("a fresh passphrase 2")
    d.try_unlock()
    assert "不一致" in shown()
    d.new2.clear()
    d.try_unlock()
    assert "不一致" in d.message.text()  # the repeat is still missing: said where the button is
    d.new2.setText("a fresh passphrase")
    with qtbot.waitSignal(d.sig_unlocked) as got:
        d.try_unlock()
    got.args[0].close()
    assert "密码已更改" in d.confirmation.text()
    ss.unlock(passphrase="a fresh passphrase").close()


def test_lock_hides_the_archive_and_unlock_brings_back_the_form(qtbot, qapp, home, created) -> None:
    controller = AppController(qapp, Settings(), "default", TaskRunner(inline=True))
    controller.start()
    dialog = controller.unlock_dialog
    dialog.passphrase.setText(PASSPHRASE)
    dialog.try_unlock()
    win = controller.window
    qtbot.addWidget(win)
    win.new_customer()
    form = win.panel.form_widget
    form.rows["shop_name"].editor.edit.setText("锁定前的店")
    form._edited("shop_name")
    controller.lock()
    assert isinstance(win.central.currentWidget(), LockScreen)
    assert win.list_panel.model.rowCount() == 0 and form.rows["shop_name"].editor.edit.text() == ""
    assert controller.ctx.session is None
    controller.unlock_dialog.passphrase.setText(PASSPHRASE)
    controller.unlock_dialog.try_unlock()
    assert win.central.currentIndex() == 0
    assert form.rows["shop_name"].editor.edit.text() == "锁定前的店"  # restored from the encrypted autosave
    controller.ctx.session.close()
    controller.ctx.session = None


def test_idle_time_locks(qtbot, qapp, home, created) -> None:
    settings = Settings()
    controller = AppController(qapp, settings, "default", TaskRunner(inline=True))
    controller.start()
    controller.unlock_dialog.passphrase.setText(PASSPHRASE)
    controller.unlock_dialog.try_unlock()
    qtbot.addWidget(controller.window)
    controller.idle.timer.start(50)  # as if the idle minutes had passed
    qtbot.waitUntil(lambda: controller.ctx.session is None, timeout=3000)
    assert isinstance(controller.window.central.currentWidget(), LockScreen)
    controller.unlock_dialog.close()


def test_unlock_on_this_device_opens_without_asking(qtbot, qapp, home, memory_keyring) -> None:
    s, _ = ss.create(passphrase=PASSPHRASE, actor="tester")
    ss.remember_on_device(s)
    s.close()
    controller = AppController(qapp, Settings(), "default", TaskRunner(inline=True))
    controller.start()
    assert controller.unlock_dialog is None and controller.window is not None
    qtbot.addWidget(controller.window)
    controller.ctx.session.close()
    controller.ctx.session = None
    ss.forget_on_device()
    controller.profile_lock.release()  # as when that copy of the app ends
    controller2 = AppController(qapp, Settings(), "default", TaskRunner(inline=True))
    controller2.start()
    assert controller2.unlock_dialog is not None  # forgotten: the passphrase is asked again
    controller2.unlock_dialog.close()


def test_an_archive_found_damaged_after_the_unlock_is_locked_with_the_restore_message(
    qtbot, qapp, home, created, monkeypatch
) -> None:
    """The open checks run beside the user (issue 21): when they find damage after the main window
    is shown, the app locks the archive (no autosave into it) and says to restore from a backup."""
    from app.storage.profile import Profile

    s = ss.unlock(passphrase=PASSPHRASE)
    for i in range(200):
        records.save_draft(s, {"shop_name": f"店{i}", "address": "西安市" * 20})
    s.close()
    path = Profile("default").archive_path
    data = bytearray(path.read_bytes())
    data[len(data) - 5000] ^= 0x01
    path.write_bytes(bytes(data))
    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "open", lambda box: shown.append(box))
    controller = AppController(qapp, Settings(), "default", TaskRunner())
    controller.start()
    qtbot.waitUntil(lambda: controller.unlock_dialog is not None, timeout=5000)
    controller.unlock_dialog.passphrase.setText(PASSPHRASE)
    controller.unlock_dialog.try_unlock()
    qtbot.waitUntil(lambda: controller.window is not None, timeout=30_000)
    qtbot.addWidget(controller.window)
    qtbot.waitUntil(lambda: any("恢复" in b.text() for b in shown), timeout=60_000)
    assert controller.ctx.session is None  # locked
    assert isinstance(controller.window.central.currentWidget(), LockScreen)
    qtbot.wait(300)  # reads of the list that met the damaged page meanwhile are told through the same verdict
    assert sum("恢复" in b.text() for b in shown) == 1  # once, not once per operation
    box = next(b for b in shown if "恢复" in b.text())
    assert str(Profile("default").backup_dir) in box.text()
    assert box.icon() == QMessageBox.Icon.Critical
    controller.runner.shutdown()


def test_the_window_opens_while_the_archive_is_checked_and_a_save_waits_for_the_check(
    qtbot, qapp, home, created, monkeypatch
) -> None:
    """Issue 21: the main window and its list come up while the open checks run; the status bar says the
    archive is being checked; a save asked meanwhile waits for the checks and then goes through; the
    background sync starts once they passed (it writes: it would hold the DB thread at the gate)."""
    import threading

    from app.storage import engine as engine_mod
    from app.storage import opencheck as opencheck_mod

    s = ss.unlock(passphrase=PASSPHRASE)
    records.save_draft(s, {"shop_name": "检查前的店"})
    s.close()
    release, started = threading.Event(), threading.Event()
    real = engine_mod.integrity_problems

    def held(conn, quick=True, structure=True):  # the real checks, held at their start
        started.set()
        assert release.wait(60)
        return real(conn, quick, structure)

    monkeypatch.setattr(opencheck_mod, "integrity_problems", held)
    controller = AppController(qapp, Settings(), "default", TaskRunner())
    try:
        controller.start()
        qtbot.waitUntil(lambda: controller.unlock_dialog is not None, timeout=5000)
        controller.unlock_dialog.passphrase.setText(PASSPHRASE)
        controller.unlock_dialog.try_unlock()
        qtbot.waitUntil(lambda: controller.window is not None, timeout=30_000)
        win = controller.window
        qtbot.addWidget(win)
        qtbot.waitUntil(lambda: win.list_panel.model.rowCount() == 1, timeout=30_000)  # the list, during the checks
        assert started.is_set() and not release.is_set()
        assert win.checking.isVisible() and win.checking.text() == "正在检查档案…"
        qtbot.waitUntil(lambda: controller._sync_after_checks, timeout=10_000)  # the sync waits for the checks
        win.new_customer()
        form = win.panel.form_widget
        form.rows["shop_name"].editor.edit.setText("检查中保存的店")
        form._edited("shop_name")
        saved: list[str] = []
        form.sig_saved.connect(saved.append)
        form.save()
        qtbot.wait(500)
        assert saved == [] and win.checking.isVisible()  # the save waits at the gate…
        release.set()
        qtbot.waitUntil(lambda: len(saved) == 1, timeout=30_000)  # …and goes through once the checks passed
        qtbot.waitUntil(lambda: not win.checking.isVisible(), timeout=10_000)
        assert not controller._sync_after_checks  # the sync was started
        qtbot.waitUntil(lambda: win.list_panel.model.rowCount() == 2, timeout=10_000)
    finally:
        release.set()
        if controller.ctx.session is not None:
            controller.window.coordinator.stop()
            unlock_session, controller.ctx.session = controller.ctx.session, None
            controller.runner.call_db(unlock_session.close)
        controller.runner.shutdown()

"""The "try it" path (issue 16): ``--demo`` opens a separate demo profile filled with generated
customers, marked as demo data, that is never synced; the user's own profile is not touched."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from app.errors import UserFacingError
from app.services import session as ss
from app.services import syncing
from app.services.demo import DEMO_PROFILE
from app.settings import Settings
from app.ui.tasks import TaskRunner
from tests.conftest import PASSPHRASE


def test_the_demo_profile_is_filled_marked_never_synced_and_separate(qtbot, qapp, created, home, monkeypatch) -> None:
    from app.cli import build_parser
    from app.ui.controller import AppController

    assert build_parser().parse_args(["--demo"]).demo
    own = ss.unlock(passphrase=PASSPHRASE)
    own_count, own_head = own._archive.customers.count(), own._archive.meta.get("audit_head")
    own.close()
    boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "open", lambda box: boxes.append(box.text()))
    controller = AppController(qapp, Settings(), DEMO_PROFILE, TaskRunner(), demo=True)
    controller.start()
    try:
        qtbot.waitUntil(lambda: controller.window is not None and controller.window.demo, timeout=60_000)
        win = controller.window
        qtbot.addWidget(win)
        assert controller.wizard is None and controller.unlock_dialog is None  # no passphrase asked
        assert "演示数据" in win.windowTitle()
        assert win.demo_label.isVisible() and "不会同步" in win.demo_label.text()
        assert not win.act_sign_in.isEnabled() and not win.act_sync_now.isEnabled()
        assert not win.sync_status.sign_in.isVisible() and not win.sync_status.sync_now.isVisible()
        session = controller.ctx.session
        count = controller.runner.call_db(lambda: session._archive.customers.count())
        assert 200 <= count <= 500
        qtbot.waitUntil(lambda: win.list_panel.model.rowCount() == count, timeout=10_000)
        win.sign_in()  # a queued click: said, not done
        assert any("演示档案" in b for b in boxes)
        with pytest.raises(UserFacingError, match="demo archive"):
            controller.runner.call_db(lambda: syncing.login(session, "http://127.0.0.1:9", "c1", "x"))
        with pytest.raises(UserFacingError):
            controller.runner.call_db(lambda: syncing.sync(session))
    finally:
        if controller.window is not None:
            controller.window.coordinator.stop()
        session, controller.ctx.session = controller.ctx.session, None
        if session is not None:
            controller.runner.call_db(session.close)
        controller.runner.shutdown()
        if controller.profile_lock is not None:
            controller.profile_lock.release()
    # the user's own profile is as it was; the demo profile opens again without being filled twice
    own = ss.unlock(passphrase=PASSPHRASE)
    assert own._archive.customers.count() == own_count == 0
    assert own._archive.meta.get("audit_head") == own_head and not own.demo
    own.close()
    from app.services.demo import open_demo

    again = open_demo()
    assert again.demo and again._archive.customers.count() == count
    again.close()

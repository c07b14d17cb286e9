"""The periodic password change in the desktop app (issue 18): signing in with a password older than the
server's period opens "Change your password"; a new password equal to the old one is refused with the reason in
Chinese; a good one is set on the server and the app is signed in with it (real server process on 127.0.0.1)."""

from __future__ import annotations

import time

import requests
from sqlalchemy import create_engine, text

from app.ui.sync.password_dialog import PasswordDialog
from app.ui.sync.signin_dialog import SignInDialog
from tests.sync.conftest import SERVER_PASSWORD
from tests.ui.test_sync_ui import status_text

NEW = "c1-brand-new-pass"


def test_an_expired_password_is_changed_in_a_dialog_and_the_app_signs_in(qtbot, running, srv, monkeypatch) -> None:
    engine = create_engine(f"sqlite:///{srv.data / 'fieldarchive-server.db'}")
    with engine.begin() as conn:  # the password was set 91 days ago (the default period is 90)
        conn.execute(
            text("UPDATE users SET password_changed_at = :t WHERE name = 'c1'"), {"t": time.time() - 91 * 86400}
        )
    engine.dispose()

    signins: list[SignInDialog] = []
    changes: list[PasswordDialog] = []
    monkeypatch.setattr(SignInDialog, "open", lambda self: signins.append(self))
    monkeypatch.setattr(PasswordDialog, "open", lambda self: changes.append(self))
    running.window.sign_in()
    qtbot.waitUntil(lambda: bool(signins), timeout=5000)
    d = signins[0]
    d.server.setText(srv.url)
    d.user.setText("c1")
    d.password.setText(SERVER_PASSWORD)
    d.sign_in()
    qtbot.waitUntil(lambda: bool(changes), timeout=30_000)
    assert d.message.text() == "您的密码已过期：服务器要求您先设置新密码再登录。"
    p = changes[0]
    assert p.windowTitle() == "修改密码"

    p.password.setText(SERVER_PASSWORD)
    p.repeat.setText(SERVER_PASSWORD)
    p.send()
    qtbot.waitUntil(lambda: p.ok.isEnabled() and p.message.text() != "正在发送…", timeout=20_000)
    assert p.message.text() == "新密码不能与最近用过的密码相同：请选择一个未用过的密码。"

    p.password.setText(NEW)
    p.repeat.setText(NEW)
    p.send()
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)
    assert not p.isVisible()

    def login(password: str) -> int:
        body = {"username": "c1", "password": password, "device_id": "pc-other", "device_name": "x"}
        r = requests.post(
            srv.url + "/api/v1/auth/login", json=body, headers={"X-FieldArchive-Protocol": "1"}, timeout=10
        )
        return r.status_code

    assert login(NEW) == 200 and login(SERVER_PASSWORD) == 401

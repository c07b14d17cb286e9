"""The sign-in dialog warns under the address when it is plain http:// to another computer and
refuses to sign in (the password would travel in clear); loopback and https:// are fine; with the
development switch it warns and goes ahead."""

from __future__ import annotations

import socket
import threading

import pytest

from app.services import syncing
from app.ui.sync.signin_dialog import SignInDialog


@pytest.fixture
def dialog(qtbot, ctx, monkeypatch):
    monkeypatch.delenv(syncing.ENV_ALLOW_INSECURE, raising=False)
    d = SignInDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    return d


def test_http_to_another_computer_is_shown_and_refused(qtbot, dialog) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    try:
        dialog.server.setText(f"http://0.0.0.0:{listener.getsockname()[1]}")  # not this computer
        assert dialog.server_warning.isVisible()
        assert dialog.server_warning.text().startswith("未加密：http:// 仅限本机")
        dialog.user.setText("c1")
        dialog.password.setText("secret-password")
        dialog.sign_in()
        assert dialog.message.text().startswith("连接必须加密")
        assert dialog.ok.isEnabled() and not dialog.result()  # nothing started, the dialog stays
        with pytest.raises(BlockingIOError):
            listener.accept()  # no connection was even attempted
    finally:
        listener.close()


@pytest.mark.parametrize(
    "url", ["https://archive.example.cn", "http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765", ""]
)
def test_no_warning_for_https_or_this_computer(qtbot, dialog, url) -> None:
    dialog.server.setText("http://archive.example.cn")
    assert dialog.server_warning.isVisible()
    dialog.server.setText(url)
    assert not dialog.server_warning.isVisible() and dialog.server_warning.text() == ""


def test_the_development_switch_warns_and_allows(qtbot, ctx, monkeypatch) -> None:
    monkeypatch.setenv(syncing.ENV_ALLOW_INSECURE, "1")
    d = SignInDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    d.server.setText("http://archive.example.cn")
    assert d.server_warning.isVisible() and "仅限开发" in d.server_warning.text()
    # a listener that takes the connection and hangs up: the dialog did try this time
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[bool] = []

    def take_one() -> None:
        listener.settimeout(20)
        conn, _ = listener.accept()
        accepted.append(True)
        conn.close()

    thread = threading.Thread(target=take_one, daemon=True)
    thread.start()
    try:
        d.server.setText(f"http://0.0.0.0:{listener.getsockname()[1]}")
        d.user.setText("c1")
        d.password.setText("secret-password")
        d.sign_in()  # the UI context runs the work inline here
        qtbot.waitUntil(lambda: d.message.text() == "无法连接服务器。", timeout=20_000)
        thread.join(20)
        assert accepted == [True]
    finally:
        listener.close()

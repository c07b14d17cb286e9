""" "Update available": the app reads /info after a sync and shows the newer client's version and the
download address in the status bar. A real server process started with a TOML configuration that
announces a newer client (server/runconfig.py, [clients])."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app import __version__
from app.services import syncing
from tests.sync.conftest import Server
from tests.ui.test_sync_ui import sign_in, status_text

URL = "https://updates.bureau.example/FieldArchive-setup.exe"


def server_with(tmp_path: Path, clients: str) -> Server:
    conf = tmp_path / "server.toml"
    conf.write_text("[clients]\n" + clients, encoding="utf-8")
    s = Server(tmp_path / "server-data")
    s.admin("user", "add", "s1", "--role", "supervisor")
    s.admin("user", "add", "c1", "--role", "collector", "--supervisor", "s1")
    return s.start(extra=("--config", str(conf)))


@pytest.fixture
def newer(tmp_path: Path) -> Iterator[Server]:
    major = int(__version__.split(".")[0])
    s = server_with(
        tmp_path, f'client_version = "{major + 1}.0.0"\nmin_client_version = "{__version__}"\ndownload_url = "{URL}"\n'
    )
    yield s
    s.stop()


@pytest.fixture
def same(tmp_path: Path) -> Iterator[Server]:
    s = server_with(tmp_path, f'client_version = "{__version__}"\ndownload_url = "{URL}"\n')
    yield s
    s.stop()


def test_a_newer_client_on_the_server_shows_a_quiet_notice(qtbot, running, newer, memory_keyring, monkeypatch) -> None:
    win = running.window
    assert not win.update_notice.isVisible()
    sign_in(qtbot, running, newer, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)  # the sync itself went through
    qtbot.waitUntil(lambda: win.update_notice.isVisible(), timeout=5000)
    newest = f"{int(__version__.split('.')[0]) + 1}.0.0"
    assert (win.update_notice.version, win.update_notice.url) == (newest, URL)
    text = win.update_notice.text()
    assert f"有新版本：FieldArchive {newest}" in text and f'href="{URL}"' in text
    assert win.update_notice.openExternalLinks()


def test_no_notice_when_the_server_has_this_version(qtbot, running, same, memory_keyring, monkeypatch) -> None:
    sign_in(qtbot, running, same, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    qtbot.wait(200)
    assert not running.window.update_notice.isVisible() and running.window.update_notice.version == ""


def test_a_server_out_of_reach_after_the_sync_is_no_notice_and_no_failure() -> None:
    from app.sync.client import MemoryTokens, SyncClient
    from tests.sync.conftest import free_port

    client = SyncClient(
        f"http://127.0.0.1:{free_port()}", MemoryTokens(), "device-1", allow_insecure=True, timeout=(1.0, 1.0)
    )
    try:
        assert syncing.newer_client(client) == ("", "")
    finally:
        client.close()

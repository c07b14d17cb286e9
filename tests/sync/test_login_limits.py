"""The client's sign-in against a real server process that refuses to check more passwords: a clear,
localized message with the server's wait (423 for the user name, 429 for the address or a busy server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import SyncError, SyncErrorKind
from app.sync.client import MemoryTokens, SyncClient
from tests.sync.conftest import SERVER_PASSWORD, Server


@pytest.fixture
def strict_server(tmp_path: Path):
    srv = Server(tmp_path / "server-data")
    srv.admin("user", "add", "c1", "--role", "collector")
    srv.start(
        env={
            "FIELDARCHIVE_MAX_FAILURES": "2",
            "FIELDARCHIVE_LOCK_BASE": "120",
            "FIELDARCHIVE_ADDRESS_MAX_FAILURES": "3",
            "FIELDARCHIVE_ADDRESS_LOCK_BASE": "300",
            "FIELDARCHIVE_FAILURE_DELAY": "0",
        }
    )
    yield srv
    srv.stop()


def _refusal(client: SyncClient, name: str, password: str) -> SyncError:
    with pytest.raises(SyncError) as info:
        client.login(name, password, "laptop")
    return info.value


def test_sign_in_refusals_say_how_long_to_wait(strict_server):
    client = SyncClient(strict_server.url, MemoryTokens(), "new-laptop")
    try:
        for _ in range(2):
            wrong = _refusal(client, "c1", "not-the-password")
            assert wrong.kind is SyncErrorKind.AUTH and wrong.message("zh_CN") == "用户名或密码错误。"
        locked = _refusal(client, "c1", SERVER_PASSWORD)  # the right password: not checked now
        assert locked.kind is SyncErrorKind.AUTH and 100 < locked.retry_after <= 120
        assert locked.message("zh_CN") == f"该用户登录失败次数过多，请 {locked.retry_after} 秒后再试。"
        assert _refusal(client, "someone-else", "not-the-password").kind is SyncErrorKind.AUTH  # 3rd failure here
        busy = _refusal(client, "c1", SERVER_PASSWORD)  # this address failed 3 times: 429
        assert busy.kind is SyncErrorKind.AUTH and 200 < busy.retry_after <= 300
        assert busy.message("zh_CN") == f"登录尝试过于频繁，请 {busy.retry_after} 秒后再试。"
        assert busy.message("en") == f"Too many sign-in attempts; try again in {busy.retry_after} seconds."
        assert client.tokens.get() is None
    finally:
        client.close()

"""Profiles and keys: passphrase, recovery code, lockout delay, device unlock, nothing ever replaced."""

from __future__ import annotations

import hashlib
import json

import pytest

from app import secrets
from app.errors import StorageError
from app.errors import StorageErrorKind as K
from app.services import session as ss
from app.storage.keys import KeyFile
from app.storage.profile import Profile, delay_after
from tests.conftest import PASSPHRASE


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def profile(session) -> Profile:
    session.close()
    return session._profile


@pytest.mark.real_kdf
def test_creation_keeps_only_wrapped_keys(profile) -> None:
    kf = json.loads(profile.keyfile_path.read_text())
    assert set(kf["slots"]) == {"passphrase", "recovery"}
    assert kf["slots"]["passphrase"]["kdf"] == {"name": "argon2id", "m": 65536, "t": 3, "p": 1}
    assert kf["slots"]["recovery"]["kdf"] == {"name": "argon2id", "m": 19456, "t": 2, "p": 1}
    assert (profile.keyfile_path.stat().st_mode & 0o777) == 0o600
    assert (profile.dir.stat().st_mode & 0o777) == 0o700


def test_short_passphrase_is_refused(home) -> None:
    with pytest.raises(StorageError) as e:
        ss.create(passphrase="short", actor="x")
    assert "8 个字符" in e.value.message("zh_CN")
    assert not Profile().exists()


def test_creating_over_an_existing_archive_is_refused(profile) -> None:
    before = digest(profile.archive_path)
    with pytest.raises(StorageError) as e:
        ss.create(passphrase=PASSPHRASE, actor="x")
    assert e.value.kind is K.ALREADY_EXISTS
    assert digest(profile.archive_path) == before


def test_wrong_passphrase_gives_a_clear_message_and_changes_nothing(profile) -> None:
    before = (digest(profile.archive_path), digest(profile.keyfile_path))
    for _ in range(3):
        with pytest.raises(StorageError) as e:
            profile.unlock("not the passphrase")
        assert e.value.kind is K.WRONG_PASSPHRASE and e.value.message("zh_CN").startswith("密码不正确")
    assert (digest(profile.archive_path), digest(profile.keyfile_path)) == before
    assert sorted(p.name for p in profile.dir.iterdir()) == ["archive.db", "backups", "keys.json", "unlock.json"]


def test_repeated_failures_bring_an_increasing_delay(profile) -> None:
    now = [1_000_000.0]
    profile.clock = lambda: now[0]
    waits = []
    for _attempt in range(7):
        with pytest.raises(StorageError) as e:
            profile.unlock("not the passphrase")
        waits.append(profile.wait_seconds())
        now[0] += waits[-1]  # wait exactly as long as asked
    assert waits[:2] == [0, 0] and waits[2] > 0
    assert all(b > a for a, b in zip(waits[2:], waits[3:], strict=False))
    assert "秒后再试" in e.value.message("zh_CN")


def test_attempts_during_the_delay_are_refused_without_trying(profile) -> None:
    now = [1_000_000.0]
    profile.clock = lambda: now[0]
    for _ in range(4):
        with pytest.raises(StorageError):
            profile.unlock("not the passphrase")
    with pytest.raises(StorageError) as e:
        profile.unlock(PASSPHRASE)  # even the right passphrase must wait
    assert e.value.kind is K.LOCKED_OUT
    now[0] += profile.wait_seconds()
    assert len(profile.unlock(PASSPHRASE)) == 32
    assert profile.wait_seconds() == 0 and not profile.throttle_path.exists()


def test_delay_schedule_is_capped() -> None:
    assert [delay_after(n) for n in (0, 1, 2)] == [0, 0, 0]
    assert delay_after(3) < delay_after(4) < delay_after(5)
    assert delay_after(50) == 300


def test_recovery_code_opens_and_resets_the_passphrase(home) -> None:
    s, code = ss.create(passphrase=PASSPHRASE, actor="x")
    s.close()
    profile = Profile()
    s2 = ss.unlock(recovery_code=code.lower().replace("-", " "))  # forgiving about case and separators
    ss.change_passphrase(s2, "a brand new passphrase")
    s2.close()
    with pytest.raises(StorageError):
        profile.unlock(PASSPHRASE)
    assert len(profile.unlock("a brand new passphrase")) == 32
    with pytest.raises(StorageError) as e:
        profile.unlock_with_recovery("AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
    assert "恢复码不正确" in e.value.message("zh_CN")
    s3 = ss.unlock(passphrase="a brand new passphrase")
    assert s3._archive.meta.archive_id == KeyFile.from_json(profile.keyfile_path.read_bytes()).archive_id
    s3.close()


def test_passphrase_change_does_not_rewrite_the_database(profile) -> None:
    key = profile.unlock(PASSPHRASE)
    before = digest(profile.archive_path)
    profile.set_passphrase(key, "another good passphrase")
    assert digest(profile.archive_path) == before
    assert profile.unlock("another good passphrase") == key


def test_full_width_passphrase_from_an_ime_opens_too(home) -> None:
    s, _ = ss.create(passphrase="Passphrase123", actor="x")
    s.close()
    assert len(Profile().unlock("Ｐａｓｓｐｈｒａｓｅ１２３")) == 32


def test_unlock_on_this_device_uses_the_keyring(session, memory_keyring) -> None:
    ss.remember_on_device(session)
    key = ss.device_key()
    assert key == session.key
    assert list(memory_keyring.store.values())  # stored in the keyring …
    assert not any(session.key.hex() in p.read_bytes().hex() for p in session._profile.dir.rglob("*") if p.is_file())
    ss.forget_on_device()
    assert ss.device_key() is None


def test_without_a_keyring_nothing_is_remembered(session, no_keyring) -> None:
    files_before = sorted(p for p in session._profile.dir.parent.parent.rglob("*"))
    with pytest.raises(secrets.KeyringUnavailable) as e:
        ss.remember_on_device(session)
    assert "keyring" in str(e.value)
    assert ss.device_key() is None
    assert sorted(p for p in session._profile.dir.parent.parent.rglob("*")) == files_before

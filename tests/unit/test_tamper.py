"""A tampered, truncated, emptied or missing archive gives a clear error naming the backup folder,
never a crash and never a silent new archive."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from app import paths
from app.errors import StorageError
from app.errors import StorageErrorKind as K
from app.services import records
from app.services import session as ss
from app.services.demo import generate
from app.storage import keys
from app.storage.profile import Profile
from tests.conftest import CHEAP_KDF, PASSPHRASE


@pytest.fixture(scope="module")
def profile_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a closed archive of 300 drafts, made once per module; each test damages its own copy."""
    home = tmp_path_factory.mktemp("tamper") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.ENV_HOME, str(home))
        mp.setattr(keys, "PASSPHRASE_KDF", CHEAP_KDF)
        mp.setattr(keys, "RECOVERY_KDF", CHEAP_KDF)
        paths.set_home(None)
        try:
            session, _code = ss.create(passphrase=PASSPHRASE, actor="tester")
            for v in generate(300, seed=3, today=session.today()):
                records.save_draft(session, v)
            session.close()
        finally:
            paths.set_home(None)
    return home


@pytest.fixture
def closed_profile(home: Path, profile_home: Path) -> Profile:
    shutil.copytree(profile_home, home, dirs_exist_ok=True)
    return Profile()


def digest(p) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def assert_corrupt(profile, exc: StorageError) -> None:
    assert exc.kind is K.CORRUPT
    zh = exc.message("zh_CN")
    assert str(profile.backup_dir) in zh and "恢复" in zh


@pytest.mark.parametrize("offset", [100, 4096 + 100, -5000])
def test_a_flipped_byte_is_detected(closed_profile, offset) -> None:
    path = closed_profile.archive_path
    data = bytearray(path.read_bytes())
    i = offset if offset >= 0 else len(data) + offset
    data[i] ^= 0x01
    path.write_bytes(bytes(data))
    tampered = digest(path)
    with pytest.raises(StorageError) as e:
        ss.unlock(passphrase=PASSPHRASE)
    assert_corrupt(closed_profile, e.value)
    assert digest(path) == tampered  # left exactly as found


def test_a_truncated_file_is_detected(closed_profile) -> None:
    path = closed_profile.archive_path
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 2)
    with pytest.raises(StorageError) as e:
        ss.unlock(passphrase=PASSPHRASE)
    assert_corrupt(closed_profile, e.value)
    assert path.stat().st_size == size // 2


def test_an_empty_file_is_not_replaced(closed_profile) -> None:
    closed_profile.archive_path.write_bytes(b"")
    with pytest.raises(StorageError) as e:
        ss.unlock(passphrase=PASSPHRASE)
    assert_corrupt(closed_profile, e.value)
    assert closed_profile.archive_path.stat().st_size == 0


def test_a_missing_archive_is_not_recreated(closed_profile) -> None:
    closed_profile.archive_path.unlink()
    with pytest.raises(StorageError) as e:
        ss.unlock(passphrase=PASSPHRASE)
    assert_corrupt(closed_profile, e.value)
    assert "不存在" in e.value.message("zh_CN")
    assert not closed_profile.archive_path.exists()
    with pytest.raises(StorageError) as e2:  # and init refuses to paper over it
        ss.create(passphrase=PASSPHRASE, actor="x")
    assert e2.value.kind is K.ALREADY_EXISTS


def test_a_plaintext_sqlite_file_in_its_place_is_refused(closed_profile) -> None:
    import sqlite3

    closed_profile.archive_path.unlink()
    c = sqlite3.connect(closed_profile.archive_path)
    c.execute("create table t(x)")
    c.commit()
    c.close()
    with pytest.raises(StorageError) as e:
        ss.unlock(passphrase=PASSPHRASE)
    assert_corrupt(closed_profile, e.value)


def test_damaged_or_missing_key_file(closed_profile) -> None:
    closed_profile.keyfile_path.write_text("{not json")
    with pytest.raises(StorageError) as e:
        ss.unlock(passphrase=PASSPHRASE)
    assert_corrupt(closed_profile, e.value)
    closed_profile.keyfile_path.unlink()
    with pytest.raises(StorageError) as e:
        ss.unlock(passphrase=PASSPHRASE)
    assert_corrupt(closed_profile, e.value)


def test_a_deleted_wal_after_a_crash_loses_at_most_uncheckpointed_work(session) -> None:
    """The documented limit (sqlite.org/howtocorrupt): deleting a hot WAL loses its commits but never corrupts."""
    c, _ = records.save_draft(session, {"shop_name": "老王烟酒店"})
    path = session._profile.archive_path
    session._archive.db.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    records.save_draft(session, {"shop_name": "新店"})
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    # simulate the crash: copy the files as they are on disk, without closing
    copy = path.with_name("copy.db")
    copy.write_bytes(path.read_bytes())
    session.close()
    os.replace(copy, path)
    s = ss.unlock(passphrase=PASSPHRASE)
    assert s._archive.customers.get(c.id) is not None and s._archive.integrity_problems() == []
    s.close()


def test_structure_is_checked_after_an_unclean_shutdown(session, monkeypatch) -> None:
    """Large archives skip quick_check on a normal open (the HMAC pass still runs); a session that
    did not close cleanly (its marker file is still there) brings the structural check back."""
    from app.storage import archive as archive_mod

    calls: list[bool] = []
    real = archive_mod.integrity_problems
    monkeypatch.setattr(
        archive_mod,
        "integrity_problems",
        lambda conn, quick=True, structure=True: calls.append(structure) or real(conn, quick, structure),
    )
    monkeypatch.setattr(archive_mod, "QUICK_CHECK_MAX_BYTES", 0)  # as if the archive were large
    session.close()
    marker = session._profile.archive_path.with_name("archive.db.open")
    assert not marker.exists()
    s = ss.unlock(passphrase=PASSPHRASE)
    assert marker.exists()  # while open
    s.close()
    marker.write_text("12345")  # now as if that session had been killed
    ss.unlock(passphrase=PASSPHRASE).close()
    assert calls == [False, True]

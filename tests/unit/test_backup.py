"""Encrypted backups: round trip, restore elsewhere, damaged backups refused, the replaced archive kept."""

from __future__ import annotations

import pytest

from app import paths
from app.errors import StorageError
from app.errors import StorageErrorKind as K
from app.services import records
from app.services import session as ss
from app.storage.profile import Profile
from tests.conftest import PASSPHRASE


def test_backup_and_restore_round_trip(session) -> None:
    c1, _ = records.save_draft(session, {"shop_name": "备份前"})
    path = session._profile.backup(session._archive)
    c2, _ = records.save_draft(session, {"shop_name": "备份后"})
    key = session.key
    session.close()
    session._profile.restore(path, key=key)
    s = ss.unlock(passphrase=PASSPHRASE)
    try:
        assert s._archive.customers.get(c1.id) is not None and s._archive.customers.get(c2.id) is None
        assert s._archive.audit.verify_chain() == []
    finally:
        s.close()
    kept = [p for p in session._profile.backup_dir.iterdir() if p.name.startswith("replaced-")]
    assert len(kept) == 1 and (kept[0] / "archive.db").exists()  # nothing lost: the replaced archive is kept


def test_restore_on_a_new_machine_with_the_passphrase(session, tmp_path, monkeypatch) -> None:
    c, _ = records.save_draft(session, {"shop_name": "迁移"})
    path = session._profile.backup(session._archive, tmp_path / "usb.fabak")
    session.close()
    monkeypatch.setenv(paths.ENV_HOME, str(tmp_path / "other-machine"))
    fresh = Profile()
    with pytest.raises(StorageError):
        fresh.restore(path, "wrong passphrase")
    fresh.restore(path, PASSPHRASE)
    s = ss.unlock(passphrase=PASSPHRASE)
    assert s._archive.customers.get(c.id).values["shop_name"] == "迁移"
    s.close()


def test_restore_with_the_recovery_code(home, tmp_path, monkeypatch) -> None:
    s, code = ss.create(passphrase=PASSPHRASE, actor="x")
    path = s._profile.backup(s._archive, tmp_path / "b.fabak")
    s.close()
    monkeypatch.setenv(paths.ENV_HOME, str(tmp_path / "elsewhere"))
    Profile().restore(path, code, recovery=True)
    ss.unlock(passphrase=PASSPHRASE).close()


@pytest.mark.parametrize("damage", ["flip", "truncate", "header", "not-a-backup"])
def test_damaged_backups_are_refused_and_change_nothing(session, tmp_path, damage) -> None:
    records.save_draft(session, {"shop_name": "x"})
    path = session._profile.backup(session._archive, tmp_path / "b.fabak")
    key = session.key
    session.close()
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-100] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "header":
        data[30] ^= 0xFF
    else:
        data = bytearray(b"PK\x03\x04 a zip file")
    path.write_bytes(bytes(data))
    before = session._profile.archive_path.read_bytes()
    with pytest.raises(StorageError) as e:
        session._profile.restore(path, key=key)
    assert e.value.kind is K.BAD_BACKUP and "无法恢复" in e.value.message("zh_CN")
    assert session._profile.archive_path.read_bytes() == before
    assert not list(session._profile.dir.glob("archive.db.restoring*"))


def test_backup_refuses_to_overwrite(session, tmp_path) -> None:
    target = tmp_path / "b.fabak"
    target.write_text("precious")
    with pytest.raises(StorageError) as e:
        session._profile.backup(session._archive, target)
    assert e.value.kind is K.ALREADY_EXISTS and target.read_text() == "precious"

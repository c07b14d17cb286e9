"""Schema migrations, tested against a frozen archive of every released schema (tests/data/archives)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.errors import StorageError
from app.errors import StorageErrorKind as K
from app.models.record import CustomerStatus
from app.services import session as ss
from app.storage import migrations, schema
from app.storage.profile import Profile

FROZEN = Path(__file__).resolve().parents[1] / "data" / "archives"
PASSPHRASE = "frozen archive passphrase"
RELEASED = sorted(p.name for p in FROZEN.iterdir() if p.is_dir())


def install(version_dir: str, home: Path) -> Profile:
    target = home / "profiles" / "default"
    target.mkdir(parents=True)
    for name in ("archive.db", "keys.json"):
        shutil.copy2(FROZEN / version_dir / name, target / name)
    return Profile()


def test_every_schema_version_is_frozen() -> None:
    assert RELEASED == [f"v{n}" for n in range(1, migrations.SCHEMA_VERSION + 1)]


@pytest.mark.parametrize("version_dir", RELEASED)
def test_frozen_archive_opens_and_upgrades_to_the_current_schema(version_dir, home) -> None:
    install(version_dir, home)
    s = ss.unlock(passphrase=PASSPHRASE)
    try:
        arc = s._archive
        assert arc.meta.schema_version == migrations.SCHEMA_VERSION
        full = arc.customers.get("01900000-0000-7000-8000-000000000001")
        assert full.status is CustomerStatus.DRAFT and full.values["shop_name"] and full.values["contact_phone"]
        err = arc.customers.get("01900000-0000-7000-8000-000000000002")
        assert err.values == {"shop_name": "老王烟酒店"} and err.error_count == 1
        pending = arc.customers.get("01900000-0000-7000-8000-000000000003")
        assert pending.status is CustomerStatus.PENDING and pending.values["contact_phone"] == "13987654322"
        changes = [h for h in arc.audit.history(pending.id) if h.action == "update"]
        assert [(h.field, h.old, h.new, h.source) for h in changes] == [
            ("contact_phone", "13987654321", "13987654322", "phone")
        ]
        visits = arc.media.visits(full.id)
        assert len(visits) == 1 and arc.media.photo_data(visits[0].photos[0]) == b"\xff\xd8frozen-photo"
        order = (visits[0].orders, visits[0].order_quantity, visits[0].order_amount)
        assert order == ((1, 20, "850.00") if version_dir >= "v6" else (None, None, None))  # none before v6
        assert arc.customers.search_pks("老王") and arc.customers.search_pks("李记")
        assert arc.integrity_problems(full=True) == [] and arc.audit.verify_chain() == []
    finally:
        s.close()


def test_migration_backs_up_first_and_upgrades_in_one_step(home, monkeypatch) -> None:
    """A future step (here: a made-up v{N+1}) runs after an automatic backup, inside one transaction."""
    profile = install(RELEASED[-1], home)
    n = migrations.SCHEMA_VERSION + 1
    monkeypatch.setitem(migrations.STEPS, n, migrations._script("ALTER TABLE customer ADD COLUMN future TEXT"))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", n)
    s = ss.unlock(passphrase=PASSPHRASE)
    try:
        assert s._archive.meta.schema_version == n
        cols = [r[1] for r in s._archive.db.raw.execute("PRAGMA table_info(customer)")]
        assert "future" in cols
    finally:
        s.close()
    backups = list(profile.backup_dir.glob("auto-from-v*.fabak"))
    assert len(backups) == 1


def test_a_failing_migration_leaves_the_archive_as_it_was(home, monkeypatch) -> None:
    install(RELEASED[-1], home)
    n = migrations.SCHEMA_VERSION + 1
    with monkeypatch.context() as m:
        m.setitem(migrations.STEPS, n, migrations._script("ALTER TABLE customer ADD COLUMN x TEXT;\nTHIS IS NOT SQL"))
        m.setattr(migrations, "SCHEMA_VERSION", n)
        with pytest.raises(StorageError) as e:
            ss.unlock(passphrase=PASSPHRASE)
        assert "升级" in e.value.message("zh_CN") and "未做任何改动" in e.value.message("zh_CN")
    s = ss.unlock(passphrase=PASSPHRASE)
    try:
        cols = [r[1] for r in s._archive.db.raw.execute("PRAGMA table_info(customer)")]
        assert "x" not in cols and s._archive.meta.schema_version == migrations.SCHEMA_VERSION
    finally:
        s.close()


def test_an_archive_from_a_newer_app_is_refused(session) -> None:
    session._archive.db.raw.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 5}")
    session.close()
    with pytest.raises(StorageError) as e:
        ss.unlock(passphrase="correct horse battery staple")
    assert e.value.kind is K.TOO_NEW and "升级" in e.value.message("zh_CN")


def test_schema_module_matches_the_migrated_database(session) -> None:
    raw = session._archive.db.raw
    for table in schema.metadata.sorted_tables:
        cols = [r[1] for r in raw.execute(f"PRAGMA table_info({table.name})")]
        assert cols == [c.name for c in table.columns], table.name

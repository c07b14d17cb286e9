"""Issue 20, server backups: ``python -m server backup`` while a real server takes pushes, on SQLite
and PostgreSQL; ``restore`` into an empty database, then a real server on it serves what was backed
up; refusals (another key, a changed byte, a newer schema, a database that is not empty); retention."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from server import backup, migrate
from server.db import Database
from server.schema import customers, feed_counter
from tests.server.conftest import ROOT, ServerProcess, _drop
from tests.server.helpers import Api, add_user, demo_values, save


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIELDARCHIVE_")}
    done = subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "backup.key"
    assert cli("backup-key", str(path)).returncode == 0
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    return path


@pytest.fixture
def empty_url(backend: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    """A new database nothing was written to: where a restore goes."""
    if backend["kind"] == "sqlite":
        folder = tmp_path / "restored"
        folder.mkdir(mode=0o700)
        yield f"sqlite:///{folder / 'fieldarchive-server.db'}"
        return
    name = f"fa_test_{uuid.uuid4().hex[:12]}_r"
    with backend["admin"].connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{backend['base']}/{name}"
    finally:
        _drop(backend["admin"], name)


def ids_and_seq(url: str) -> tuple[set[str], int]:
    db = Database(url)
    try:
        with db.read() as conn:
            return (
                {r.id for r in conn.execute(select(customers.c.id))},
                int(conn.execute(select(feed_counter.c.seq)).scalar_one()),
            )
    finally:
        db.dispose()


def test_online_backup_under_pushes_then_restore_serves_it(
    db, db_url, settings, server_process, key, empty_url, tmp_path
):
    add_user(db, settings, "c1", "collector")
    server_process.start()
    api = Api(httpx.Client(base_url=server_process.url, timeout=60))
    token = api.token("c1")
    before = [save(str(uuid.uuid4()), v) for v in demo_values(30, seed=7)]
    assert {r["status"] for r in api.push(token, *before)} == {"applied"}
    stop, pushed, errors = threading.Event(), [], []

    def keep_pushing() -> None:  # the service goes on while the backup runs
        with httpx.Client(base_url=server_process.url, timeout=60) as c:
            other = Api(c)
            n = 0
            while not stop.is_set():
                batch = [save(str(uuid.uuid4()), v) for v in demo_values(5, seed=100 + n)]
                try:
                    results = other.push(token, *batch)
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    return
                pushed.extend(m["record_id"] for m, r in zip(batch, results, strict=True) if r["status"] == "applied")
                n += 1

    worker = threading.Thread(target=keep_pushing)
    worker.start()
    try:
        out = tmp_path / "backups"
        done = cli("backup", f"{out}/", "--database", db_url, "--key-file", str(key))
        assert done.returncode == 0, done.stderr
    finally:
        stop.set()
        worker.join()
    assert not errors and pushed, errors
    made = Path(done.stdout.strip())
    assert made.parent == out and backup.NAME.match(made.name) and oct(made.stat().st_mode & 0o777) == "0o600"
    manifest = backup.read_manifest(made)
    assert manifest["schema_version"] == migrate.HEAD and manifest["backend"] == (
        "postgresql" if "postgresql" in db_url else "sqlite"
    )
    assert len(manifest["sha256"]) == 64 and manifest["feed_seq"] >= 1
    raw = made.read_bytes()
    assert b"customer" not in raw.split(b"\n", 2)[-1][200:]  # nothing readable past the manifest

    done = cli("restore", str(made), "--database", empty_url, "--key-file", str(key))
    assert done.returncode == 0, done.stderr
    ids, seq = ids_and_seq(empty_url)
    assert {m["record_id"] for m in before} <= ids  # everything committed before the backup began
    assert ids <= {m["record_id"] for m in before} | set(pushed)
    assert seq >= manifest["feed_seq"]
    # a consistent snapshot: a real server on the restored database pulls exactly its records, up to its counter
    restored = ServerProcess(empty_url, tmp_path)
    restored.start()
    try:
        with httpx.Client(base_url=restored.url, timeout=60) as c:
            again = Api(c)
            token2 = again.token("c1")
            changes, cursor = again.pull_all(token2)
        assert {ch["record_id"] for ch in changes if ch.get("record_id")} == ids and cursor == seq
    finally:
        restored.stop()


def test_restore_refuses_another_key_a_changed_file_a_newer_schema_and_a_used_database(
    db, db_url, key, empty_url, tmp_path
):
    made = tmp_path / "one.fabak"
    assert cli("backup", str(made), "--database", db_url, "--key-file", str(key)).returncode == 0
    other = tmp_path / "other.key"
    backup.new_key_file(other)
    done = cli("restore", str(made), "--database", empty_url, "--key-file", str(other))
    assert done.returncode == 2 and "cannot be decrypted with this key" in done.stderr, done.stderr
    changed = tmp_path / "changed.fabak"
    raw = bytearray(made.read_bytes())
    raw[-20] ^= 1
    changed.write_bytes(bytes(raw))
    done = cli("restore", str(changed), "--database", empty_url, "--key-file", str(key))
    assert done.returncode == 2 and "changed" in done.stderr, done.stderr
    newer = tmp_path / "newer.fabak"
    data = made.read_bytes()
    head = json.loads(
        data[
            len(backup.MAGIC) + 4 : len(backup.MAGIC)
            + 4
            + int.from_bytes(data[len(backup.MAGIC) : len(backup.MAGIC) + 4], "big")
        ]
    )
    head["schema_version"] = "9999"
    body = json.dumps(head).encode()
    size = int.from_bytes(data[len(backup.MAGIC) : len(backup.MAGIC) + 4], "big")
    newer.write_bytes(backup.MAGIC + len(body).to_bytes(4, "big") + body + data[len(backup.MAGIC) + 4 + size :])
    done = cli("restore", str(newer), "--database", empty_url, "--key-file", str(key))
    assert done.returncode == 2 and "newer than this server knows" in done.stderr, done.stderr
    done = cli("restore", str(made), "--database", db_url, "--key-file", str(key))  # the live one: not empty
    assert done.returncode == 2 and ("exists" in done.stderr or "has tables" in done.stderr), done.stderr
    # nothing was written by the refusals: the empty database takes the good backup afterwards
    assert cli("restore", str(made), "--database", empty_url, "--key-file", str(key)).returncode == 0
    key.chmod(0o644)
    done = cli("backup", str(tmp_path / "two.fabak"), "--database", db_url, "--key-file", str(key))
    assert done.returncode == 2 and "chmod 600" in done.stderr, done.stderr


def test_backup_from_the_configuration_file_keeps_days_and_weeks(db, db_url, key, tmp_path):
    folder = tmp_path / "kept"
    folder.mkdir(mode=0o700)
    now = dt.datetime.now(dt.UTC)
    olds = [now - dt.timedelta(hours=12 * i) for i in range(1, 80)]  # twice a day for 40 days
    for when in olds:
        (folder / f"fieldarchive-{when:%Y%m%dT%H%M%SZ}.fabak").write_bytes(b"")
    (folder / "notes.txt").write_text("not a backup")
    conf = tmp_path / "server.toml"
    conf.write_text(
        f'[server]\ndatabase = "{db_url}"\n\n[backup]\nfolder = "{folder}"\nkey_file = "{key}"\n'
        f"keep_daily = 3\nkeep_weekly = 2\n",
        encoding="utf-8",
    )
    done = cli("backup", "--config", str(conf))
    assert done.returncode == 0, done.stderr
    left = backup.backups_in(folder)
    expected = backup.to_keep(
        [backup.Found(Path(done.stdout.strip()), now)]
        + [backup.Found(folder / f"fieldarchive-{w:%Y%m%dT%H%M%SZ}.fabak", w.replace(microsecond=0)) for w in olds],
        3,
        2,
    )
    assert {f.path for f in left} == expected and (folder / "notes.txt").exists()
    days = {f.when.date() for f in left}
    assert len(left) <= 5 and len(days) >= 3  # the newest of 3 days, and of 2 weeks (some the same)
    assert left[0].path == Path(done.stdout.strip())


def test_retention_rule():
    t0 = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)  # a Sunday
    found = [backup.Found(Path(f"b{i}"), t0 - dt.timedelta(hours=8 * i)) for i in range(0, 3 * 21)]
    keep = backup.to_keep(found, 2, 3)
    kept = sorted((f.when for f in found if f.path in keep), reverse=True)
    assert kept[0] == t0  # the newest of today
    assert kept[1] == dt.datetime(2026, 12, 5, 19, 0, tzinfo=dt.UTC)  # the newest of yesterday
    # weeks: this ISO week is today's; then the newest of the week before (Sun 29 Nov) and of the one before that
    assert dt.datetime(2026, 11, 29, 19, 0, tzinfo=dt.UTC) in kept
    assert dt.datetime(2026, 11, 22, 19, 0, tzinfo=dt.UTC) in kept
    assert len(kept) == 4
    assert backup.to_keep(found, 0, 0) == {found[0].path}  # the newest always stays

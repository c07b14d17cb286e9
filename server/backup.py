"""Online, encrypted server backups with a manifest; restore into an empty database; retention.

``python -m server backup [OUT]`` while the service runs:

- SQLite: the file is copied with SQLite's online backup API (a consistent snapshot; writers keep
  going, the copy restarts its pages when they change under it).
- PostgreSQL: ``pg_dump --format=custom`` (a single REPEATABLE READ snapshot of the database) from
  the host's PATH; its major version must be at least the server's (Debian: ``postgresql-client``).

The snapshot is then encrypted with AES-256-GCM under the backup key (32 random bytes, hex, in a
file of mode 0600 made once at setup with ``python -m server backup-key FILE`` and kept *away*
from the backups). The file holds, in this order: the line ``FIELDARCHIVE-BACKUP 1``, the manifest
(JSON, readable without the key so that retention and ``/readyz`` can date a backup), and the
payload in chunks of 1 MiB, each sealed with the manifest's digest and its index as associated data
and the last one marked, so no chunk can be dropped, reordered, or moved between backups. The
manifest holds the time, backend, schema version (Alembic revision), feed counter and the SHA-256 of
the snapshot before encryption; restore checks all of them.

``python -m server restore IN`` decrypts into an *empty* database (a missing SQLite file, or a
PostgreSQL database without tables), refuses a backup of a schema newer than this server knows,
then migrates an older one to the current schema, and gives the database a new epoch
(``feed_counter.epoch``): clients notice it at their next sync and recover (docs/sync-protocol.md,
"After a server restore").

Retention (``--keep-daily N --keep-weekly M`` after a backup into a folder): the newest backup of
each of the last N days that have backups and of each of the last M ISO weeks is kept; other
backups of this name pattern in that folder are deleted. Days and weeks are UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import stat
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import inspect, make_url, select, update

from server.config import SERVER_VERSION
from server.db import Database, sqlite_path
from server.migrate import known_revisions, schema_version, upgrade
from server.schema import feed_counter

MAGIC = b"FIELDARCHIVE-BACKUP 1\n"
CHUNK = 1 << 20
NAME = re.compile(r"^fieldarchive-(\d{8}T\d{6}Z)\.fabak$")
ENV_BACKUP_KEY = "FIELDARCHIVE_BACKUP_KEY"  # hex, 32 bytes
ENV_BACKUP_KEY_FILE = "FIELDARCHIVE_BACKUP_KEY_FILE"  # a file holding it, mode 0600


class BackupError(Exception):
    """A backup or restore refused or failed (one line for the command line)."""


# ---- the key -----------------------------------------------------------------------------------


def new_key_file(path: Path) -> None:
    """Make a backup key file (mode 0600); an existing one is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} exists; a backup key is never replaced (older backups need it)") from None
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")


def load_key(key_file: str | None) -> bytes:
    """FIELDARCHIVE_BACKUP_KEY (hex) wins; else the key file (``--key-file``, FIELDARCHIVE_BACKUP_KEY_FILE)."""
    raw, where = os.environ.get(ENV_BACKUP_KEY), ENV_BACKUP_KEY
    if not raw:
        chosen = key_file or os.environ.get(ENV_BACKUP_KEY_FILE)
        if not chosen:
            raise BackupError(
                "no backup key: give --key-file (made once with: python -m server backup-key FILE) "
                f"or {ENV_BACKUP_KEY_FILE}"
            )
        path = Path(chosen)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            raise BackupError(
                f"the backup key file {path} does not exist (make it with: python -m server backup-key {path})"
            ) from None
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise BackupError(f"the backup key file {path} may be read by others; chmod 600 {path}")
        raw, where = path.read_text(encoding="ascii", errors="replace"), str(path)
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError:
        raise BackupError(f"the backup key in {where} is not hexadecimal") from None
    if len(key) != 32:
        raise BackupError(f"the backup key in {where} must be 32 bytes (64 hex digits)")
    return key


# ---- the file format ---------------------------------------------------------------------------


def _aad(digest: bytes, index: int, last: bool) -> bytes:
    return digest + struct.pack(">QB", index, 1 if last else 0)


def _seal(src: BinaryIO, out: BinaryIO, key: bytes, manifest: dict[str, Any]) -> None:
    head = json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode("utf-8")
    digest = hashlib.sha256(head).digest()
    out.write(MAGIC + struct.pack(">I", len(head)) + head)
    aes, prefix = AESGCM(key), secrets.token_bytes(4)
    out.write(prefix)
    index, chunk = 0, src.read(CHUNK)
    while True:
        following = src.read(CHUNK)
        last = not following
        nonce = prefix + struct.pack(">Q", index)
        sealed = aes.encrypt(nonce, chunk, _aad(digest, index, last))
        out.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        index, chunk = index + 1, following


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup file, without the key."""
    with open(path, "rb") as f:
        return _head(f, path)[0]


def _head(f: BinaryIO, path: Path) -> tuple[dict[str, Any], bytes]:
    if f.read(len(MAGIC)) != MAGIC:
        raise BackupError(f"{path} is not a FieldArchive server backup")
    (size,) = struct.unpack(">I", f.read(4))
    head = f.read(size)
    try:
        return json.loads(head), hashlib.sha256(head).digest()
    except ValueError:
        raise BackupError(f"{path}: the manifest cannot be read") from None


def _open(path: Path, key: bytes, out: BinaryIO) -> dict[str, Any]:
    """Decrypt a backup into ``out``; the manifest. Any change to the file is a BackupError."""
    aes = AESGCM(key)
    with open(path, "rb") as f:
        manifest, digest = _head(f, path)
        prefix = f.read(4)
        sha, index = hashlib.sha256(), 0
        while True:
            raw = f.read(4)
            if len(raw) < 4:
                raise BackupError(f"{path} is truncated")
            (size,) = struct.unpack(">I", raw)
            sealed = f.read(size)
            nonce = prefix + struct.pack(">Q", index)
            last = None
            for flag in (False, True):
                try:
                    plain = aes.decrypt(nonce, sealed, _aad(digest, index, flag))
                    last = flag
                    break
                except InvalidTag:
                    continue
            if last is None:
                raise BackupError(f"{path} cannot be decrypted with this key, or it was changed")
            sha.update(plain)
            out.write(plain)
            if last:
                break
            index += 1
        if f.read(1):
            raise BackupError(f"{path} has data after its last chunk")
    if sha.hexdigest() != manifest.get("sha256"):
        raise BackupError(f"{path}: the restored snapshot does not match the manifest's checksum")
    return manifest


# ---- backup ------------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not on this host; install the PostgreSQL client programs "
            f"(Debian: apt install postgresql-client) of the server's major version or newer"
        )
    return found


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection options from the SQLAlchemy URL (the password goes in PGPASSWORD)."""
    u = make_url(url)
    args = []
    host = u.host or u.query.get("host")  # ?host=/run/postgresql: a socket folder
    if host:
        args += ["--host", str(host)]
    if u.port:
        args += ["--port", str(u.port)]
    if u.username:
        args += ["--username", u.username]
    args += ["--dbname", u.database or ""]
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return args, env


def _snapshot(db: Database, into: Path) -> None:
    if db.is_sqlite:
        path = sqlite_path(db.url)
        if path is None:
            raise BackupError("an in-memory database cannot be backed up")
        src = sqlite3.connect(path, timeout=60)
        dst = sqlite3.connect(into)
        try:
            with dst:  # all pages in one step under one read transaction: a snapshot, writers go on (WAL)
                src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    args, env = _pg_args(db.url)
    done = subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(into), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BackupError(f"pg_dump failed: {(done.stderr.strip().splitlines() or ['no message'])[-1]}")


def _state(db: Database) -> tuple[str | None, int]:

    with db.read() as conn:
        return schema_version(conn), int(conn.execute(select(feed_counter.c.seq)).scalar_one())


def backup(db: Database, out: Path, key: bytes) -> tuple[Path, dict[str, Any]]:
    """Back up to ``out`` (an existing folder: a new dated file in it; else that file). The file and the manifest.

    The schema version and feed counter are read before the snapshot: the snapshot holds at least
    that feed, and its own counter is what a restore brings back (restore reads it from the data)."""
    version, seq = _state(db)
    now = time.time()
    stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    if out.is_dir():
        target = out / f"fieldarchive-{stamp}.fabak"
    else:
        target = out
    if target.exists():
        raise BackupError(f"{target} exists; a backup never overwrites a file")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fabak-", dir=target.parent) as tmp:  # private: mkdtemp is 0700
        snap = Path(tmp) / "snapshot"
        _snapshot(db, snap)
        sha = hashlib.sha256()
        with open(snap, "rb") as f:
            for block in iter(lambda: f.read(CHUNK), b""):
                sha.update(block)
        manifest = {
            "format": 1,
            "created": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
            "created_ts": now,
            "backend": "postgresql" if db.is_postgres else "sqlite",
            "schema_version": version,
            "feed_seq": seq,
            "sha256": sha.hexdigest(),
            "bytes": snap.stat().st_size,
            "server_version": _server_version(),
        }
        part = Path(tmp) / "sealed"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(snap, "rb") as src, os.fdopen(fd, "wb") as dst:
            _seal(src, dst, key, manifest)
            dst.flush()
            os.fsync(dst.fileno())
        os.link(part, target)  # never half a backup under the final name, never over another one
    return target, manifest


def _server_version() -> str:
    return SERVER_VERSION


# ---- restore -----------------------------------------------------------------------------------


def _empty(db: Database) -> bool:
    with db.engine.connect() as conn:
        return not inspect(conn).get_table_names()


def restore(url: str, source: Path, key: bytes) -> dict[str, Any]:
    """Restore ``source`` into the empty database at ``url``; the manifest. Migrates an older schema."""

    manifest = read_manifest(source)
    version = manifest.get("schema_version")
    if version not in known_revisions():
        raise BackupError(
            f"the backup's schema {version!r} is newer than this server knows; restore it with the "
            f"server version that made it ({manifest.get('server_version', '?')}) or newer"
        )
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    if manifest.get("backend") != kind:
        raise BackupError(f"the backup is of a {manifest.get('backend')} database; restore it into one of that kind")
    if kind == "sqlite":
        path = sqlite_path(url)
        if path is None:
            raise BackupError("restore into an SQLite file, not an in-memory database")
        if path.exists() and path.stat().st_size > 0:
            raise BackupError(f"{path} exists: restore only into a new database (move the old file away first)")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=path.parent) as tmp:
            part = Path(tmp) / "db"
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                _open(source, key, out)
                out.flush()
                os.fsync(out.fileno())
            check = sqlite3.connect(part)
            try:
                if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise BackupError(f"{source}: the restored database fails SQLite's integrity check")
            finally:
                check.close()
            os.replace(part, path)
    else:
        db = Database(url)
        try:
            if not _empty(db):
                raise BackupError(
                    "the target database has tables: restore only into a new, empty database (createdb NAME)"
                )
        finally:
            db.dispose()
        with tempfile.TemporaryDirectory(prefix="fieldarchive-restore-") as tmp:
            dump = Path(tmp) / "dump"
            fd = os.open(dump, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                _open(source, key, out)
            args, env = _pg_args(url)
            done = subprocess.run(
                [
                    _pg_tool("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    *args,
                    str(dump),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise BackupError(f"pg_restore failed: {(done.stderr.strip().splitlines() or ['no message'])[-1]}")
    db = Database(url)
    try:
        upgrade(db)
        seq = _state(db)[1]
        manifest = {**manifest, "epoch": new_epoch(db)}
    finally:
        db.dispose()
    if seq < int(manifest.get("feed_seq", 0)):
        raise BackupError(f"the restored feed ends at {seq}, before the manifest's {manifest.get('feed_seq')}")
    return manifest


def new_epoch(db: Database) -> str:
    """Give the (restored) database a new epoch: clients that knew the old one notice the restore at
    their next sync, rebuild their copy and send again what the backup does not hold."""
    epoch = secrets.token_hex(16)
    with db.engine.begin() as conn:
        conn.execute(update(feed_counter).where(feed_counter.c.id == 1).values(epoch=epoch))
    return epoch


# ---- retention ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    path: Path
    when: dt.datetime


def backups_in(folder: str | Path) -> list[Found]:
    """The backups in a folder by their names (newest first)."""
    out = []
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    for name in names:
        m = NAME.match(name)
        if m:
            when = dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            out.append(Found(Path(folder) / name, when))
    return sorted(out, key=lambda f: f.when, reverse=True)


def made_before(folder: str | Path | None, at: float) -> list[str]:
    """The names of the backups in ``folder`` made before ``at`` (epoch seconds), newest first: after a
    destruction at ``at``, the backups that still hold the record (docs/deploy.md)."""
    if not folder:
        return []
    return [f.path.name for f in backups_in(folder) if f.when.timestamp() <= at]


def newest_backup(folder: str | Path) -> float | None:
    """When the newest backup in ``folder`` was made (epoch seconds), None when there is none."""
    found = backups_in(folder)
    return found[0].when.timestamp() if found else None


def to_keep(found: list[Found], daily: int, weekly: int) -> set[Path]:
    keep: set[Path] = set()
    days: list[dt.date] = []
    weeks: list[tuple[int, int]] = []
    for f in found:  # newest first: the first of each day or week is its newest
        iso = f.when.isocalendar()
        day, week = f.when.date(), (iso[0], iso[1])
        if day not in days and len(days) < daily:
            days.append(day)
            keep.add(f.path)
        if week not in weeks and len(weeks) < weekly:
            weeks.append(week)
            keep.add(f.path)
    if found:
        keep.add(found[0].path)  # the newest always stays
    return keep


def prune(folder: Path, daily: int, weekly: int) -> list[Path]:
    found = backups_in(folder)
    keep = to_keep(found, daily, weekly)
    gone = [f.path for f in found if f.path not in keep]
    for path in gone:
        path.unlink()
    return gone

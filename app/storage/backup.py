"""Encrypted backup files: one self-contained file per backup.

Layout: a magic line, an 8-byte header length, a JSON header (archive id, schema
version, sizes, SHA-256 of the database bytes, and the *wrapped* keys, which hold no
secret in clear), then a ``VACUUM INTO`` copy of the database, still encrypted
with the archive's data key. A backup therefore opens on any machine with the
passphrase that was valid when it was made, or with the recovery code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from app import __version__, scratch
from app.paths import ensure_private_dir, fsync_dir

MAGIC = b"FIELDARCHIVE-BACKUP 1\n"
SUFFIX = ".fabak"
_CHUNK = 1 << 20


class BadBackup(Exception):
    pass


def write_backup(vacuum_into: Any, target: Path, header: dict[str, Any], scratch_dir: Path | None = None) -> Path:
    """``vacuum_into(path)`` writes a consistent encrypted copy; we wrap it with the header. Both
    temporary files are beside the target, named so that the next start removes them if this run is
    killed (markers in ``scratch_dir``, the profile's tmp folder; app/scratch.py)."""
    ensure_private_dir(target.parent)
    tmp_db = scratch.beside(target, scratch_dir, ".db.tmp")
    tmp_out = scratch.beside(target, scratch_dir, ".tmp")
    try:
        vacuum_into(tmp_db)
        sha, size = hashlib.sha256(), 0
        with open(tmp_db, "rb") as f:
            while chunk := f.read(_CHUNK):
                sha.update(chunk)
                size += len(chunk)
        head = json.dumps(
            {
                **header,
                "format": 1,
                "app_version": __version__,
                "db_size": size,
                "db_sha256": sha.hexdigest(),
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        ).encode()
        fd = os.open(tmp_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, open(tmp_db, "rb") as f:
            out.write(MAGIC + len(head).to_bytes(8, "big") + head)
            while chunk := f.read(_CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_out, target)
        fsync_dir(target.parent)
        return target
    finally:
        scratch.release(tmp_db)
        scratch.release(tmp_out)


def read_header(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                raise BadBackup("not a FieldArchive backup file")
            n = int.from_bytes(f.read(8), "big")
            if not 0 < n < 1_000_000:
                raise BadBackup("damaged backup header")
            header = json.loads(f.read(n))
    except OSError as exc:
        raise BadBackup(exc.strerror or str(exc)) from None
    except ValueError:
        raise BadBackup("damaged backup header") from None
    if not isinstance(header, dict) or header.get("format") != 1 or "keyfile" not in header:
        raise BadBackup("unknown backup format")
    return header


def extract_db(path: Path, dest: Path) -> dict[str, Any]:
    """Write the database bytes to ``dest`` after checking their size and SHA-256."""
    header = read_header(path)
    sha, size = hashlib.sha256(), 0
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(path, "rb") as f, os.fdopen(fd, "wb") as out:
        f.seek(len(MAGIC))
        f.seek(len(MAGIC) + 8 + int.from_bytes(f.read(8), "big"))
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if size != header.get("db_size") or sha.hexdigest() != header.get("db_sha256"):
        dest.unlink(missing_ok=True)
        raise BadBackup("the backup file is damaged (its checksum does not match)")
    return header


def list_backups(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.suffix == SUFFIX), key=lambda p: p.stat().st_mtime)


def prune(folder: Path, prefix: str, keep: int) -> None:
    old = [p for p in list_backups(folder) if p.name.startswith(prefix)]
    for p in old[:-keep] if keep else old:
        p.unlink(missing_ok=True)

"""The encrypted archive: one shared database object and the parts that hold it (Anki's collection role).

``Archive`` opens, checks, migrates and closes the database; its data lives in its parts:
``customers`` (customers.py), ``outbox`` (sync.py: the sync tables), ``media`` (media.py: photos
and visits), ``recovery`` (recovery.py: after a server restore), ``audit`` (audit.py), ``access`` (access.py:
who saw personal data, in the audit trail), ``integrity`` (integrity.py: the integrity archive and
complaints), ``lifecycle`` (lifecycle.py: closing and erasing outlets), ``duplicates``, ``autosave``,
``figures`` and ``meta`` (db.py), all over one ``ArchiveDb`` (db.py: connection, transactions, clock,
actor). Not thread-safe by design: the application uses it from
one DB thread only. Everything the parts return is an ``app.models`` dataclass (or plain values);
SQLAlchemy objects never leave this package. Every change and its audit entries commit in one
``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy.exc import DBAPIError

from app.storage import migrations, schema
from app.storage.access import AccessLog
from app.storage.audit import AuditLog
from app.storage.autosave import Autosave
from app.storage.customers import Customers
from app.storage.db import ArchiveDb, Meta, StorageFault, classify
from app.storage.duplicates import Duplicates
from app.storage.engine import CorruptDatabase, integrity_problems, raw_connect
from app.storage.figures import Figures
from app.storage.integrity import Integrity
from app.storage.lifecycle import Lifecycle
from app.storage.media import Media
from app.storage.opencheck import OpenCheck
from app.storage.recovery import Recovery
from app.storage.service import Service
from app.storage.signatures import Signatures
from app.storage.sync import Outbox

log = logging.getLogger(__name__)
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024


class Archive:
    def __init__(self, path: Path, conn: Any, actor: str) -> None:
        self.path = path
        self.db = ArchiveDb(path, conn, actor)
        self.meta = Meta(self)
        self.audit = AuditLog(self)
        self.access = AccessLog(self)
        self.outbox = Outbox(self)
        self.customers = Customers(self)
        self.media = Media(self)
        self.integrity = Integrity(self)
        self.lifecycle = Lifecycle(self)
        self.duplicates = Duplicates(self)
        self.autosave = Autosave(self)
        self.figures = Figures(self)
        self.signatures = Signatures(self)
        self.service = Service(self)
        self.open_check: OpenCheck | None = None  # the open checks, when they run in the background
        self.recovery = Recovery(self)

    # ---- lifecycle -------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, key: bytes, archive_id: str, actor: str) -> Archive:
        if path.exists():
            raise StorageFault("exists", str(path))
        conn = raw_connect(path, key, create=True)
        arc = cls(path, conn, actor)
        with arc.db.transaction() as tx:
            migrations.upgrade(tx, 0)
            now = arc.db.clock()
            for k, v in {
                "archive_id": archive_id,
                "device_id": str(uuid.uuid4()),
                "created_at": now,
                "user": actor,
                "provisional_seq": "0",
            }.items():
                tx.execute(schema.meta.insert().values(key=k, value=v))
        return arc

    @classmethod
    def open(
        cls,
        path: Path,
        key: bytes,
        actor: str | None = None,
        before_migration: Callable[[Archive, int], None] | None = None,
        check: bool = True,
        background: bool = False,
    ) -> Archive:
        """Open, check integrity, and migrate (after ``before_migration`` made a backup).

        With ``background`` the integrity checks run beside the caller (opencheck.py): the archive
        is returned at once for reading, and its writes wait for the checks and are refused if they
        failed; an archive that needs a migration is still checked before it is migrated."""
        if not path.exists():
            raise StorageFault("missing", str(path))
        if path.stat().st_size == 0:
            raise StorageFault("corrupt", "the archive file is empty")
        try:
            conn = raw_connect(path, key)
        except CorruptDatabase as exc:
            raise StorageFault("corrupt", str(exc)) from None
        except sqlcipher3.DatabaseError as exc:
            raise classify(exc) from None
        arc = cls(path, conn, actor or "")
        try:
            with arc.db.engine.connect() as c:
                version = migrations.current_version(c)
            if check and background and version == migrations.SCHEMA_VERSION:
                arc.open_check = OpenCheck(path, key, structure=arc._structure_check())
                arc.db.write_gate = arc.open_check.require_ok
            elif check:
                problems = arc.open_checks()
                if problems:
                    raise StorageFault("corrupt", "; ".join(problems[:3]))
            if version > migrations.SCHEMA_VERSION:
                raise StorageFault("too_new", f"schema {version} > {migrations.SCHEMA_VERSION}")
            if version < migrations.SCHEMA_VERSION:
                if before_migration is not None:
                    before_migration(arc, version)
                try:
                    with arc.db.transaction() as tx:
                        migrations.upgrade(tx, version)
                except (DBAPIError, StorageFault) as exc:
                    raise StorageFault("migration", str(getattr(exc, "orig", exc))) from None
                log.info("archive upgraded from schema %s to %s", version, migrations.SCHEMA_VERSION)
            if not arc.db.actor:
                arc.db.actor = arc.meta.get("user") or "unknown"
            arc._mark_open()
        except StorageFault:
            arc.close()
            raise
        except (DBAPIError, sqlcipher3.DatabaseError) as exc:
            arc.close()
            raise classify(getattr(exc, "orig", exc)) from None
        return arc

    def close(self) -> None:
        if self.open_check is not None:
            self.open_check.cancel()  # before the checkpoint below writes into the file it reads
        try:
            self.db.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlcipher3.Error:
            pass
        self.db.engine.dispose()
        try:
            self.db.raw.close()
        except sqlcipher3.Error:
            pass
        else:
            self._marker.unlink(missing_ok=True)

    # ---- integrity on open -----------------------------------------------------------------
    @property
    def _marker(self) -> Path:
        return self.path.with_name(self.path.name + ".open")

    def _mark_open(self) -> None:
        try:
            self._marker.write_text(str(os.getpid()))
        except OSError:
            pass

    def open_checks(self) -> list[str]:
        """What runs on open: every page's HMAC (cipher_integrity_check: tampering, bit rot,
        truncation), and the b-tree structure (quick_check) when the last session did not close
        cleanly or the archive is small enough for it to cost little (≤ 64 MB: about 0.4 s)."""
        return integrity_problems(self.db.raw, quick=True, structure=self._structure_check())

    def _structure_check(self) -> bool:
        return self._marker.exists() or self.path.stat().st_size <= QUICK_CHECK_MAX_BYTES

    def open_check_problems(self, timeout: float | None = None) -> list[str]:
        """The problems the open checks found (waiting for them if they run in the background)."""
        return self.open_check.problems(timeout) if self.open_check is not None else []

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- maintenance -----------------------------------------------------------------------
    def integrity_problems(self, full: bool = False) -> list[str]:
        return integrity_problems(self.db.raw, quick=not full)

    def foreign_key_problems(self) -> list[str]:
        rows = self.db.raw.execute("PRAGMA foreign_key_check").fetchall()
        return [f"{r[0]} row {r[1]} → {r[2]}" for r in rows]

    def vacuum_into(self, target: Path) -> None:
        """A consistent, encrypted (same key) copy of the database in a new file."""
        if target.exists():
            raise StorageFault("exists", str(target))
        try:
            self.db.raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.db.raw.execute("VACUUM INTO ?", (str(target),))
        except sqlcipher3.DatabaseError as exc:
            raise classify(exc) from None

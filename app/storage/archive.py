"""The encrypted archive: the one API over the SQLCipher database (Anki's collection role).

Not thread-safe by design: the application uses it from one DB thread only.
Everything it returns is an ``app.models`` dataclass; SQLAlchemy objects never
leave this package. Every change and its audit entries commit in one
``BEGIN IMMEDIATE`` transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlcipher3
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from app.storage import migrations, schema
from app.storage.audit import AuditLog
from app.storage.customers import CustomerStore
from app.storage.engine import CorruptDatabase, integrity_problems, make_engine, raw_connect
from app.storage.media import MediaStore
from app.storage.sync import SyncTables

log = logging.getLogger(__name__)
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024


class StorageFault(Exception):
    """A storage-level failure, classified: corrupt, too_new, disk_full, busy, io."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind, self.detail = kind, detail
        super().__init__(f"{kind}: {detail}")


def utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def classify(exc: BaseException) -> StorageFault:
    msg = str(exc).lower()
    if "full" in msg:
        return StorageFault("disk_full", str(exc))
    if "locked" in msg or "busy" in msg:
        return StorageFault("busy", str(exc))
    if "malformed" in msg or "not a database" in msg or "corrupt" in msg or "hmac" in msg:
        return StorageFault("corrupt", str(exc))
    return StorageFault("io", str(exc))


class Archive(CustomerStore, MediaStore, SyncTables, AuditLog):
    def __init__(self, path: Path, conn: Any, actor: str) -> None:
        self.path = path
        self._raw = conn
        self.engine = make_engine(conn)
        self.actor = actor
        self.clock: Callable[[], str] = utcnow
        self._device: str | None = None

    # ---- lifecycle -------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, key: bytes, archive_id: str, actor: str) -> "Archive":
        if path.exists():
            raise StorageFault("exists", str(path))
        conn = raw_connect(path, key, create=True)
        arc = cls(path, conn, actor)
        with arc.transaction() as tx:
            migrations.upgrade(tx, 0)
            now = arc.clock()
            for k, v in {"archive_id": archive_id, "device_id": str(uuid.uuid4()), "created_at": now,
                         "user": actor, "provisional_seq": "0"}.items():
                tx.execute(schema.meta.insert().values(key=k, value=v))
        return arc

    @classmethod
    def open(cls, path: Path, key: bytes, actor: str | None = None,
             before_migration: Callable[["Archive", int], None] | None = None,
             check: bool = True) -> "Archive":
        """Open, check integrity, and migrate (after ``before_migration`` made a backup)."""
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
            if check:
                problems = arc.open_checks()
                if problems:
                    raise StorageFault("corrupt", "; ".join(problems[:3]))
            with arc.engine.connect() as c:
                version = migrations.current_version(c)
            if version > migrations.SCHEMA_VERSION:
                raise StorageFault("too_new", f"schema {version} > {migrations.SCHEMA_VERSION}")
            if version < migrations.SCHEMA_VERSION:
                if before_migration is not None:
                    before_migration(arc, version)
                try:
                    with arc.transaction() as tx:
                        migrations.upgrade(tx, version)
                except (DBAPIError, StorageFault) as exc:
                    raise StorageFault("migration", str(getattr(exc, "orig", exc))) from None
                log.info("archive upgraded from schema %s to %s", version, migrations.SCHEMA_VERSION)
            if not arc.actor:
                arc.actor = arc.get_meta("user") or "unknown"
            arc._mark_open()
        except StorageFault:
            arc.close()
            raise
        except (DBAPIError, sqlcipher3.DatabaseError) as exc:
            arc.close()
            raise classify(getattr(exc, "orig", exc)) from None
        return arc

    def close(self) -> None:
        try:
            self._raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlcipher3.Error:
            pass
        self.engine.dispose()
        try:
            self._raw.close()
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
        quick = self._marker.exists() or self.path.stat().st_size <= QUICK_CHECK_MAX_BYTES
        return integrity_problems(self._raw, quick=True, structure=quick)

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on any exception)."""
        try:
            with self.engine.connect() as conn, conn.execution_options(fieldarchive_write=True).begin():
                yield conn
        except OperationalError as exc:
            raise classify(exc.orig) from None
        except DBAPIError as exc:
            if isinstance(exc.orig, sqlcipher3.DatabaseError) and not isinstance(exc.orig, sqlcipher3.IntegrityError):
                raise classify(exc.orig) from None
            raise

    @contextmanager
    def reading(self, tx: Connection | None = None) -> Iterator[Connection]:
        """A read transaction, or the caller's open transaction ``tx`` (one connection, no nesting)."""
        if tx is not None:
            yield tx
            return
        with self.engine.connect() as conn:
            yield conn

    # ---- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self.reading() as c:
            return c.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: str, tx: Connection | None = None) -> None:
        stmt = schema.meta.insert().prefix_with("OR REPLACE").values(key=key, value=value)
        if tx is not None:
            tx.execute(stmt)
            return
        with self.transaction() as c:
            c.execute(stmt)

    @property
    def archive_id(self) -> str:
        return self.get_meta("archive_id") or ""

    @property
    def device_id(self) -> str:
        if self._device is None:  # read on the raw connection: safe inside a transaction too
            row = self._raw.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
            self._device = row[0] if row else ""
        return self._device

    @property
    def schema_version(self) -> int:
        with self.reading() as c:
            return migrations.current_version(c)

    # ---- maintenance -----------------------------------------------------------------------
    def integrity_problems(self, full: bool = False) -> list[str]:
        return integrity_problems(self._raw, quick=not full)

    def foreign_key_problems(self) -> list[str]:
        rows = self._raw.execute("PRAGMA foreign_key_check").fetchall()
        return [f"{r[0]} row {r[1]} → {r[2]}" for r in rows]

    def vacuum_into(self, target: Path) -> None:
        """A consistent, encrypted (same key) copy of the database in a new file."""
        if target.exists():
            raise StorageFault("exists", str(target))
        try:
            self._raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._raw.execute("VACUUM INTO ?", (str(target),))
        except sqlcipher3.DatabaseError as exc:
            raise classify(exc) from None

    def file_size(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

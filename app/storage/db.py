"""The one shared database object of an archive, and the base of its parts.

``ArchiveDb`` holds what every part shares: the SQLCipher connection (and the SQLAlchemy engine
over it), the write and read transactions, the clock and the acting user. The archive
(archive.py) holds one ``ArchiveDb`` and its parts, each a small class with a public API in its
own module (Anki's ``Collection`` and its managers): ``customers`` (customers.py), ``outbox``
(sync.py), ``media`` (media.py), ``audit`` (audit.py) and ``meta`` (here). A part reaches another
part only through that part's public methods (``self.arc.audit.append(...)``). A new kind of
record is a new part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from app.storage import migrations, schema
from app.storage.engine import make_engine

if TYPE_CHECKING:
    from app.storage.archive import Archive


class StorageFault(Exception):
    """A storage-level failure, classified: corrupt, too_new, disk_full, busy, io."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind, self.detail = kind, detail
        super().__init__(f"{kind}: {detail}")


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def classify(exc: BaseException) -> StorageFault:
    msg = str(exc).lower()
    if "full" in msg:
        return StorageFault("disk_full", str(exc))
    if "locked" in msg or "busy" in msg:
        return StorageFault("busy", str(exc))
    if "malformed" in msg or "not a database" in msg or "corrupt" in msg or "hmac" in msg:
        return StorageFault("corrupt", str(exc))
    return StorageFault("io", str(exc))


class ArchiveDb:
    """The connection, its transactions, the clock and the actor: shared by every part.

    Not thread-safe by design: the application uses it from one DB thread only."""

    def __init__(self, path: Path, conn: Any, actor: str) -> None:
        self.path = path
        self.raw = conn
        self.engine = make_engine(conn)
        self.actor = actor
        self.clock: Callable[[], str] = utcnow
        # the write gate: set while the open checks run in the background (opencheck.py); every
        # write transaction waits for them and is refused if they found a problem
        self.write_gate: Callable[[], None] | None = None
        # what a damaged page met by a query becomes (the profile's message naming its backups);
        # without one, a StorageFault("corrupt")
        self.on_damage: Callable[[StorageFault], Exception] | None = None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on any exception)."""
        if self.write_gate is not None:
            self.write_gate()  # raises StorageFault("corrupt") if the open checks failed
            self.write_gate = None
        try:
            with self.engine.connect() as conn, conn.execution_options(fieldarchive_write=True).begin():
                yield conn
        except OperationalError as exc:
            raise self._damage(classify(exc.orig or exc)) from None
        except DBAPIError as exc:
            if isinstance(exc.orig, sqlcipher3.DatabaseError) and not isinstance(exc.orig, sqlcipher3.IntegrityError):
                raise self._damage(classify(exc.orig)) from None
            raise

    def _damage(self, fault: StorageFault) -> Exception:
        return self.on_damage(fault) if fault.kind == "corrupt" and self.on_damage is not None else fault

    @contextmanager
    def reading(self, tx: Connection | None = None) -> Iterator[Connection]:
        """A read transaction, or the caller's open transaction ``tx`` (one connection, no nesting)."""
        if tx is not None:
            yield tx
            return
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as exc:  # a damaged page met by a read says so, like a write would
            if isinstance(exc.orig, sqlcipher3.DatabaseError) and classify(exc.orig).kind == "corrupt":
                raise self._damage(classify(exc.orig)) from None
            raise


class Part:
    """A part of the archive: it holds the shared ``ArchiveDb`` and, for its sibling parts, the archive."""

    def __init__(self, arc: Archive) -> None:
        self.arc = arc
        self.db: ArchiveDb = arc.db

    @property
    def actor(self) -> str:
        return self.db.actor

    def clock(self) -> str:
        return self.db.clock()

    def transaction(self) -> AbstractContextManager[Connection]:
        return self.db.transaction()

    def reading(self, tx: Connection | None = None) -> AbstractContextManager[Connection]:
        return self.db.reading(tx)


class Meta(Part):
    """The archive's key/value settings (its id, this device's id, the sync cursor, …)."""

    def __init__(self, arc: Archive) -> None:
        super().__init__(arc)
        self._device: str | None = None

    def get(self, key: str) -> str | None:
        with self.reading() as c:
            return c.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar()

    def set(self, key: str, value: str, tx: Connection | None = None) -> None:
        stmt = schema.meta.insert().prefix_with("OR REPLACE").values(key=key, value=value)
        if tx is not None:
            tx.execute(stmt)
            return
        with self.transaction() as c:
            c.execute(stmt)

    @property
    def archive_id(self) -> str:
        return self.get("archive_id") or ""

    @property
    def device_id(self) -> str:
        if self._device is None:  # read on the raw connection: safe inside a transaction too
            row = self.db.raw.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
            self._device = row[0] if row else ""
        return self._device

    @property
    def schema_version(self) -> int:
        with self.reading() as c:
            return migrations.current_version(c)

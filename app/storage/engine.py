"""Opening the SQLCipher 4 database.

One long-lived connection per archive, used from one thread. The raw 32-byte data
key is the first statement on the connection (no KDF per open). Then WAL with
``synchronous=FULL``, foreign keys, an in-memory temp store (SQLCipher does not
encrypt temp files), and a busy timeout. The file is opened with ``mode=rw``
so that SQLite can never silently create a new, empty archive in place of a
missing one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlcipher3
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)
CIPHER_MAJOR = 4


class CorruptDatabase(Exception):
    """The file does not open with a correct key, or fails its integrity checks."""


def _key_pragma(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("the archive key must be 32 bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


def raw_connect(path: Path, key: bytes, create: bool = False) -> Any:
    """A keyed sqlcipher3 connection, verified and configured."""
    mode = "rwc" if create else "rw"
    uri = f"file:{quote(str(path))}?mode={mode}"
    # check_same_thread: the connection belongs to the thread that opened it (the DB thread in the app);
    # any use from another thread fails loudly instead of racing.
    conn = sqlcipher3.connect(uri, uri=True, isolation_level=None, check_same_thread=True)
    try:
        conn.execute(_key_pragma(key))  # must be the first statement
        conn.execute("PRAGMA cipher_log_level = NONE")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            raise CorruptDatabase(str(exc)) from exc
        version = conn.execute("PRAGMA cipher_version").fetchone()
        if not version or not str(version[0]).startswith(f"{CIPHER_MAJOR}."):
            raise RuntimeError(f"SQLCipher {CIPHER_MAJOR}.x required, found {version}")
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA cache_size = -131072")  # up to 128 MiB of decrypted pages (bulk imports)
        return conn
    except BaseException:
        conn.close()
        raise


def integrity_problems(conn: Any, quick: bool = True, structure: bool = True) -> list[str]:
    """Problems found by cipher_integrity_check (every page's HMAC) and, with ``structure``, by
    quick_check (or the full integrity_check when not ``quick``); empty if none."""
    problems: list[str] = []
    try:
        problems += [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
        if structure:
            rows = conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check").fetchall()
            problems += [str(r[0]) for r in rows if r and r[0] != "ok"]
    except sqlcipher3.DatabaseError as exc:
        problems.append(str(exc))
    return problems


def make_engine(conn: Any) -> Engine:
    """A SQLAlchemy engine over the one keyed connection (write transactions are BEGIN IMMEDIATE)."""
    engine = create_engine("sqlite://", module=sqlcipher3, creator=lambda: conn, poolclass=StaticPool)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Writers take the write lock up front (no deadlock-prone lock upgrade); readers use a
        # deferred transaction so that, in WAL mode, they never wait for another process's writer.
        write = connection.get_execution_options().get("fieldarchive_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine

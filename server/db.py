"""Database access: engines, read and write transactions, and the commit-ordered feed numbering.

SQLite (the default, one file): WAL, ``synchronous=FULL``, and ``BEGIN IMMEDIATE`` for every write
transaction, so writers are serialised and a transaction's feed numbers are always larger than
those of every transaction that committed before it. Inside one process a lock queues writers
instead of letting them poll SQLite's busy handler.

PostgreSQL: a write transaction does its work, then, as its *last* step, takes the one feed
counter row with ``SELECT … FOR UPDATE``, numbers its feed rows and commits. The counter lock is
held until commit, so numbers are handed out in commit order: a reader can never see seq n+1
committed while n is still to come, and no cursor skips a late commit.

Nothing lives in process memory that another server process would need.
"""

from __future__ import annotations

import os
import shlex
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    make_url,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

import server.schema_admin  # noqa: F401  (registers the tables of the territory tree on the same metadata)
import server.schema_filings  # noqa: F401  (the same: monthly filings)
import server.schema_guard  # noqa: F401  (the same: AB posts, password history, alerts)
import server.schema_incidents  # noqa: F401  (the same: incident records)
import server.schema_onboarding  # noqa: F401  (the same: onboarding cases)
from server.schema import customers, feed, feed_counter, users
from server.schema_integrations import outbound_changes

T = TypeVar("T")
RETRIES = 5


class Busy(Exception):
    """The database stayed locked or kept aborting the transaction; the client should retry later."""


@dataclass
class FeedEntry:
    kind: str
    record_id: str | None = None
    audience_id: int | None = None
    form_version: int | None = None
    fresh: bool = False  # a record created by this transaction: it has no older feed row to supersede
    owner_id: int | None = None  # record rows: who may see it (server.schema.feed); the team, the owner's
    created_by_id: int | None = None  # supervisor, is read at numbering time


#: A transaction holding more feed entries or outbound rows than this moves them into temporary tables
#: of its own and numbers them there at commit: a batch job over the whole province (the purchase import,
#: the classification) then holds one batch of them at a time, not one per customer it changed (issue 21).
SPILL = 5000

_pending = MetaData()
#: Feed entries waiting for their number. ``ord``: the order they were emitted in; ``k_*``: the key
#: ``_dedupe`` keeps one entry of, without NULLs (so that equal keys compare equal in SQL).
pending_feed = Table(
    "fa_pending_feed",
    _pending,
    Column("ord", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("record_id", String(36), nullable=True),
    Column("audience_id", Integer, nullable=True),
    Column("form_version", Integer, nullable=True),
    Column("fresh", Boolean, nullable=False),
    Column("owner_id", Integer, nullable=True),
    Column("created_by_id", Integer, nullable=True),
    Column("k_rid", String(36), nullable=False),
    Column("k_aud", Integer, nullable=False),
    Column("k_fv", Integer, nullable=False),
    Index("fa_pending_feed_key", "k_rid", "kind", "k_aud", "k_fv", "ord"),
    Index("fa_pending_feed_ord", "ord"),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
#: ``outbound_changes`` rows waiting for their number, in the order they were written.
pending_outbound = Table(
    "fa_pending_outbound",
    _pending,
    Column("ord", BigInteger, nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("code", String(32), nullable=True),
    Column("owner_id", Integer, nullable=False),
    Column("changed", Text, nullable=False),
    Column("data", Text, nullable=True),
    Column("at", Float, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


@dataclass
class Tx:
    """A write transaction: its connection and the feed entries it will number at commit."""

    conn: Connection
    db: Database
    entries: list[FeedEntry] = field(default_factory=list)
    # rows of ``outbound_changes`` (server/outbound.py) without their ``seq`` and ``team_id``: numbered with
    # the feed rows, from the same counter, so that the outbound feed is in commit order too
    outbound: list[dict[str, Any]] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    spilled: int = 0  # entries and outbound rows moved into the pending tables so far (``SPILL``)

    def emit(self, entry: FeedEntry) -> None:
        self.entries.append(entry)
        if len(self.entries) >= SPILL:
            self._spill()

    def add_outbound(self, row: dict[str, Any]) -> None:
        self.outbound.append(row)
        if len(self.outbound) >= SPILL:
            self._spill()

    def _spill(self) -> None:
        """Move the entries and outbound rows held so far into the pending tables (created on the first call;
        on PostgreSQL they go at commit, on SQLite ``_number_pending`` drops them)."""
        conn = self.conn
        if not self.spilled:
            create_temporary(conn, pending_feed)
            create_temporary(conn, pending_outbound)
        start = self.spilled
        bulk_insert(
            conn,
            pending_feed,
            [
                {
                    "ord": start + i,
                    "kind": e.kind,
                    "record_id": e.record_id,
                    "audience_id": e.audience_id,
                    "form_version": e.form_version,
                    "fresh": e.fresh,
                    "owner_id": e.owner_id,
                    "created_by_id": e.created_by_id,
                    "k_rid": e.record_id or "",
                    "k_aud": -1 if e.audience_id is None else e.audience_id,
                    "k_fv": e.form_version if e.kind == "form" and e.form_version is not None else -1,
                }
                for i, e in enumerate(self.entries)
            ],
        )
        start += len(self.entries)
        bulk_insert(conn, pending_outbound, [{**o, "ord": start + i} for i, o in enumerate(self.outbound)])
        self.spilled = start + len(self.outbound) + 1  # never 0 once the tables exist
        self.entries.clear()
        self.outbound.clear()

    def number_feed(self) -> None:
        """The last step before commit: take the counter, number and write the feed rows.

        The older rows of the same records are deleted first, before the counter is taken: no other
        transaction can write a row for these records meanwhile (each holds the record's customer row,
        written or locked ``FOR UPDATE``), and the counter, held until commit, is all that orders the
        commits; the less is done while holding it, the more small pushes commit side by side. Taking
        it is one statement (``UPDATE … RETURNING``, which locks the row on PostgreSQL)."""
        if self.spilled:
            self._spill()
            self._number_pending()
            return
        if not self.entries and not self.outbound:
            return
        rows = _dedupe(self.entries)
        groups: dict[tuple[str, int | None], list[str]] = {}
        for e in rows:
            if e.kind != "form" and e.record_id is not None and not e.fresh:
                groups.setdefault((e.kind, e.audience_id), []).append(e.record_id)
        self._supersede(groups)
        top = self.conn.execute(_TAKE, {"n": len(rows) + len(self.outbound)}).scalar_one()
        last = top - len(rows) - len(self.outbound)
        self._fill_scope(rows)
        owners = {e.owner_id for e in rows if e.owner_id is not None} | {o["owner_id"] for o in self.outbound}
        teams = self._teams(owners)
        first_out = last + len(rows) + 1
        bulk_insert(
            self.conn,
            outbound_changes,
            [{**o, "seq": first_out + i, "team_id": teams.get(o["owner_id"])} for i, o in enumerate(self.outbound)],
        )
        bulk_insert(
            self.conn,
            feed,
            [
                {
                    "seq": last + i + 1,
                    "kind": e.kind,
                    "record_id": e.record_id,
                    "audience_id": e.audience_id,
                    "form_version": e.form_version,
                    "owner_id": e.owner_id,
                    "created_by_id": e.created_by_id,
                    "team_id": teams.get(e.owner_id) if e.owner_id is not None else None,
                }
                for i, e in enumerate(rows)
            ],
        )

    def _supersede(self, groups: dict[tuple[str, int | None], list[str]]) -> None:
        """Delete the older feed rows of these records: (kind, audience) -> record ids."""
        for (kind, aud), rids in groups.items():
            for i in range(0, len(rids), 500):
                cond = (feed.c.kind == kind) & feed.c.record_id.in_(rids[i : i + 500])
                cond &= feed.c.audience_id.is_(None) if aud is None else feed.c.audience_id == aud
                self.conn.execute(delete(feed).where(cond))

    def _number_pending(self) -> None:
        """``number_feed`` for the entries and outbound rows in the pending tables: the same steps, in SQL."""
        conn, pf, po = self.conn, pending_feed, pending_outbound
        later = pf.alias("later")
        same_key = (later.c.k_rid == pf.c.k_rid) & (later.c.kind == pf.c.kind) & (later.c.k_aud == pf.c.k_aud)
        same_key &= (later.c.k_fv == pf.c.k_fv) & (later.c.ord > pf.c.ord)
        analyze_temporary(conn, pf, po)
        conn.execute(delete(pf).where(exists().where(same_key)))  # ``_dedupe``: the last entry of a key stays
        # older rows of the same records are superseded: by the feed's own index, a page at a time, never by a
        # join whose plan rests on the feed's statistics (stale after a large change)
        older = (pf.c.kind != "form") & pf.c.record_id.is_not(None) & pf.c.fresh.is_(False)
        for page in pages(conn, select(pf.c.ord, pf.c.kind, pf.c.record_id, pf.c.audience_id).where(older), pf.c.ord):
            groups: dict[tuple[str, int | None], list[str]] = {}
            for r in page:
                groups.setdefault((r.kind, r.audience_id), []).append(r.record_id)
            self._supersede(groups)
        n_feed = conn.execute(select(func.count()).select_from(pf)).scalar_one()
        n_out = conn.execute(select(func.count()).select_from(po)).scalar_one()
        top = conn.execute(
            update(feed_counter)
            .where(feed_counter.c.id == 1)
            .values(seq=feed_counter.c.seq + n_feed + n_out)
            .returning(feed_counter.c.seq)
        ).scalar_one()
        last = top - n_feed - n_out
        c = customers
        bare = (pf.c.kind == "record") & pf.c.owner_id.is_(None) & pf.c.record_id.is_not(None)
        conn.execute(  # ``_fill_scope``
            update(pf)
            .where(bare)
            .values(
                owner_id=select(c.c.owner_id).where(c.c.id == pf.c.record_id).scalar_subquery(),
                created_by_id=select(c.c.created_by_id).where(c.c.id == pf.c.record_id).scalar_subquery(),
            )
        )
        number = func.row_number().over(order_by=pf.c.ord)
        conn.execute(
            insert(feed).from_select(
                ["seq", "kind", "record_id", "audience_id", "form_version", "owner_id", "created_by_id", "team_id"],
                select(
                    literal(last) + number,
                    pf.c.kind,
                    pf.c.record_id,
                    pf.c.audience_id,
                    pf.c.form_version,
                    pf.c.owner_id,
                    pf.c.created_by_id,
                    users.c.supervisor_id,
                ).select_from(pf.outerjoin(users, users.c.id == pf.c.owner_id)),
            )
        )
        cols = ["record_id", "version", "kind", "code", "owner_id", "changed", "data", "at"]
        conn.execute(
            insert(outbound_changes).from_select(
                ["seq", *cols, "team_id"],
                select(
                    literal(last + n_feed) + func.row_number().over(order_by=po.c.ord),
                    *[po.c[k] for k in cols],
                    users.c.supervisor_id,
                ).select_from(po.outerjoin(users, users.c.id == po.c.owner_id)),
            )
        )
        drop_temporary(conn, pending_feed)
        drop_temporary(conn, pending_outbound)
        self.spilled = 0

    def _fill_scope(self, rows: list[FeedEntry]) -> None:
        """A record entry emitted without its scope gets it from its customer row (written or locked by
        this transaction, so current): a row without an owner would be seen by nobody but the admins."""
        bare = {e.record_id: e for e in rows if e.kind == "record" and e.owner_id is None and e.record_id}
        ids = sorted(bare)
        for i in range(0, len(ids), 500):
            q = select(customers.c.id, customers.c.owner_id, customers.c.created_by_id).where(
                customers.c.id.in_(ids[i : i + 500])
            )
            for r in self.conn.execute(q):
                bare[r.id].owner_id, bare[r.id].created_by_id = r.owner_id, r.created_by_id

    def _teams(self, owners: set[int]) -> dict[int, int | None]:
        """The owners' supervisors, read once the counter is held: on PostgreSQL (READ COMMITTED) this sees
        every team change committed before, and one committed after numbers its own rows later (it writes a
        record row for each customer of the user it moves), so the newest row of a record has its team."""
        if not owners:
            return {}
        return {r.id: r.supervisor_id for r in self.conn.execute(_TEAMS, {"owners": sorted(owners)})}


def create_temporary(conn: Connection, table: Table) -> None:
    """A temporary table of this transaction (``prefixes=["TEMPORARY"]``, ``postgresql_on_commit="DROP"``),
    empty, with its indexes. PostgreSQL drops it at the end of the transaction; on SQLite it outlives the
    transaction on its connection: ``drop_temporary`` it before commit (a rollback takes it away too)."""
    conn.execute(CreateTable(table, if_not_exists=True))
    conn.execute(delete(table))
    for index in table.indexes:
        conn.execute(CreateIndex(index, if_not_exists=True))


def drop_temporary(conn: Connection, table: Table) -> None:
    conn.execute(DropTable(table, if_exists=True))


def analyze_temporary(conn: Connection, *tables: Table) -> None:
    """Statistics for temporary tables once they are filled, before the joins that read them: PostgreSQL
    keeps none for a temporary table on its own and plans on a guess (a nested loop over 50,000 rows took
    123 s, issue 21); SQLite needs none for the indexed lookups its jobs use."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE " + ", ".join(t.name for t in tables))


def pages(conn: Connection, query: Select[Any], key: Any, size: int = 500) -> Iterator[Sequence[Row[Any]]]:
    """``query``'s rows in ``key`` order (``key`` is its first column, unique among the rows), ``size`` at a
    time: each page is asked along ``key``'s index after the last key seen, so memory holds one page and
    never the whole answer, and no page waits on an offset."""
    after: Any = None
    while True:
        q = query if after is None else query.where(key > after)
        page = conn.execute(q.order_by(key).limit(size)).all()
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1][0]


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows of the same keys with the driver's ``executemany``, without SQLAlchemy's
    per-row parameter processing (a push writes thousands of rows; that processing cost about as
    much as the driver's work). The values must already be what the driver takes: text, numbers,
    booleans, None, bytes."""
    if not rows:
        return
    cols = [c.name for c in table.columns if c.name in rows[0]]
    if conn.dialect.name == "postgresql" and len(rows) > 1:
        _copy(conn, table, cols, rows)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    conn.exec_driver_sql(sql, [tuple(r[c] for c in cols) for r in rows])


def _copy(conn: Connection, table: Table, cols: list[str], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows by ``COPY … FROM STDIN``, one stream instead of a statement per row (the
    driver's ``executemany`` runs each row as a statement of its own: issue 21). A refusal (a unique key
    taken by a concurrent push) is raised as SQLAlchemy's error of its kind, for ``Database.write`` to retry."""
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in cols)}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    try:
        driver: Any = conn.connection.driver_connection  # psycopg's own connection: it has COPY
        with driver.cursor() as cur, cur.copy(sql) as copy:
            for r in rows:
                copy.write_row(tuple(r[c] for c in cols))
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error) from exc


def _dedupe(entries: list[FeedEntry]) -> list[FeedEntry]:
    """One feed row per (kind, record, audience) per transaction: the record's latest state is read at pull."""
    seen: dict[tuple[Any, ...], FeedEntry] = {}
    for e in entries:
        key = (e.kind, e.record_id, e.audience_id, e.form_version if e.kind == "form" else None)
        seen.pop(key, None)
        seen[key] = e
    return list(seen.values())


#: Write transactions at a time per server process on PostgreSQL (other processes have their own);
#: ``FIELDARCHIVE_PG_WRITERS`` in the environment sets another number (1 to 64).
PG_WRITERS = min(64, max(1, int(os.environ.get("FIELDARCHIVE_PG_WRITERS", "") or 2)))
# Built once (immutable, shared by threads): each push reads its owners' teams and takes the counter.
_TEAMS = select(users.c.id, users.c.supervisor_id).where(users.c.id.in_(bindparam("owners", expanding=True)))
_TAKE = update(feed_counter).where(feed_counter.c.id == 1).returning(feed_counter.c.seq)
_TAKE = _TAKE.values(seq=feed_counter.c.seq + bindparam("n", type_=Integer))


class Database:
    """One engine per process; every request opens a short read or write transaction."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.observe_wait: Callable[[float], None] | None = None  # the metrics' write-queue histogram, when served
        self.is_postgres = url.startswith("postgresql")
        self.is_sqlite = url.startswith("sqlite")
        if not (self.is_postgres or self.is_sqlite):
            raise ValueError("the database must be sqlite:///FILE or postgresql+psycopg://…")
        # SQLite has one writer: its writers queue here instead of polling the file lock. PostgreSQL takes
        # PG_WRITERS write transactions at a time per process: the work in them is Python (one GIL), so more
        # only share the processor unevenly (bench, 20 clients: p95 4.6-5.2 s unlimited, 3.0-3.1 s with 2).
        self._write_lock: Any = threading.Lock() if self.is_sqlite else threading.BoundedSemaphore(PG_WRITERS)
        if self.is_sqlite:
            _create_private(sqlite_path(url))
            self.engine = create_engine(
                url, connect_args={"timeout": 60, "check_same_thread": False}, pool_size=pool_size, max_overflow=20
            )
            _sqlite_setup(self.engine)
        else:
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot (deferred BEGIN on SQLite, REPEATABLE READ on PostgreSQL)."""
        with self.engine.connect() as conn:
            if self.is_postgres:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def _write_tx(self) -> Iterator[Tx]:
        lock = self._write_lock
        waited = time.perf_counter()
        lock.acquire()
        if self.observe_wait is not None:
            self.observe_wait(time.perf_counter() - waited)
        try:
            with self.engine.connect() as conn:
                conn.execution_options(fa_write=True)
                with conn.begin():
                    tx = Tx(conn, self)
                    yield tx
                    tx.number_feed()
            for fn in tx.after_commit:
                fn()
        finally:
            lock.release()

    def write(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn`` in a write transaction, again from the start if a concurrent one got in its way.

        Retried: PostgreSQL deadlocks and serialisation failures, unique-key races (two requests
        with the same new mutation id or record id: the retry sees the winner's row), and SQLite's
        "database is locked" after its timeout. ``fn`` must have no effect outside the transaction.
        """
        for attempt in range(RETRIES):
            try:
                with self._write_tx() as tx:
                    return fn(tx)
            except (IntegrityError, OperationalError, DBAPIError) as exc:
                retry = _retryable(exc, self.is_postgres)
                if not retry or attempt == RETRIES - 1:
                    if retry:
                        raise Busy() from exc
                    raise
                time.sleep(0.02 * (attempt + 1))
        raise Busy()


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for PostgreSQL or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    name = make_url(url).database
    return Path(name) if name and name != ":memory:" and not name.startswith("file:") else None


def _create_private(path: Path | None) -> None:
    """A new SQLite file is created 0600 (its -wal and -shm files take the same mode), whatever the umask."""
    if path is None or os.name != "posix" or path.exists():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def permission_problem(url: str) -> str | None:
    """Why the server must not start on this SQLite database: other users of the computer could read
    it (password hashes, every customer) or could write it or replace it. None when it is private
    (or for PostgreSQL, whose files the database server keeps). The message ends with the command
    that fixes it."""
    path = sqlite_path(url)
    if path is None or os.name != "posix":
        return None
    path = path.resolve()
    folder = path.parent
    try:
        mode = stat.S_IMODE(folder.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (
            f"the database folder {folder} can be written by other users (mode {mode:04o}), who could replace "
            f"the database; fix it with: chmod 700 {shlex.quote(str(folder))}"
        )
    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            mode = stat.S_IMODE(f.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IWGRP):
            files = " ".join(
                shlex.quote(str(x)) for x in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if x == path or x.exists()
            )
            return (
                f"the database file {f} can be read or written by other users (mode {mode:04o}); "
                f"fix it with: chmod 600 {files}"
            )
    return None


def _retryable(exc: DBAPIError, postgres: bool) -> bool:
    if isinstance(exc, IntegrityError):
        return postgres  # SQLite serialises writers: there a unique-key clash is a real error
    text = str(exc.orig).lower() if exc.orig is not None else ""
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01", "55P03") or "database is locked" in text or "deadlock" in text


def _sqlite_setup(engine: Engine) -> None:
    """WAL + synchronous=FULL per connection; BEGIN IMMEDIATE for writes, deferred BEGIN for reads."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("fa_write") else "BEGIN")

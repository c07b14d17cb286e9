"""A transaction with more feed entries or outbound rows than ``server.db.SPILL`` moves them into temporary
tables and numbers them there (issue 21: a batch job over the province must not hold one of each per
customer it changed). The same transaction numbered in memory and numbered from the tables must give the
same feed and the same outbound rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text

import server.db as server_db
from server.accounts import get_user
from server.db import Database, FeedEntry, Tx
from server.forms import current_form
from server.records import UnitOfWork
from server.schema import feed, feed_counter
from server.schema_integrations import outbound_changes
from server.scope import Directory
from server.system import apply_system_changes
from tests.server.conftest import FAST
from tests.server.helpers import add_user, demo_values

IDS = [str(uuid.UUID(int=1000 + i)) for i in range(12)]
NEW = [str(uuid.UUID(int=5000 + i)) for i in range(4)]


class Rollback(Exception):
    pass


def setup(db: Database) -> None:
    for name, role, sup in (("admin", "admin", None), ("s1", "supervisor", None), ("c1", "collector", "s1")):
        add_user(db, FAST, name, role, sup)

    def work(tx: Tx) -> None:  # twelve customers, eight of them approved (they go to the outbound feed)
        user = get_user(tx.conn, "c1")
        assert user is not None
        uow = UnitOfWork(tx, user, current_form(tx.conn), Directory.load(tx.conn))
        for i, (rid, values) in enumerate(zip(IDS, demo_values(len(IDS)), strict=True)):
            rec = uow.new_record(rid, user)
            code = f"9{i:011d}"
            rec.values = {**values, "customer_code": code}
            if i < 8:
                rec.status, rec.code, rec.code_official = "approved", code, True
            uow.touch(rec, "import", {}, None)
        uow.flush()

    db.write(work)


def scenario(tx: Tx) -> None:
    """System changes (each record twice: one feed row per record stays), a new record, a record entry
    without its scope, entries for one user and two form entries; then numbered as at commit."""
    apply_system_changes(tx, {rid: {"shop_name": f"新店名{i}"} for i, rid in enumerate(IDS)}, "test", "1")
    apply_system_changes(tx, {rid: {"shop_name": f"又一名{i}"} for i, rid in enumerate(IDS[::2])}, "test", "2")
    user = get_user(tx.conn, "c1")
    assert user is not None
    uow = UnitOfWork(tx, user, current_form(tx.conn), Directory.load(tx.conn))
    for rid, values in zip(NEW, demo_values(len(NEW)), strict=True):
        rec = uow.new_record(rid, user)
        rec.values = dict(values)
        uow.touch(rec, "create", {}, None)
    uow.flush()
    tx.emit(FeedEntry("record", IDS[3]))  # no scope: read from its customer row
    tx.emit(FeedEntry("revoke", IDS[1], audience_id=user.id))
    tx.emit(FeedEntry("form", form_version=7))
    tx.emit(FeedEntry("form", form_version=8))
    tx.emit(FeedEntry("revoke", IDS[1], audience_id=user.id))
    tx.number_feed()


def numbered(db: Database, spill: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any], int]:
    """The feed, the outbound rows and the counter as the scenario leaves them, rolled back afterwards."""
    monkeypatch.setattr(server_db, "SPILL", spill)
    got: dict[str, Any] = {}

    def work(tx: Tx) -> None:
        scenario(tx)
        got["spilled"] = tx.spilled
        got["feed"] = [tuple(r) for r in tx.conn.execute(select(feed).order_by(feed.c.seq))]
        cols = [c for c in outbound_changes.columns if c.name != "at"]
        got["out"] = [tuple(r) for r in tx.conn.execute(select(*cols).order_by(outbound_changes.c.seq))]
        got["top"] = tx.conn.execute(select(feed_counter.c.seq)).scalar_one()
        tx.entries.clear()
        tx.outbound.clear()
        raise Rollback

    with pytest.raises(Rollback):
        db.write(work)
    assert got["spilled"] == 0  # numbered: nothing left waiting
    return got["feed"], got["out"], got["top"]


def pending_tables(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        if db.is_postgres:
            q = "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relname LIKE 'fa_pending%'"
        else:
            q = "SELECT name FROM sqlite_temp_master WHERE name LIKE 'fa_pending%'"
        return [r[0] for r in conn.execute(text(q))]


def test_feed_numbered_from_the_pending_tables_is_the_feed_numbered_in_memory(db, monkeypatch):
    setup(db)
    with db.engine.connect() as conn:
        setup_top = conn.execute(select(feed_counter.c.seq)).scalar_one()
    in_memory = numbered(db, 10**9, monkeypatch)
    spilled = numbered(db, 3, monkeypatch)
    assert spilled == in_memory
    feed_rows, out_rows, top = in_memory
    # the scenario's own figures, so that the comparison is of something: each record once, the older rows
    # of the twelve records superseded, the new ones with their owner and team, the forms both kept
    kinds = [r[1] for r in feed_rows]
    assert kinds.count("record") == len(IDS) + len(NEW) and kinds.count("form") == 2 and kinds.count("revoke") == 1
    owners = {r[2]: (r[5], r[7]) for r in feed_rows if r[1] == "record"}
    s1 = get_user_id(db, "s1")
    c1 = get_user_id(db, "c1")
    assert set(owners) == set(IDS) | set(NEW) and set(owners.values()) == {(c1, s1)}
    new_out = [r[1] for r in out_rows if r[0] > setup_top]
    assert new_out == IDS[:8] + IDS[:8:2]  # the approved ones in the order they changed, the even ones twice
    assert top == feed_rows[-1][0] + len(new_out)  # numbered after the feed rows, from the same counter
    assert pending_tables(db) == []


def test_a_spilled_transaction_commits_and_the_next_one_spills_again(db, monkeypatch):
    setup(db)
    monkeypatch.setattr(server_db, "SPILL", 3)

    def outbound_rows() -> list[Any]:
        with db.engine.connect() as conn:
            return conn.execute(select(outbound_changes.c.seq, outbound_changes.c.record_id)).all()

    def classify(scale: str) -> None:
        db.write(lambda tx: apply_system_changes(tx, {rid: {"business_scale": scale} for rid in IDS}, "cls", scale))

    classify("1")
    first = len(outbound_rows())
    for scale in ("2", "1", "2"):  # each finds no table left by the one before on its connection
        classify(scale)
    with db.engine.connect() as conn:
        rows = conn.execute(select(feed.c.record_id).where(feed.c.kind == "record").order_by(feed.c.seq)).all()
    assert sorted(r[0] for r in rows) == sorted(IDS)  # one row per record: the older ones superseded
    out = outbound_rows()
    assert len(out) == first + 3 * 8  # each change of each of the eight approved customers
    assert len({r[0] for r in out}) == len(out)
    assert pending_tables(db) == []


def get_user_id(db: Database, name: str) -> int:
    with db.engine.connect() as conn:
        user = get_user(conn, name)
    assert user is not None
    return user.id

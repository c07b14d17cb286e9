"""The pull's access path (issue 21): a page reads the caller's feed rows by index in feed order, never the
whole feed, and its answers are those of the scope on the customers' rows (server.scope.visible_clause),
through saves, assignments, team changes, revokes and forms."""

from __future__ import annotations

import pytest
from sqlalchemy import and_, or_, select, text

from server import accounts, admin
from server.accounts import get_user
from server.db import bulk_insert
from server.feed import page_query
from server.schema import customers, feed, feed_counter
from server.scope import visible_clause
from tests.server.helpers import add_user, create, save

USERS = ("admin", "s1", "s2", "c1", "c2", "c3", "c4")


def _old_query(user, cursor: int, top: int, limit: int):
    """The pull's query until issue 21: the scope on the left-joined customer row (no index can drive it)."""
    return (
        select(feed.c.seq.label("f_seq"), feed.c.kind.label("f_kind"), feed.c.record_id.label("f_record_id"))
        .select_from(feed.outerjoin(customers, customers.c.id == feed.c.record_id))
        .where(feed.c.seq > cursor, feed.c.seq <= top)
        .where(or_(feed.c.audience_id.is_(None), feed.c.audience_id == user.id))
        .where(or_(feed.c.kind != "record", visible_clause(user)))
        .order_by(feed.c.seq)
        .limit(limit)
    )


def _same_answers(db) -> int:
    """Every user's whole feed and a page from the middle, by the new query and the old one; returns rows seen."""
    seen = 0
    with db.read() as conn:
        top = conn.execute(select(feed_counter.c.seq)).scalar_one()
        for name in USERS:
            user = get_user(conn, name)
            if user is None:
                continue
            for cursor, limit in ((0, 100_000), (top // 2, 7)):
                new = [(r.f_seq, r.f_kind, r.f_record_id) for r in conn.execute(page_query(user, cursor, top, limit))]
                old = [tuple(r) for r in conn.execute(_old_query(user, cursor, top, limit))]
                assert new == old, name
                seen += len(new)
    return seen


def test_the_scope_on_the_feed_gives_the_answers_of_the_scope_on_the_customers(db, api, world, settings):
    add_user(db, settings, "c4", "collector", "s2")
    c4 = api.token("c4")
    mine = [create(api, world["c1"])["id"] for _ in range(3)]
    theirs = [create(api, world["c3"])["id"] for _ in range(2)]
    own = create(api, world["s1"])["id"]
    create(api, c4)
    assert _same_answers(db) > 0
    db.write(lambda tx: admin.assign(tx, mine[0], "c3"))  # leaves s1's team: revokes, new scope
    db.write(lambda tx: admin.assign(tx, theirs[0], "s1"))  # to a supervisor
    assert api.push1(world["c1"], save(mine[1], {"shop_name": "改名"}, base=1))["status"] == "applied"
    _same_answers(db)
    assert db.write(lambda tx: admin.set_team(tx, "c2", "s2")) == 0
    assert db.write(lambda tx: admin.set_team(tx, "c1", "s2")) == 2  # c1 moves with the customers they own
    db.write(lambda tx: admin.assign(tx, own, "c4"))
    db.write(lambda tx: admin.set_team(tx, "c4", None))  # no team at all
    _same_answers(db)
    with db.read() as conn:  # the newest row of every record carries its customer's scope
        rows = conn.execute(
            select(
                feed.c.owner_id,
                feed.c.created_by_id,
                customers.c.owner_id.label("o"),
                customers.c.created_by_id.label("c"),
            ).join(customers, and_(customers.c.id == feed.c.record_id, feed.c.kind == "record"))
        ).all()
    assert rows and all((r.owner_id, r.created_by_id) == (r.o, r.c) for r in rows)


def test_a_record_entry_emitted_without_its_scope_gets_it_from_the_customer(db, api, world):
    from server.db import FeedEntry

    rid = create(api, world["c1"])["id"]
    db.write(lambda tx: tx.emit(FeedEntry("record", rid)))  # as an emitter that does not know the scope would
    with db.read() as conn:
        row = conn.execute(select(feed).where(feed.c.record_id == rid)).one()
        c1 = get_user(conn, "c1")
    assert (row.owner_id, row.created_by_id, row.team_id) == (c1.id, c1.id, c1.supervisor_id)
    assert [c["record_id"] for c in api.pull(world["c1"])["changes"] if c["kind"] == "record"] == [rid]
    _same_answers(db)


def test_the_migration_fills_in_the_scope_of_existing_rows(db, api, world):
    from tests.server.test_migrations import _to

    for _ in range(3):
        create(api, world["c1"])
    create(api, world["c3"])
    before = _same_answers(db)
    _to(db, "0006", down=True)
    _to(db, "head")
    assert _same_answers(db) == before


PLAN_ROWS = 40_000


def _plan(conn, query) -> str:
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    return "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + sql)))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has no statistics to plan by
def test_postgresql_reads_a_pull_page_by_the_scope_indexes(db, settings):
    """A province-shaped feed (40,000 rows, 160 collectors in 16 teams, revokes and forms): a collector's and
    a supervisor's page, from the start and from the end, use the scope indexes and never scan the feed."""
    db.write(lambda tx: accounts.add_user(tx, settings, "boss", "admin", "pass-word-123"))
    for t in range(16):
        db.write(lambda tx, t=t: accounts.add_user(tx, settings, f"s{t}", "supervisor", "pass-word-123"))
        for k in range(10):
            db.write(
                lambda tx, t=t, k=k: accounts.add_user(
                    tx, settings, f"c{t}x{k}", "collector", "pass-word-123", supervisor=f"s{t}"
                )
            )
    with db.read() as conn:
        people = {name: get_user(conn, name) for name in ("boss", "s3", "c3x4")}
        collectors = [get_user(conn, f"c{t}x{k}") for t in range(16) for k in range(10)]
    rows = []
    for seq in range(1, PLAN_ROWS + 1):
        if seq % 1000 == 0:
            rows.append(
                {
                    "seq": seq,
                    "kind": "revoke",
                    "record_id": f"r{seq}",
                    "audience_id": collectors[seq % 160].id,
                    "form_version": None,
                    "owner_id": None,
                    "created_by_id": None,
                    "team_id": None,
                }
            )
        else:
            owner = collectors[seq % 160]
            rows.append(
                {
                    "seq": seq,
                    "kind": "record",
                    "record_id": f"r{seq}",
                    "audience_id": None,
                    "form_version": None,
                    "owner_id": owner.id,
                    "created_by_id": owner.id,
                    "team_id": owner.supervisor_id,
                }
            )

    def fill(tx) -> None:
        bulk_insert(tx.conn, feed, rows)
        tx.conn.execute(feed_counter.update().values(seq=PLAN_ROWS))

    db.write(fill)
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE feed"))
        conn.commit()
        plans = {
            (name, cursor): _plan(conn, page_query(user, cursor, PLAN_ROWS, 1001))
            for name, user in people.items()
            for cursor in (0, PLAN_ROWS - 500)
        }
    for (name, cursor), plan in plans.items():
        assert "Seq Scan on feed" not in plan, (name, cursor, plan)
        if cursor:  # near the end: the few rows after the cursor, by the scope indexes or by the seq range
            assert "Index Scan" in plan or "Bitmap Index Scan" in plan, plan
            continue
        if name == "c3x4":
            assert "ix_feed_owner_seq" in plan and "ix_feed_created_by_seq" in plan, plan
        if name == "s3":
            assert "ix_feed_team_seq" in plan and "ix_feed_owner_seq" in plan, plan
        if name != "boss":
            assert "ix_feed_everyone_seq" in plan and "ix_feed_audience_seq" in plan, plan
    # and the pages hold what the scope says
    with db.read() as conn:
        got = [r.f_seq for r in conn.execute(page_query(people["c3x4"], 0, PLAN_ROWS, 100_000))]
    me = people["c3x4"].id
    assert got == [r["seq"] for r in rows if me in (r["owner_id"], r["audience_id"])]

"""The pull page as a union of index-driven branches (issue 21) gives exactly the pages of the scope on the
customers' rows (the query before issue 21): the same rows in the same order and the same cursors, for
every role, paged at several sizes, on a generated province that goes through saves, deletions,
handovers, assignments, team changes, role changes and a published form. On PostgreSQL, a page reads at
most a page's rows per branch (``EXPLAIN ANALYZE``), however many rows the caller's whole feed holds."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import or_, select, text

from app.models.catalogue import load_form
from server import accounts, admin, forms
from server.accounts import get_user
from server.administration import Actor, handover
from server.db import bulk_insert
from server.feed import page_query
from server.schema import customers, feed, feed_counter, users
from server.scope import visible_clause
from tests.server.helpers import PASSWORD, Api, delete, demo_values, save

SEED = 20261206
LIMITS = (1, 4, 9, 1000)


def _old_page(user: Any, cursor: int, top: int, limit: int) -> Any:
    """The pull's query before issue 21: the scope on the left-joined customer row (no index can drive it)."""
    return (
        select(feed.c.seq, feed.c.kind, feed.c.record_id, feed.c.form_version)
        .select_from(feed.outerjoin(customers, customers.c.id == feed.c.record_id))
        .where(feed.c.seq > cursor, feed.c.seq <= top)
        .where(or_(feed.c.audience_id.is_(None), feed.c.audience_id == user.id))
        .where(or_(feed.c.kind != "record", visible_clause(user)))
        .order_by(feed.c.seq)
        .limit(limit)
    )


def _walk(conn: Any, query: Any, user: Any, top: int, limit: int) -> list[tuple[Any, ...]]:
    """Every page from cursor 0 as ``server.feed.pull`` pages (``limit + 1`` read, the cursor handed back)."""
    pages: list[tuple[Any, ...]] = []
    cursor = 0
    for _ in range(10_000):
        rows = conn.execute(query(user, cursor, top, limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = rows[-1][0] if more else top
        pages.append((tuple((r[0], r[1], r[2], r[3]) for r in rows), cursor, more))
        if not more:
            return pages
    raise AssertionError("the feed did not end")


def _compare(db: Any) -> int:
    """Every user's full sync at every page size, by both queries; returns the rows the users were sent."""
    sent = 0
    with db.read() as conn:
        top = conn.execute(select(feed_counter.c.seq)).scalar_one()
        names = conn.execute(select(users.c.name).order_by(users.c.id)).scalars().all()
        for name in names:
            user = get_user(conn, name)
            for limit in LIMITS:
                new = _walk(conn, page_query, user, top, limit)
                old = _walk(conn, _old_page, user, top, limit)
                assert new == old, (name, user.role, limit)
            sent += sum(len(p[0]) for p in new)
    return sent


BUNDLED = load_form().version  # the version a new database starts with


def _form(tmp: Path, version: int) -> Path:
    data = load_form().to_dict()
    data["version"] = version
    path = tmp / f"form{version}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_branches_page_as_the_scope_on_the_customers_did(db, api: Api, settings, tmp_path):
    rng = random.Random(SEED)
    teams = {"s1": ["a1", "a2", "a3"], "s2": ["b1", "b2"], "s3": []}
    db.write(lambda tx: accounts.add_user(tx, settings, "boss", "admin", PASSWORD))
    for sup, members in teams.items():
        db.write(lambda tx, s=sup: accounts.add_user(tx, settings, s, "supervisor", PASSWORD))
        for m in members:
            db.write(lambda tx, m=m, s=sup: accounts.add_user(tx, settings, m, "collector", PASSWORD, supervisor=s))
    db.write(lambda tx: accounts.add_user(tx, settings, "loner", "collector", PASSWORD))  # in no team
    makers = ["a1", "a2", "a3", "b1", "b2", "s1", "s2", "loner"]
    tokens = {n: api.token(n) for n in makers}
    held: dict[str, tuple[str, int]] = {}  # record id -> (its owner's name, its version)
    for maker in makers:
        values = demo_values(rng.randint(3, 6), seed=rng.randint(0, 10**6))
        muts = [save(str(uuid.uuid4()), v) for v in values]
        for r in api.push(tokens[maker], *muts):
            assert r["status"] == "applied", r
            held[r["record"]["id"]] = (maker, r["record"]["version"])
    assert _compare(db) > 0
    boss = Actor("boss", "cli")
    for step in range(24):
        rid = rng.choice(sorted(held))
        owner, version = held[rid]
        op = step % 8
        if op in (0, 5):  # another user takes it over (a collector, a supervisor, one in no team)
            to = rng.choice([n for n in makers if n != owner] + ["s3"])
            db.write(lambda tx, r=rid, t=to: admin.assign(tx, r, t))
            held[rid] = (to, version + 1)
        elif op == 1 and owner in tokens:  # the owner saves it
            res = api.push1(tokens[owner], save(rid, {"shop_name": f"店{step}"}, base=version))
            if res["status"] == "applied":
                held[rid] = (owner, res["record"]["version"])
        elif op == 2:  # a handover of everything a collector holds
            giver = rng.choice(["a1", "a2", "b1", "b2"])
            to = rng.choice([n for n in ("a3", "b2", "s2", "loner") if n != giver])
            if any(o == giver for o, _ in held.values()):
                handover(db, boss, to, [], from_user=giver, note="调岗")
                held = {r: ((to, v + 1) if o == giver else (o, v)) for r, (o, v) in held.items()}
        elif op == 3:  # a collector changes team (or leaves every team)
            who = rng.choice(["a2", "b1", "loner"])
            db.write(lambda tx, w=who: admin.set_team(tx, w, rng.choice(["s1", "s2", "s3", None])))
        elif op == 4 and owner in tokens:  # the owner deletes it
            res = api.push1(tokens[owner], delete(rid, version))
            if res["status"] == "applied":
                del held[rid]
        elif op == 6:  # s3 (no team) becomes a collector in s1's team and back
            db.write(lambda tx: admin.set_role(tx, "s3", "collector"))
            db.write(lambda tx: admin.set_team(tx, "s3", "s1"))
            _compare(db)
            db.write(lambda tx: admin.set_team(tx, "s3", None))
            db.write(lambda tx: admin.set_role(tx, "s3", "supervisor"))
        elif op == 7:
            db.write(lambda tx, v=BUNDLED + 1 + step // 8: forms.publish(tx, _form(tmp_path, v), "boss"))
        if step % 4 == 3:
            _compare(db)
    with db.read() as conn:
        kinds = set(conn.execute(select(feed.c.kind)).scalars())
        handed = conn.execute(
            select(feed.c.seq).where(feed.c.kind == "record", feed.c.owner_id != feed.c.created_by_id)
        ).all()
    assert {"record", "revoke", "form"} <= kinds and handed  # every branch had rows to find
    _compare(db)


PLAN_ROWS = 40_000
BRANCH_INDEXES = ("ix_feed_owner_seq", "ix_feed_created_by_seq", "ix_feed_audience_seq", "ix_feed_everyone_seq")


def _province(db: Any, settings: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """40,000 feed rows: 160 collectors in 80 teams (a team holds 1/80 of the feed, as at ~200,000
    customers), one record in 50 created by another than its owner, a revoke in 200 addressed to a
    collector, a form in 5,000."""
    db.write(lambda tx: accounts.add_user(tx, settings, "boss", "admin", PASSWORD))
    for t in range(80):
        db.write(lambda tx, t=t: accounts.add_user(tx, settings, f"s{t}", "supervisor", PASSWORD))
        for k in range(2):
            db.write(
                lambda tx, t=t, k=k: accounts.add_user(
                    tx, settings, f"c{t}x{k}", "collector", PASSWORD, supervisor=f"s{t}"
                )
            )
    with db.read() as conn:
        people = {name: get_user(conn, name) for name in ("boss", "s3", "c3x1")}
        collectors = [get_user(conn, f"c{t}x{k}") for t in range(80) for k in range(2)]
    rows = []
    for seq in range(1, PLAN_ROWS + 1):
        row = {"seq": seq, "kind": "record", "record_id": f"r{seq}", "audience_id": None, "form_version": None}
        owner = collectors[seq % 160]
        if seq % 5000 == 0:
            row.update(kind="form", record_id=None, form_version=seq // 5000, owner_id=None, created_by_id=None)
            row["team_id"] = None
        elif seq % 200 == 0:
            row.update(kind="revoke", audience_id=collectors[(seq // 200) % 160].id)
            row.update(owner_id=None, created_by_id=None, team_id=None)
        else:
            maker = collectors[(seq + 1) % 160] if seq % 50 == 0 else owner
            row.update(owner_id=owner.id, created_by_id=maker.id, team_id=owner.supervisor_id)
        rows.append(row)

    def fill(tx: Any) -> None:
        bulk_insert(tx.conn, feed, rows)
        tx.conn.execute(feed_counter.update().values(seq=PLAN_ROWS))

    db.write(fill)
    return people, rows


def _feed_rows_read(node: dict[str, Any]) -> int:
    """The rows the scans of ``feed`` in an ``EXPLAIN (ANALYZE, FORMAT JSON)`` plan returned, removed
    by their filters included (what the page cost in the feed)."""
    own = 0
    if node.get("Relation Name") == "feed":
        loops = node.get("Actual Loops", 1)
        own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
    return own + sum(_feed_rows_read(child) for child in node.get("Plans", []))


def _explain(conn: Any, query: Any, analyze: bool = False) -> Any:
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if analyze:
        return conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)).scalar_one()[0]["Plan"]
    return "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + sql)))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has no statistics to plan by
def test_postgresql_walks_each_branch_by_its_index_and_reads_a_page(db, settings):
    people, rows = _province(db, settings)
    page = 101
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE feed"))
        conn.commit()
        for name, user in people.items():
            for cursor in (0, PLAN_ROWS // 2, PLAN_ROWS - 500):
                plan = _explain(conn, page_query(user, cursor, PLAN_ROWS, page))
                assert "Seq Scan on feed" not in plan, (name, cursor, plan)
                assert "BitmapOr" not in plan, (name, cursor, plan)
                if name == "boss":
                    continue
                for index in BRANCH_INDEXES:
                    assert index in plan, (name, cursor, index, plan)
                assert ("ix_feed_team_seq" in plan) == (name == "s3"), plan
                # whatever the caller's feed holds after the cursor (2,500 rows for s3), a page reads a page
                read = _feed_rows_read(_explain(conn, page_query(user, cursor, PLAN_ROWS, page), analyze=True))
                assert read <= 5 * page, (name, cursor, read)
    # and the pages hold what the scope says
    me, sup = people["c3x1"], people["s3"]
    with db.read() as conn:
        got = [r.f_seq for r in conn.execute(page_query(me, 0, PLAN_ROWS, 100_000))]
        team = [r.f_seq for r in conn.execute(page_query(sup, 0, PLAN_ROWS, 100_000))]
    assert got == [
        r["seq"]
        for r in rows
        if r["kind"] == "form" or me.id in (r.get("owner_id"), r.get("created_by_id"), r["audience_id"])
    ]
    assert team == [r["seq"] for r in rows if r["kind"] == "form" or r.get("team_id") == sup.id]

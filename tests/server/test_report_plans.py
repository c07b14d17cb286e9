"""The monthly report's queries are answered from indexes on PostgreSQL (EXPLAIN on a few thousand
customers spread over many teams): the supervisor's and the collector's scope, the month's versions
by time, and the month's visits by their day. The old supervisor scope (a sub-select inside an OR)
is checked too, so the test shows what it guards against."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql

from server.calendar import server_calendar
from server.config import CHINA_TZ
from server.db import bulk_insert
from server.forms import current_form
from server.reports import adjustments_query, customers_query, monthly, parse_month, visits_query
from server.schema import customer_versions, customers, users, visits
from server.scope import Directory, visible_clause, visible_clause_indexed
from tests.server.helpers import add_user

TEAMS, PER_TEAM, PER_COLLECTOR = 40, 3, 60
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # query plans are PostgreSQL's


@pytest.fixture
def big(db, settings):
    add_user(db, settings, "admin", "admin")
    for t in range(TEAMS):
        add_user(db, settings, f"s{t}", "supervisor")
        for c in range(PER_TEAM):
            add_user(db, settings, f"c{t}_{c}", "collector", f"s{t}")
    with db.engine.begin() as conn:
        ids = {r.name: r.id for r in conn.execute(select(users.c.id, users.c.name))}
        start = dt.datetime(2025, 1, 1, tzinfo=CHINA_TZ).timestamp()
        rows, versions, vis = [], [], []
        n = 0
        for name, uid in ids.items():
            if not name.startswith("c"):  # collectors own the customers
                continue
            for _ in range(PER_COLLECTOR):
                rid, n = str(uuid.uuid4()), n + 1
                at = start + (n % 600) * 86400
                rows.append(
                    {
                        "id": rid,
                        "version": 2,
                        "status": "draft",
                        "code": None,
                        "code_official": False,
                        "form_version": 1,
                        "data": json.dumps({"shop_name": f"S{n}"}),
                        "approved_data": None,
                        "field_versions": "{}",
                        "review": None,
                        "missing_photos": "[]",
                        "owner_id": uid,
                        "created_by_id": uid,
                        "deleted": False,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                for ver in (1, 2):
                    versions.append(
                        {
                            "record_id": rid,
                            "version": ver,
                            "prev_version": ver - 1,
                            "kind": "save",
                            "changes": "{}",
                            "status": "draft",
                            "actor_id": uid,
                            "mutation_id": None,
                            "provenance": None,
                            "at": at + ver,
                        }
                    )
                day = dt.date(2025, 1, 1) + dt.timedelta(days=n % 600)
                vis.append(
                    {
                        "id": str(uuid.uuid4()),
                        "customer_id": rid,
                        "created_by_id": uid,
                        "created_at": at,
                        "data": json.dumps({"visited_on": day.isoformat()}),
                        "visited_on": day.isoformat(),
                    }
                )
        bulk_insert(conn, customers, rows)
        bulk_insert(conn, customer_versions, versions)
        bulk_insert(conn, visits, vis)
        conn.execute(text("ANALYZE"))
    return ids


def _plan(db, q: Any, third: str = "Index Name") -> list[tuple[str, str | None, str | None]]:
    """Every node of the plan: (node type, table, index; or another of the node's keys, ``third``)."""
    sql = str(q.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        doc = conn.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar_one()
    out = []

    def walk(node: dict[str, Any]) -> None:
        out.append((node["Node Type"], node.get("Relation Name"), node.get(third)))
        for child in node.get("Plans", []):
            walk(child)

    walk(doc[0]["Plan"])
    return out


def _scans(plan, table: str) -> set[str]:
    return {t for t, rel, _i in plan if rel == table}


def _indexes(plan) -> set[str]:
    return {i for _t, _r, i in plan if i}


def _user(db, name: str):
    with db.engine.connect() as conn:
        d = Directory.load(conn)
    return next(u for u in d.by_id.values() if u.name == name), d


def test_supervisor_and_collector_scopes_use_the_indexes(db, big):
    sup, d = _user(db, "s7")
    plan = _plan(db, customers_query(visible_clause_indexed(sup, d)))
    assert "Seq Scan" not in _scans(plan, "customers"), plan
    assert {"ix_customers_owner_id", "ix_customers_created_by_id"} <= _indexes(plan), plan
    col, d = _user(db, "c3_1")
    plan = _plan(db, customers_query(visible_clause_indexed(col, d)))
    assert "Seq Scan" not in _scans(plan, "customers"), plan
    assert "ix_customers_owner_id" in _indexes(plan), plan
    # what this replaces: the team as a sub-select inside the OR reads every customer
    assert "Seq Scan" in _scans(_plan(db, customers_query(visible_clause(sup))), "customers")


def test_month_of_versions_and_visits_are_read_by_time(db, big):
    first, nxt = parse_month("2025-06")
    admin, d = _user(db, "admin")
    for user in (admin, _user(db, "s3")[0]):
        plan = _plan(db, adjustments_query(visible_clause_indexed(user, d), first, nxt))
        assert "Seq Scan" not in _scans(plan, "customer_versions"), plan
        assert "ix_customer_versions_at" in _indexes(plan), plan
        plan = _plan(db, visits_query(visible_clause_indexed(user, d), first, nxt))
        assert "Seq Scan" not in _scans(plan, "visits"), plan
        assert "ix_visits_visited_on" in _indexes(plan), plan


def test_the_reports_streamed_queries_are_planned_for_all_their_rows(db, big):
    """A server-side cursor is planned for its first tenth of rows by default; the report reads every row,
    so its transaction plans for all of them (a supervisor's month of versions was walked in time order
    through the whole province's at 500,000 customers), and the next transaction is back to the default."""
    sup, _d = _user(db, "s3")
    with db.read() as conn:
        assert conn.exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "0.1"
        report = monthly(conn, sup, current_form(conn), server_calendar(conn), "2025-06")
        assert conn.exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "1"
    assert report["completeness"]
    with db.read() as conn:
        assert conn.exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "0.1"

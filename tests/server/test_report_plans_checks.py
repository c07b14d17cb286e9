"""The monthly report's overdue checks and reviews on PostgreSQL (EXPLAIN, issue 21): a team's are read
customer by customer from the index on (record id, kind, day), so their cost follows the team, not the
province; everyone's (the admin) in one pass over the checks. The shop name comes from its column."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from app.models.catalogue import load_form
from app.models.workdays import WorkCalendar
from server.db import bulk_insert
from server.report_scale import overdue_query
from server.schema import customer_checks, customers
from server.scope import visible_clause_indexed
from tests.server.test_report_plans import _indexes, _plan, _scans, _user, big

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # query plans are PostgreSQL's
__all__ = ["big"]  # the fixture, used by name


@pytest.fixture
def checked(db, big):
    with db.engine.begin() as conn:
        rows = conn.execute(select(customers.c.id, customers.c.owner_id)).all()
        checks = [
            {"record_id": r.id, "kind": kind, "day": f"2025-0{1 + i % 9}-15", "by_id": r.owner_id, "at": 0.0}
            for i, r in enumerate(rows)
            for kind in ("quarterly", "static")
        ]
        bulk_insert(conn, customer_checks, checks)
        conn.execute(text("ANALYZE"))
    return big


def _query(db, name: str, kind: str):
    user, d = _user(db, name)
    as_of = dt.date(2025, 11, 30)
    return overdue_query(True, visible_clause_indexed(user, d), load_form(), WorkCalendar.load(), kind, as_of, as_of)


def test_a_teams_overdue_checks_are_read_from_the_index_per_customer(db, checked):
    for kind in ("quarterly", "static"):
        plan = _plan(db, _query(db, "s7", kind))
        assert "Seq Scan" not in _scans(plan, "customers"), plan
        assert "Seq Scan" not in _scans(plan, "customer_checks"), plan
        assert "ix_customer_checks_record_kind_day" in _indexes(plan), plan
        assert "ix_customers_owner_id" in _indexes(plan), plan


def test_the_shop_name_is_read_from_its_column(db, checked):
    sql = str(_query(db, "admin", "quarterly").compile(compile_kwargs={"literal_binds": True}))
    assert "coalesce(customers.shop_name" in sql.lower()


@pytest.mark.parametrize("kind", ["quarterly", "static"])  # static: the half-yearly review
def test_a_teams_overdue_checks_follow_the_team_not_the_province_users(db, big, kind):
    """A supervisor's quarterly checks and half-yearly reviews when no customer is older than the quarter
    (a young archive): the planner walked every user of the province in name order, each into its
    customers (0.7 s a query at 500,000 customers, 2,202 users, for a team of 11). The team's customers
    come from the owner index and each row's owner name by its key."""
    sup, d = _user(db, "s7")
    form, cal = load_form(), WorkCalendar.load()
    for as_of in (dt.date(2025, 1, 20), dt.date(2026, 9, 20)):  # nobody yet before the quarter; most before it
        query = overdue_query(True, visible_clause_indexed(sup, d), form, cal, kind, as_of, as_of)
        plan = _plan(db, query, "Parent Relationship")
        assert "Seq Scan" not in _scans(plan, "customers"), plan
        on_users = [(t, p) for t, r, p in plan if r == "users"]
        assert on_users and all(p == "SubPlan" for _t, p in on_users), plan

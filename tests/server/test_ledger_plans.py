"""The ledger's queries are answered from indexes on PostgreSQL (EXPLAIN on the monthly report's data
set of a few thousand customers over many teams): the period's events by time, for an admin, a market
manager, one collector and a later page (a small scope may go from its customers to their versions by
the primary key instead); an approval's earlier versions by the primary key."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.ledger import _cursor, events_query
from server.schema import customer_versions
from server.scope import visible_clause_indexed
from tests.server.test_report_plans import _indexes, _plan, _scans, _user, big  # noqa: F401 (big: the fixture)

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # query plans are PostgreSQL's


def test_the_period_is_read_by_time_in_every_scope(db, big):  # noqa: F811
    first, last = dt.date(2025, 6, 1), dt.date(2025, 6, 30)
    admin, d = _user(db, "admin")
    sup, _d = _user(db, "s3")
    col, _d = _user(db, "c3_1")
    cases = [
        (admin, None, None),
        (sup, None, None),
        (sup, col, None),
        (col, None, _cursor("1748736000.5:00000000-0000-0000-0000-000000000000:2")),
    ]
    for user, owner, after in cases:
        plan = _plan(db, events_query(visible_clause_indexed(user, d), first, last, owner, after))
        assert "Seq Scan" not in _scans(plan, "customer_versions"), (user.name, plan)
        # the whole deployment by time; a team or one collector may start from their customers (owner index)
        # and reach the versions by the primary key: either way no version outside the scope is read whole
        wanted = {"ix_customer_versions_at"} if user is admin else {"ix_customer_versions_at", "customer_versions_pkey"}
        assert wanted & _indexes(plan), (user.name, plan)
        assert "Seq Scan" not in _scans(plan, "customers") or user is admin, (user.name, plan)


def test_an_approvals_earlier_versions_are_read_by_the_primary_key(db, big):  # noqa: F811
    v = customer_versions.c
    q = (
        select(v.version, v.kind, v.status)
        .where(v.record_id == "00000000-0000-0000-0000-000000000000", v.version < 9)
        .order_by(v.version.desc())
    )
    plan = _plan(db, q)
    assert "Seq Scan" not in _scans(plan, "customer_versions") and "customer_versions_pkey" in _indexes(plan), plan

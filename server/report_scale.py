"""The monthly report's completeness and overdue rules as SQL over the stored completeness (issue 21).

``server.completeness`` stores each customer's completeness when it is written. Here the report reads it:

- :func:`completeness_sums`: per owner, customers, complete ones, empty required values and the count of
  each field empty, one ``GROUP BY`` over the customers whose stored answer holds on the report's day;
- :func:`overdue_stream`: the overdue rows of one kind (new customers, quarterly checks, half-yearly
  reviews) in the report's order (owner, code, record id: compared by code point, as Python compares
  text), read from the database as they are written out, so memory does not follow the rows.

The customers whose stored answer does not hold (never computed, another form version, an error that
the day may clear: ``server.completeness.fresh_clause``) are left to the Python rules of
``server.reports``, which these reproduce (the existing report tests hold both to the same contents).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import JSON, and_, case, cast, collate, exists, func, not_, or_, select
from sqlalchemy.sql.elements import True_

from app.models.catalogue import FormDefinition
from app.models.workdays import WorkCalendar, half_year_start, quarter_start
from app.validation.completeness import KEEPER, new_customer_due
from app.validation.validator import counts_for
from server import completeness
from server.config import CHINA_TZ
from server.schema import customer_checks, customers, users

STREAM = 2000
BITS = completeness.BITS  # rows fetched per round trip while streaming


def _ts(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).timestamp()


def candidates(form: FormDefinition) -> list[tuple[str, int]]:
    """(key, bit) of every field that may count as an empty required value (``validate_values``'s plan)."""
    bits = completeness.field_bits(form) or {}
    return [
        (f.key, bits[f.key])
        for f in form.fields
        if (f.required.is_required or f.required_if is not None) and counts_for(f, KEEPER) and f.key in bits
    ]


def open_visible(visible: Any) -> Any:
    c = customers.c
    return and_(visible, c.deleted.is_(False), c.closed_at.is_(None))


def completeness_sums(
    conn: Any, visible: Any, form: FormDefinition, today: dt.date
) -> dict[int, tuple[int, int, dict[str, int]]]:
    """owner id -> (customers, complete ones, {field: times empty}) over the visible open customers whose
    stored completeness holds on ``today``."""
    c = customers.c
    fields = candidates(form)
    sums = [  # bit b of the pair set: the field was empty (a BIGINT mask ANDed with a BIGINT: both databases)
        func.sum(case((getattr(c, completeness.COLUMNS[b // BITS]).op("&")(1 << (b % BITS)) != 0, 1), else_=0))
        for _k, b in fields
    ]
    q = (
        select(c.owner_id, func.count(), func.sum(case((c.cmp_missing == 0, 1), else_=0)), *sums)
        .where(open_visible(visible), completeness.fresh_clause(form, today))
        .group_by(c.owner_id)
    )
    out = {}
    for row in conn.execute(q):
        missing = {k: int(n) for (k, _b), n in zip(fields, row[3:], strict=True) if n}
        out[int(row[0])] = (int(row[1]), int(row[2] or 0), missing)
    return out


def stale_query(visible: Any, form: FormDefinition, today: dt.date, columns: list[Any]) -> Any:
    """The visible open customers whose stored completeness does not hold on ``today``."""
    c = customers.c
    stale = or_(
        c.cmp_form.is_(None),
        c.cmp_form != form.version,
        c.cmp_dated.is_(None),
        c.cmp_dated.is_(True),
        c.cmp_day.is_(None),
        c.cmp_day > today.isoformat(),
    )
    return select(*columns).where(open_visible(visible), stale)


def last_bound_late(cal: WorkCalendar, as_of: dt.date) -> dt.date:
    """The last binding day whose 5 working days are over on ``as_of`` (``new_customer_due`` grows with
    the binding day, so a customer bound on or before it is past its deadline, one bound later is not)."""
    day = as_of
    while new_customer_due(day, cal) >= as_of:
        day -= dt.timedelta(days=1)
    return day


KINDS = ("new", "quarterly", "static")


def overdue_query(
    post: bool, visible: Any, form: FormDefinition, cal: WorkCalendar, kind: str, today: dt.date, as_of: dt.date
) -> Any:
    """The query of :func:`overdue_stream` (``post``: for PostgreSQL, else SQLite): (record id, code, shop
    name, binding day, owner's name) in the report's order."""
    c, k = customers.c, customer_checks.c

    def order(expr: Any) -> Any:
        return collate(expr, "C") if post else collate(expr, "BINARY")

    if kind == "new":
        late = last_bound_late(cal, as_of)
        where = and_(
            completeness.fresh_clause(form, today),
            c.created_at < _ts(as_of + dt.timedelta(days=1)),
            c.binding_on.is_not(None),
            c.binding_on <= late.isoformat(),
            not_(and_(c.status == "approved", c.cmp_ok.is_(True))),
        )
    else:
        start = quarter_start(as_of) if kind == "quarterly" else half_year_start(as_of)
        if isinstance(visible, True_):  # everyone: one pass over the checks (a hash anti-join)
            not_done: Any = not_(exists().where(k.record_id == c.id, k.kind == kind, k.day >= start.isoformat()))
        else:  # a team: its last check, customer by customer, from the index (the cost follows the team)
            last = select(func.max(k.day)).where(k.record_id == c.id, k.kind == kind).scalar_subquery()
            not_done = func.coalesce(last, "") < start.isoformat()
        where = and_(c.created_at < _ts(start), not_done)
    # the stored column (server.completeness); the row's JSON only where it is NULL (absent, or not text)
    from_json = cast(c.data, JSON)["shop_name"].as_string() if post else func.json_extract(c.data, "$.shop_name")
    shop = func.coalesce(c.shop_name, from_json)
    if isinstance(visible, True_):  # the province: one hash join of its users
        q = select(c.id, c.code, shop, c.binding_on, users.c.name).join(users, users.c.id == c.owner_id)
        owner: Any = users.c.name
    else:  # a team: the owner's name by its key, per row; a join let the planner walk every user of the
        # province in name order into their customers (0.7 s a query at 500,000 customers for a team of 11)
        owner = select(users.c.name).where(users.c.id == c.owner_id).scalar_subquery()
        q = select(c.id, c.code, shop, c.binding_on, owner).where(c.owner_id.is_not(None))
    return q.where(open_visible(visible), where).order_by(order(owner), order(func.coalesce(c.code, "")), order(c.id))


def overdue_stream(
    conn: Any,
    visible: Any,
    form: FormDefinition,
    cal: WorkCalendar,
    kind: str,
    today: dt.date,
    as_of: dt.date,
    days: dict[dt.date, str],
) -> Iterator[tuple[Any, ...]]:
    """The overdue rows of ``kind`` as ``server.reports`` makes them (tuples in the report's order), read
    a few thousand at a time. New customers: only those whose stored completeness holds on ``today`` (the
    others are the Python rule's); checks and reviews: every visible open customer."""
    post = conn.dialect.name == "postgresql"
    q = overdue_query(post, visible, form, cal, kind, today, as_of).execution_options(yield_per=STREAM)
    if kind != "new":
        start = quarter_start(as_of) if kind == "quarterly" else half_year_start(as_of)
        fixed_due = start - dt.timedelta(days=1)
    index = KINDS.index(kind)
    workdays: dict[dt.date, int] = {}
    dues: dict[str, dt.date] = {}
    for rid, code, shop_name, binding, owner in (r for part in conn.execute(q).partitions() for r in part):
        if kind == "new":
            due = dues.get(binding)
            if due is None:
                due = dues[binding] = new_customer_due(dt.date.fromisoformat(binding), cal)
        else:
            due = fixed_due
        if due not in workdays:
            workdays[due] = cal.workdays_between(due, as_of)
        yield (
            index,
            owner or "",
            code or "",
            rid,
            code,
            shop_name,
            owner,
            kind,
            days.setdefault(due, due.isoformat()),
            workdays[due],
        )

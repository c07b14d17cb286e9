"""The monthly reports (§5: due by the 3rd of each month), computed on the server.

The server is the only place that holds every customer, visit and check of a team, so a market
manager's report counts what the collectors synced, not what one laptop happens to hold. One
call returns four tables for one calendar month (in China time), limited to what the caller may
see (a collector: their own customers; a market manager: their team; a viewer placed at a province,
city or county: every team below it, ``server.scope.for_reports``; an admin: everyone):

- ``category_adjustments`` (客户类别调整情况表): every change that month to a field that makes
  up the customer's category (market type, retail format, business scale, classification code)
  of a customer that already existed (the values a customer is created with are not an
  adjustment), from the version history, oldest first;
- ``completeness`` (档案完整率): per collector, customers, complete archives, incomplete ones,
  required values missing and the fields missing most often, as the archive stands now;
- ``overdue`` (逾期维护): on the report's day (the month's last day, or today for the running
  month): new customers not complete within 5 working days of binding, quarterly checks not done
  this quarter, half-yearly reviews of the static information not done this half year;
- ``visits`` (拜访情况): per collector, visits made that month, customers visited, customers
  assigned, and visits that recorded a sales anomaly;
- ``complaints`` (投诉处理情况) and ``complaints_total``: per collector (the customers' owner) and in
  total, complaints received that month, closed, closed within their deadline, and overdue
  (``server.integrity.month_figures``).

Working days follow the work calendar (holidays and make-up working days).
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import Select, case, func, select

from app.models.catalogue import FormDefinition
from app.models.wire import UserRole
from app.models.workdays import WorkCalendar, half_year_start, quarter_start
from app.validation import validate_values
from app.validation.completeness import KEEPER, new_customer_due, new_customer_late
from server import report_scale as scale
from server.accounts import User
from server.checks import with_quality
from server.config import CHINA_TZ, iso
from server.errors import ApiError
from server.integrity import FIGURES, month_figures
from server.schema import customer_checks, customer_versions, customers, visits
from server.scope import Directory, for_reports, visible_clause_indexed

CATEGORY_KEYS = ("market_type", "retail_format", "business_scale", "classification_code")
TOP_MISSING = 5


#: The months a report may cover: beyond them the dates of a month (and the timestamps of its days)
#: leave what the calendar and the database can hold (9999-12 has no next month).
FIRST_YEAR, LAST_YEAR = 1970, 2999


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """'2026-10' -> (first day, first day of the next month)."""
    try:
        first = dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ApiError(
            422,
            "bad_month",
            "The month must be given as YYYY-MM, for example 2026-10.",
            fields=[{"field": "month", "code": "month.format", "message": "The month must be given as YYYY-MM."}],
        ) from None
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        message = f"The month must lie between {FIRST_YEAR}-01 and {LAST_YEAR}-12."
        raise ApiError(
            422, "bad_month", message, fields=[{"field": "month", "code": "month.range", "message": message}]
        )
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, nxt


def _ts(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).timestamp()


def _day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts, CHINA_TZ).date()


def collectors_of(user: User, d: Directory) -> list[User]:
    """The people whose work the report covers, in a stable order."""
    if user.role == UserRole.ADMIN.value:
        people = [u for u in d.by_id.values() if u.role != UserRole.ADMIN.value]
    elif user.role == UserRole.SUPERVISOR.value:
        people = [u for u in d.by_id.values() if u.supervisor_id == user.id or u.id == user.id]
    elif user.role == UserRole.VIEWER.value:  # the teams of their subtree (server.scope.for_reports)
        teams = set(user.teams or ())
        people = [u for u in d.by_id.values() if u.id in teams or u.supervisor_id in teams]
    else:
        people = [user]
    return sorted(people, key=lambda u: (u.role != UserRole.COLLECTOR.value, u.name))


#: Customers read per round trip while the report streams over them (memory is bounded by one chunk).
CHUNK = 2000


def check_month(month: str, now: float) -> tuple[dt.date, dt.date, dt.date]:
    """(first day, first day of the next month, today) of a month a report may cover; 422 otherwise."""
    first, nxt = parse_month(month)
    today = _day(now)
    if first > today:
        raise ApiError(
            422,
            "future_month",
            "That month has not begun yet.",
            fields=[{"field": "month", "code": "month.future", "message": "That month has not begun yet."}],
        )
    return first, nxt, today


def count_customers(conn: Any, user: User) -> int:
    """How many customers the caller's report goes through (its progress's total)."""
    user = for_reports(conn, user)
    visible = visible_clause_indexed(user, Directory.load(conn))
    return int(
        conn.execute(
            select(func.count())
            .select_from(customers)
            .where(visible, customers.c.deleted.is_(False), customers.c.closed_at.is_(None))
        ).scalar_one()
    )


def monthly(
    conn: Any,
    user: User,
    form: FormDefinition,
    cal: WorkCalendar,
    month: str,
    now: float | None = None,
    progress: Callable[[int], None] | None = None,
    compact: bool = False,
) -> dict[str, Any]:
    """The month's four tables. Computed close to the data: each query is limited by an indexed scope
    (:func:`server.scope.visible_clause_indexed`), the month's versions by their time and the month's
    visits by their day. Completeness and the overdue rules read the completeness stored with each
    customer (``server.completeness``) in SQL (``server.report_scale``); the customers whose stored
    answer does not hold on the day are validated here in chunks, as before. ``progress`` is called with
    the number of customers each step went through. With ``compact`` the overdue rows (one to three per
    customer: the report's bulk) are an iterator of tuples read from the database as it is consumed
    (:func:`write_json` writes them while ``conn`` is open; :func:`overdue_dict` makes each a row)."""
    now = time.time() if now is None else now
    first, nxt, today = check_month(month, now)
    as_of = min(today, nxt - dt.timedelta(days=1))
    if conn.dialect.name == "postgresql":
        # Every row of the streamed queries is read: plan them for all their rows (as EXPLAIN and the plan
        # tests do), not for a first tenth (a server-side cursor's default), which walked a supervisor's
        # month of versions in time order through the whole province's (issue 21).
        conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
    user = for_reports(conn, user)  # a viewer: the teams of their subtree as the tree stands now
    d = Directory.load(conn)
    people = collectors_of(user, d)
    visible = visible_clause_indexed(user, d)
    completeness: dict[int, dict[str, Any]] = {u.id: _blank() for u in people}
    assigned: Counter[int] = Counter()
    # the customers whose stored completeness holds (server.completeness): summed in SQL
    for uid, (n, complete_n, missing) in scale.completeness_sums(conn, visible, form, today).items():
        s = completeness.setdefault(uid, _blank())
        s["customers"] += n
        s["complete"] += complete_n
        s["missing"].update(missing)
        assigned[uid] += n
        if progress is not None:
            progress(n)
    # the others (not computed yet, another form, an error the day may clear): validated here, as before
    stale_new: list[tuple[Any, ...]] = []
    days: dict[dt.date, str] = {}  # the few due dates, each as one string
    cols = list(customers_query(visible).selected_columns)
    stale = scale.stale_query(visible, form, today, cols).execution_options(yield_per=CHUNK)
    for part in conn.execute(stale).partitions():
        values = {r.id: json.loads(r.data) for r in part}
        complete = {}
        for r in part:
            assigned[r.owner_id] += 1
            complete[r.id] = _count_complete(completeness, form, r, values[r.id], today)
        rows = _overdue_rows(conn, d, cal, part, values, as_of, days, complete)
        stale_new.extend(t for t in rows if t[0] == _KINDS["new"])  # checks and reviews: all in SQL below
        if progress is not None:
            progress(len(part))
    stale_new.sort()

    def overdue() -> Iterator[tuple[Any, ...]]:
        """Every overdue row in the report's order, read as it is written."""
        fresh_new = scale.overdue_stream(conn, visible, form, cal, "new", today, as_of, days)
        yield from heapq.merge(fresh_new, stale_new)
        for kind in ("quarterly", "static"):
            yield from scale.overdue_stream(conn, visible, form, cal, kind, today, as_of, days)

    return {
        "month": first.strftime("%Y-%m"),
        "as_of": as_of.isoformat(),
        "generated_at": iso(now),
        "scope": {
            "user": user.name,
            "display_name": user.display_name,
            "role": user.role,
            "collectors": [u.name for u in people],
        },
        "category_adjustments": _adjustments(conn, visible, form, d, first, nxt),
        "completeness": with_quality(conn, _completeness(form, d, completeness), first.strftime("%Y-%m")),
        "overdue": overdue() if compact else [overdue_dict(t) for t in overdue()],
        "visits": _visits(conn, visible, people, assigned, first, nxt),
        **_complaints(conn, visible, people, assigned, first, nxt, as_of),
    }


def customers_query(visible: Any) -> Select[Any]:
    """The visible customers that are open (completeness, overdue, assigned counts: a closed outlet, 销户,
    leaves the working figures), in no particular order."""
    return select(
        customers.c.id,
        customers.c.code,
        customers.c.status,
        customers.c.data,
        customers.c.owner_id,
        customers.c.created_at,
    ).where(visible, customers.c.deleted.is_(False), customers.c.closed_at.is_(None))


def adjustments_query(visible: Any, first: dt.date, nxt: dt.date) -> Select[Any]:
    """The month's later versions (not the creation) of visible customers, by time (indexed on ``at``)."""
    v = customer_versions.c
    return (
        select(
            v.record_id,
            v.version,
            v.changes,
            v.actor_id,
            v.at,
            v.kind,
            customers.c.code,
            customers.c.shop_name,
            # the archive's JSON only where the shop name is not stored as text (not read for the others)
            case((customers.c.shop_name.is_(None), customers.c.data), else_=None).label("data"),
            customers.c.owner_id,
        )
        .join(customers, customers.c.id == v.record_id)
        .where(visible, v.at >= _ts(first), v.at < _ts(nxt), v.prev_version > 0)
        .order_by(v.at, v.record_id, v.version)
    )


def visits_query(visible: Any, first: dt.date, nxt: dt.date) -> Select[Any]:
    """The month's visits to visible customers, by the day of the visit (indexed), not the day of the sync."""
    v = visits.c
    return (
        select(v.created_by_id, v.customer_id, v.data)
        .join(customers, customers.c.id == v.customer_id)
        .where(visible, v.visited_on >= first.isoformat(), v.visited_on < nxt.isoformat())
    )


def _adjustments(
    conn: Any, visible: Any, form: FormDefinition, d: Directory, first: dt.date, nxt: dt.date
) -> list[dict[str, Any]]:
    out = []
    for r in conn.execute(adjustments_query(visible, first, nxt).execution_options(yield_per=CHUNK)):
        try:
            changes = json.loads(r.changes)
        except ValueError:
            continue
        if not isinstance(changes, dict):
            continue
        shop: Any = None
        for key in CATEGORY_KEYS:
            ch = changes.get(key)
            if not isinstance(ch, dict) or ch.get("old") == ch.get("new"):
                continue
            if shop is None:
                shop = r.shop_name if r.data is None else json.loads(r.data).get("shop_name")
            spec = form.get(key)
            out.append(
                {
                    "record_id": r.record_id,
                    "code": r.code,
                    "shop_name": shop,
                    "owner": d.name(r.owner_id),
                    "field": key,
                    "field_label_zh": spec.label_zh if spec else key,
                    "old": _label(form, key, ch.get("old")),
                    "new": _label(form, key, ch.get("new")),
                    "changed_on": _day(r.at).isoformat(),
                    "by": d.name(r.actor_id),
                }
            )
    return out


def _label_zh(form: FormDefinition, key: str) -> str:
    spec = form.get(key)
    return spec.label_zh if spec else key


def _label(form: FormDefinition, key: str, value: Any) -> Any:
    """A choice's Chinese label (what the county's table shows); other values as they are."""
    spec = form.get(key)
    if value in (None, ""):
        return None
    choice = spec.choice(value) if spec is not None and spec.choices else None
    return choice.label("zh_CN") if choice else value


def _missing(form: FormDefinition, values: dict[str, Any], today: dt.date) -> tuple[list[str], bool]:
    """The required fields a person keeps that are empty, and whether any value is invalid
    (``app.validation.completeness.gaps`` in one validation)."""
    report = validate_values(form, values, today=today, role=KEEPER)
    return [i.field for i in report.missing], report.has_errors


def _blank() -> dict[str, Any]:
    return {"customers": 0, "complete": 0, "missing": Counter()}


def _count_complete(
    stats: dict[int, dict[str, Any]], form: FormDefinition, r: Any, values: dict[str, Any], today: dt.date
) -> bool:
    """Count one customer in its owner's completeness; whether its archive is complete (no required field
    empty, no value invalid: what the new-customer deadline and approval ask)."""
    s = stats.setdefault(r.owner_id, _blank())
    s["customers"] += 1
    missing, invalid = _missing(form, values, today)
    if not missing:
        s["complete"] += 1
    s["missing"].update(missing)
    return not missing and not invalid


def _completeness(form: FormDefinition, d: Directory, stats: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for uid, s in stats.items():
        u = d.by_id.get(uid)
        if u is None or (s["customers"] == 0 and u.role != UserRole.COLLECTOR.value):
            continue
        out.append(
            {
                "collector": u.name,
                "display_name": u.display_name,
                "customers": s["customers"],
                "complete": s["complete"],
                "incomplete": s["customers"] - s["complete"],
                "missing_total": sum(s["missing"].values()),
                "missing_by_field": [
                    {"field": k, "label_zh": _label_zh(form, k), "count": n}
                    for k, n in sorted(s["missing"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_MISSING]
                ],
            }
        )
    return sorted(out, key=lambda x: x["collector"])


def _last_checks(conn: Any, ids: list[str]) -> dict[tuple[str, str], str]:
    c = customer_checks.c
    out: dict[tuple[str, str], str] = {}
    for i in range(0, len(ids), 500):
        q = (
            select(c.record_id, c.kind, func.max(c.day))
            .where(c.record_id.in_(ids[i : i + 500]))
            .group_by(c.record_id, c.kind)
        )
        out.update({(rid, kind): day for rid, kind, day in conn.execute(q)})
    return out


_KINDS = {"new": 0, "quarterly": 1, "static": 2}


def _overdue_rows(
    conn: Any,
    d: Directory,
    cal: WorkCalendar,
    recs: list[Any],
    values: dict[str, dict[str, Any]],
    as_of: dt.date,
    days: dict[dt.date, str],
    complete: dict[str, bool],
) -> list[tuple[Any, ...]]:
    """The overdue rows of one chunk of customers, as tuples that sort in the report's order
    (kind, owner, code, record id) and carry the row (:func:`overdue_dict`). A new customer is late by
    the client's rule too (``app.validation.completeness.new_customer_late``): its 5 working days are
    over and it is not both approved and complete (``complete``: by record id)."""
    checks = _last_checks(conn, [r.id for r in recs])
    q_start, h_start = quarter_start(as_of), half_year_start(as_of)
    out: list[tuple[Any, ...]] = []
    workdays: dict[dt.date, int] = {}

    def row(r: Any, kind: str, due: dt.date) -> tuple[Any, ...]:
        owner = d.name(r.owner_id)
        if due not in workdays:
            workdays[due] = cal.workdays_between(due, as_of)
        return (
            _KINDS[kind],
            owner or "",
            r.code or "",
            r.id,
            r.code,
            values[r.id].get("shop_name"),
            owner,
            kind,
            days.setdefault(due, due.isoformat()),
            workdays[due],
        )

    for r in recs:
        created = _day(r.created_at)
        if created > as_of:
            continue
        binding = _date(values[r.id].get("binding_date"))
        if binding is not None:
            due = new_customer_due(binding, cal)
            if new_customer_late(due < as_of, r.status == "approved", complete[r.id]):
                out.append(row(r, "new", due))
        last_q = _date(checks.get((r.id, "quarterly"))) or created
        if last_q < q_start and created < q_start:
            out.append(row(r, "quarterly", q_start - dt.timedelta(days=1)))
        last_s = _date(checks.get((r.id, "static"))) or created
        if last_s < h_start and created < h_start:
            out.append(row(r, "static", h_start - dt.timedelta(days=1)))
    return out


def overdue_dict(t: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "record_id": t[3],
        "code": t[4],
        "shop_name": t[5],
        "owner": t[6],
        "kind": t[7],
        "due": t[8],
        "workdays_overdue": t[9],
    }


def write_json(report: dict[str, Any], out: Any, chunk: int = 1000, between: Callable[[], None] | None = None) -> None:
    """Write a ``compact`` report as JSON to the binary file ``out`` (the overdue rows a chunk at a time, as
    they are read: call it while the report's connection is open): the same document as ``monthly()``
    without ``compact``, without holding its rows or all its bytes at once. ``between`` is called after each
    chunk of ``chunk`` overdue rows (a background job gives way to requests there)."""
    out.write(b"{")
    for i, (key, value) in enumerate(report.items()):
        out.write((b"," if i else b"") + orjson.dumps(key) + b":")
        if key != "overdue":
            out.write(orjson.dumps(value))
            continue
        out.write(b"[")
        rows = iter(value)
        sep = b""
        while part := list(islice(rows, chunk)):
            out.write(sep + orjson.dumps([overdue_dict(t) for t in part])[1:-1])
            if between is not None:
                between()
            sep = b","
        out.write(b"]")
    out.write(b"}")


def _date(v: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(v)[:10]) if v else None
    except ValueError:
        return None


def _visits(
    conn: Any, visible: Any, people: list[User], assigned: Counter[int], first: dt.date, nxt: dt.date
) -> list[dict[str, Any]]:
    made: dict[int, int] = Counter()
    seen: dict[int, set[str]] = defaultdict(set)
    anomalies: dict[int, int] = Counter()
    for by, cid, data in conn.execute(visits_query(visible, first, nxt).execution_options(yield_per=CHUNK)):
        made[by] += 1
        seen[by].add(cid)
        if str(json.loads(data).get("sales_anomaly") or "").strip():
            anomalies[by] += 1
    out = []
    for u in people:
        if u.role != UserRole.COLLECTOR.value and not made.get(u.id) and not assigned.get(u.id):
            continue
        out.append(
            {
                "collector": u.name,
                "display_name": u.display_name,
                "visits": made.get(u.id, 0),
                "customers_visited": len(seen.get(u.id, ())),
                "customers": assigned.get(u.id, 0),
                "with_anomaly": anomalies.get(u.id, 0),
            }
        )
    return out


def _complaints(
    conn: Any, visible: Any, people: list[User], assigned: Counter[int], first: dt.date, nxt: dt.date, as_of: dt.date
) -> dict[str, Any]:
    """The complaints table: a row per collector (as the visits table: a collector always, another person
    when they keep customers or have figures) and the total of every visible customer's complaints."""
    figures = month_figures(conn, visible, first, nxt, as_of)
    rows = []
    for u in people:
        n = figures.get(u.id)
        if u.role != UserRole.COLLECTOR.value and n is None and not assigned.get(u.id):
            continue
        rows.append({"collector": u.name, "display_name": u.display_name, **(n or dict.fromkeys(FIGURES, 0))})
    total = {k: sum(n[k] for n in figures.values()) for k in FIGURES}
    return {"complaints": rows, "complaints_total": total}

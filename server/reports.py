"""The monthly reports (§5: due by the 3rd of each month), computed on the server.

The server is the only place that holds every customer, visit and check of a team, so a market
manager's report counts what the collectors synced, not what one laptop happens to hold. One
call returns four tables for one calendar month (in China time), limited to what the caller may
see (a collector: their own customers; a market manager: their team; an admin: everyone):

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
  assigned, and visits that recorded a sales anomaly.

Working days follow the work calendar (holidays and make-up working days).
"""
from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from app.models.catalogue import FormDefinition
from app.models.wire import UserRole
from app.models.workdays import WorkCalendar, half_year_start, quarter_start
from app.validation import validate_values
from server.accounts import User
from server.config import CHINA_TZ, iso
from server.errors import ApiError
from server.schema import customer_checks, customer_versions, customers, visits
from server.scope import Directory, visible_clause

CATEGORY_KEYS = ("market_type", "retail_format", "business_scale", "classification_code")
NEW_CUSTOMER_WORKDAYS = 5
TOP_MISSING = 5


#: The months a report may cover: beyond them the dates of a month (and the timestamps of its days)
#: leave what the calendar and the database can hold (9999-12 has no next month).
FIRST_YEAR, LAST_YEAR = 1970, 2999


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """'2026-10' -> (first day, first day of the next month)."""
    try:
        first = dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ApiError(422, "bad_month", "The month must be given as YYYY-MM, for example 2026-10.",
                       fields=[{"field": "month", "code": "month.format",
                                "message": "The month must be given as YYYY-MM."}]) from None
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        message = f"The month must lie between {FIRST_YEAR}-01 and {LAST_YEAR}-12."
        raise ApiError(422, "bad_month", message, fields=[{"field": "month", "code": "month.range", "message": message}])
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, nxt


def _ts(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).timestamp()


def _day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts, CHINA_TZ).date()


def _collectors(user: User, d: Directory) -> list[User]:
    """The people whose work the report covers, in a stable order."""
    if user.role == UserRole.ADMIN.value:
        people = [u for u in d.by_id.values() if u.role != UserRole.ADMIN.value]
    elif user.role == UserRole.SUPERVISOR.value:
        people = [u for u in d.by_id.values() if u.supervisor_id == user.id or u.id == user.id]
    else:
        people = [user]
    return sorted(people, key=lambda u: (u.role != UserRole.COLLECTOR.value, u.name))


def monthly(conn: Any, user: User, form: FormDefinition, cal: WorkCalendar, month: str,
            now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    first, nxt = parse_month(month)
    today = _day(now)
    if first > today:
        raise ApiError(422, "future_month", "That month has not begun yet.",
                       fields=[{"field": "month", "code": "month.future", "message": "That month has not begun yet."}])
    as_of = min(today, nxt - dt.timedelta(days=1))
    d = Directory.load(conn)
    people = _collectors(user, d)
    visible = visible_clause(user)
    recs = conn.execute(select(customers.c.id, customers.c.code, customers.c.status, customers.c.data,
                               customers.c.owner_id, customers.c.created_at)
                        .where(visible, customers.c.deleted.is_(False)).order_by(customers.c.code, customers.c.id)).all()
    values = {r.id: json.loads(r.data) for r in recs}
    return {
        "month": first.strftime("%Y-%m"),
        "as_of": as_of.isoformat(),
        "generated_at": iso(now),
        "scope": {"user": user.name, "display_name": user.display_name, "role": user.role,
                  "collectors": [u.name for u in people]},
        "category_adjustments": _adjustments(conn, user, form, d, first, nxt),
        "completeness": _completeness(form, d, people, recs, values, today),
        "overdue": _overdue(conn, d, cal, recs, values, as_of),
        "visits": _visits(conn, user, d, people, recs, first, nxt),
    }


def _adjustments(conn: Any, user: User, form: FormDefinition, d: Directory, first: dt.date, nxt: dt.date
                 ) -> list[dict[str, Any]]:
    v = customer_versions.c
    q = (select(v.record_id, v.version, v.changes, v.actor_id, v.at, v.kind, customers.c.code, customers.c.data,
                customers.c.owner_id)
         .join(customers, customers.c.id == v.record_id)
         .where(visible_clause(user), v.at >= _ts(first), v.at < _ts(nxt), v.prev_version > 0)  # not the creation
         .order_by(v.at, v.record_id, v.version))
    out = []
    for r in conn.execute(q):
        try:
            changes = json.loads(r.changes)
        except ValueError:
            continue
        if not isinstance(changes, dict):
            continue
        vals = json.loads(r.data)
        for key in CATEGORY_KEYS:
            ch = changes.get(key)
            if not isinstance(ch, dict) or ch.get("old") == ch.get("new"):
                continue
            spec = form.get(key)
            out.append({"record_id": r.record_id, "code": r.code, "shop_name": vals.get("shop_name"),
                        "owner": d.name(r.owner_id), "field": key,
                        "field_label_zh": spec.label_zh if spec else key,
                        "old": _label(form, key, ch.get("old")), "new": _label(form, key, ch.get("new")),
                        "changed_on": _day(r.at).isoformat(), "by": d.name(r.actor_id)})
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


def _missing(form: FormDefinition, values: dict[str, Any], today: dt.date) -> list[str]:
    report = validate_values(form, values, today=today, role="system")
    return [i.field for i in report.missing]


def _completeness(form: FormDefinition, d: Directory, people: list[User], recs: list[Any],
                  values: dict[str, dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    stats: dict[int, dict[str, Any]] = {u.id: {"customers": 0, "complete": 0, "missing": Counter()} for u in people}
    for r in recs:
        s = stats.setdefault(r.owner_id, {"customers": 0, "complete": 0, "missing": Counter()})
        s["customers"] += 1
        missing = _missing(form, values[r.id], today)
        if not missing:
            s["complete"] += 1
        s["missing"].update(missing)
    out = []
    for uid, s in stats.items():
        u = d.by_id.get(uid)
        if u is None or (s["customers"] == 0 and u.role != UserRole.COLLECTOR.value):
            continue
        out.append({"collector": u.name, "display_name": u.display_name, "customers": s["customers"],
                    "complete": s["complete"], "incomplete": s["customers"] - s["complete"],
                    "missing_total": sum(s["missing"].values()),
                    "missing_by_field": [{"field": k, "label_zh": _label_zh(form, k), "count": n}
                                         for k, n in sorted(s["missing"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_MISSING]]})
    return sorted(out, key=lambda x: x["collector"])


def _last_checks(conn: Any, ids: list[str]) -> dict[tuple[str, str], str]:
    c = customer_checks.c
    out: dict[tuple[str, str], str] = {}
    for i in range(0, len(ids), 500):
        q = (select(c.record_id, c.kind, func.max(c.day)).where(c.record_id.in_(ids[i:i + 500]))
             .group_by(c.record_id, c.kind))
        out.update({(rid, kind): day for rid, kind, day in conn.execute(q)})
    return out


def _overdue(conn: Any, d: Directory, cal: WorkCalendar, recs: list[Any], values: dict[str, dict[str, Any]],
             as_of: dt.date) -> list[dict[str, Any]]:
    checks = _last_checks(conn, [r.id for r in recs])
    q_start, h_start = quarter_start(as_of), half_year_start(as_of)
    out = []

    def row(r: Any, kind: str, due: dt.date) -> dict[str, Any]:
        return {"record_id": r.id, "code": r.code, "shop_name": values[r.id].get("shop_name"),
                "owner": d.name(r.owner_id), "kind": kind, "due": due.isoformat(),
                "workdays_overdue": cal.workdays_between(due, as_of)}

    for r in recs:
        created = _day(r.created_at)
        if created > as_of:
            continue
        binding = _date(values[r.id].get("binding_date"))
        if binding is not None and r.status != "approved":
            due = cal.add_workdays(binding, NEW_CUSTOMER_WORKDAYS)
            if due < as_of:
                out.append(row(r, "new", due))
        last_q = _date(checks.get((r.id, "quarterly"))) or created
        if last_q < q_start and created < q_start:
            out.append(row(r, "quarterly", q_start - dt.timedelta(days=1)))
        last_s = _date(checks.get((r.id, "static"))) or created
        if last_s < h_start and created < h_start:
            out.append(row(r, "static", h_start - dt.timedelta(days=1)))
    order = {"new": 0, "quarterly": 1, "static": 2}
    return sorted(out, key=lambda x: (order[x["kind"]], x["owner"] or "", x["code"] or "", x["record_id"]))


def _date(v: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(v)[:10]) if v else None
    except ValueError:
        return None


def _visits(conn: Any, user: User, d: Directory, people: list[User], recs: Iterable[Any], first: dt.date,
            nxt: dt.date) -> list[dict[str, Any]]:
    assigned = Counter(r.owner_id for r in recs)
    v = visits.c
    q = (select(v.created_by_id, v.customer_id, v.data).join(customers, customers.c.id == v.customer_id)
         .where(visible_clause(user)))  # counted by the day of the visit, not the day it was synced
    made: dict[int, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    lo, hi = first.isoformat(), nxt.isoformat()
    for by, cid, data in conn.execute(q):
        body = json.loads(data)
        if lo <= str(body.get("visited_on", "")) < hi:
            made[by].append((cid, body))
    out = []
    for u in people:
        mine = made.get(u.id, [])
        if u.role != UserRole.COLLECTOR.value and not mine and not assigned.get(u.id):
            continue
        out.append({"collector": u.name, "display_name": u.display_name, "visits": len(mine),
                    "customers_visited": len({cid for cid, _b in mine}), "customers": assigned.get(u.id, 0),
                    "with_anomaly": sum(1 for _c, b in mine if str(b.get("sales_anomaly") or "").strip())})
    return out


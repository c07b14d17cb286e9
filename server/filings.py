"""The monthly filings (备案备查报送, issue 17; audit RP1–RP5, N8; docs/domain.md "Monthly filings").

Every month each owner of a filing kind (``filing_kinds``: ``role:collector``, every active customer manager;
``role:supervisor``, every active market manager; ``department:<code>``, every active user placed in that
department) owes one filing of it for the month just ended, due at the end of the kind's due day (the 3rd,
F3 L284, L288–293) of the following month; with ``shift`` a due day that is not a working day on the
server's calendar moves to the next working day. A filing not filed is ``due``, or ``overdue`` once its day
has passed; filed, it is ``filed``, or ``late`` when filed after its day. The reminder (``remind``) starts
``REMIND_WORKDAYS`` working days before the due day, and never before the 1st of the following month, when
a month can first be filed (``filing.too_early`` before that).

What is filed is frozen in the row: the order-collection summaries (客户经理/市场经理订单采集汇总表) computed
from the visits' order collection of the month at the moment of filing, the special-use statistics form's
rows (特殊用烟统计备案表), the three self-inspection documents (自查方案、自查报告、自查整改报告), or nothing
but a note for the category-adjustment table (the monthly report's workbook, server/reports.py). Each
filing is written to the admin log in the same transaction (``filing.file``)."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from app.models.wire import UserRole
from app.models.workdays import WorkCalendar
from server import administration
from server.accounts import User, user_from_row
from server.calendar import server_calendar
from server.config import CHINA_TZ, iso
from server.db import Database, Tx
from server.errors import ApiError
from server.schema import customers, users, visits
from server.schema_admin import departments, user_places
from server.schema_filings import filing_kinds, filings
from server.scope import is_admin

#: The reminder starts this many working days before the due day (docs/domain.md, "Monthly filings"):
#: with the 3rd a working day and the 1st and 2nd too, it is the 1st, the first day a month can be filed.
REMIND_WORKDAYS = 2
#: How many months back an unfiled filing is still listed as overdue.
LOOKBACK_MONTHS = 12
MONTH_RE = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
F = filings.c


def refuse(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, code, message)


# --------------------------------------------------------------------------------------- what is filed


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpecialUseRow(Strict):
    """A line of the special-use statistics form: the day, the purpose, the brand and specification, the
    cartons (条) and the amount in yuan, who handled it."""

    day: str = Field(pattern=r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$")
    purpose: str = Field(min_length=1, max_length=200)
    brand: str = Field(min_length=1, max_length=100)
    quantity: int = Field(ge=0, le=1_000_000)
    amount: str = Field(pattern=r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")
    handled_by: str = Field(default="", max_length=100)


class Documents(Strict):
    """The self-inspection documents of the month: plan, report and rectification report (F3 L293)."""

    plan: str = Field(min_length=1, max_length=20000)
    report: str = Field(min_length=1, max_length=20000)
    rectification: str = Field(min_length=1, max_length=20000)


class FileIn(Strict):
    """Filing one month of one kind: a note, and the form's rows or the documents where the kind has them."""

    note: str = Field(default="", max_length=2000)
    rows: list[SpecialUseRow] | None = Field(default=None, max_length=500)
    documents: Documents | None = None


# --------------------------------------------------------------------------------------- kinds, months, owners


@dataclass(frozen=True)
class Kind:
    code: str
    name: str
    owner: str
    due_day: int
    shift: bool
    content: str
    every: int = 1  # 12: yearly, owed as the year's December

    def owed_for(self, month: str) -> bool:
        return self.every != 12 or month.endswith("-12")


def kinds(conn: Connection) -> list[Kind]:
    q = select(filing_kinds).order_by(filing_kinds.c.position)
    return [Kind(r.code, r.name, r.owner, r.due_day, bool(r.shift), r.content, r.every) for r in conn.execute(q)]


def parse_month(text: str) -> tuple[int, int]:
    m = MONTH_RE.fullmatch(text or "")
    if m is None:
        raise refuse(422, "filing.month", "A month is written YYYY-MM.")
    return int(m.group(1)), int(m.group(2))


def month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def prev_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def due_day(cal: WorkCalendar, kind: Kind, year: int, month: int) -> dt.date:
    """The day the filing of ``year-month`` is due: the kind's day of the following month, moved to the next
    working day when the kind shifts and that day is not one."""
    y, m = next_month(year, month)
    day = dt.date(y, m, min(kind.due_day, calendar.monthrange(y, m)[1]))
    while kind.shift and not cal.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _end_of(day: dt.date) -> float:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), CHINA_TZ).timestamp()


def remind_from(cal: WorkCalendar, due: dt.date) -> dt.date:
    first = due.replace(day=1)
    return max(first, cal.add_workdays(due, -REMIND_WORKDAYS))


def owners(conn: Connection, owner: str) -> list[User]:
    """The active users who owe a filing owned by ``owner``."""
    q = select(users).where(users.c.disabled.is_(False))
    if owner.startswith("role:"):
        q = q.where(users.c.role == owner[5:])
    elif owner.startswith("department:"):
        code = owner.split(":", 1)[1]
        placed = (
            select(user_places.c.user_id)
            .join(departments, departments.c.id == user_places.c.department_id)
            .where(departments.c.code == code)
        )
        q = q.where(users.c.id.in_(placed))
    else:
        return []
    return [user_from_row(r) for r in conn.execute(q.order_by(users.c.name))]


def _owes(conn: Connection, kind: Kind, user: User) -> bool:
    return any(u.id == user.id for u in owners(conn, kind.owner))


# --------------------------------------------------------------------------------------- states


def _state(filed_at: float | None, due_at: float, now: float) -> str:
    if filed_at is None:
        return "overdue" if now >= due_at else "due"
    return "filed" if filed_at < due_at else "late"


def _wire(
    kind: Kind, month: str, user: User, row: Any, cal: WorkCalendar, now: float, names: dict[int, str]
) -> dict[str, Any]:
    due = due_day(cal, kind, *parse_month(month))
    due_at = _end_of(due)
    filed_at = row.filed_at if row is not None else None
    state = _state(filed_at, due_at, now)
    today = dt.datetime.fromtimestamp(now, CHINA_TZ).date()
    return {
        "kind": kind.code,
        "name": kind.name,
        "month": month,
        "owner": user.name,
        "owner_display": user.display_name,
        "due": due.isoformat(),
        "remind_from": remind_from(cal, due).isoformat(),
        "state": state,
        "remind": state == "due" and today >= remind_from(cal, due),
        "filed_at": iso(filed_at) if filed_at is not None else None,
        "filed_by": names.get(row.filed_by_id) if row is not None else None,
        "note": row.note if row is not None else "",
    }


def months_back(now: float, n: int) -> list[str]:
    today = dt.datetime.fromtimestamp(now, CHINA_TZ).date()
    y, m = prev_month(today.year, today.month)
    out = []
    for _ in range(n):
        out.append(month_text(y, m))
        y, m = prev_month(y, m)
    return out


def _user_names(conn: Connection) -> dict[int, str]:
    return dict(conn.execute(select(users.c.id, users.c.name)).all())


def obligations(conn: Connection, months: list[str], who: list[User] | None, now: float) -> list[dict[str, Any]]:
    """Every filing owed in ``months`` (by ``who`` only, when given), with its state, oldest month first."""
    cal, names = server_calendar(conn), _user_names(conn)
    joined = {r.id: _month_of(r.created_at) for r in conn.execute(select(users.c.id, users.c.created_at))}
    wanted = {u.id for u in who} if who is not None else None
    rows = conn.execute(select(filings).where(F.month.in_(months))).all()
    made = {(r.kind, r.month, r.owner_id): r for r in rows}
    out = []
    for kind in kinds(conn):
        for u in owners(conn, kind.owner):
            if wanted is not None and u.id not in wanted:
                continue
            for month in months:
                if joined[u.id] > month or not kind.owed_for(month):  # not a user yet; a yearly one's other month
                    continue
                out.append(_wire(kind, month, u, made.get((kind.code, month, u.id)), cal, now, names))
    out.sort(key=lambda f: (f["month"], f["due"], f["kind"], f["owner"]))
    return out


def _month_of(ts: float) -> str:
    day = dt.datetime.fromtimestamp(ts, CHINA_TZ).date()
    return month_text(day.year, day.month)


def _visible_users(conn: Connection, user: User) -> list[User] | None:
    """Whose filings ``user`` may list: everyone for an admin, a market manager's own and their team's,
    else their own (None: everyone)."""
    if is_admin(user):
        return None
    if user.role == UserRole.SUPERVISOR.value:
        q = select(users).where((users.c.supervisor_id == user.id) | (users.c.id == user.id))
        return [user_from_row(r) for r in conn.execute(q)]
    return [user]


def mine(db: Database, user: User, now: float | None = None) -> dict[str, Any]:
    """What ``user`` owes: the month just ended (its reminder when due soon) and whatever earlier month is
    still unfiled past its day."""
    now = time.time() if now is None else now
    with db.read() as conn:
        months = months_back(now, LOOKBACK_MONTHS)
        owed = obligations(conn, months, [user], now)
    current = [f for f in owed if f["month"] == months[0]]
    overdue = [f for f in owed if f["month"] != months[0] and f["state"] == "overdue"]
    return {"month": months[0], "remind_workdays": REMIND_WORKDAYS, "current": current, "overdue": overdue}


def listing(
    db: Database, user: User, month: str | None, state: str | None, now: float | None = None
) -> list[dict[str, Any]]:
    """The filings of ``month`` (default: every month of the look-back) the caller may see, by state."""
    now = time.time() if now is None else now
    if month is not None:
        parse_month(month)
    with db.read() as conn:
        months = [month] if month else months_back(now, LOOKBACK_MONTHS)
        out = obligations(conn, months, _visible_users(conn, user), now)
    return [f for f in out if state is None or f["state"] == state]


# --------------------------------------------------------------------------------------- order collection


def _amount(text: Any) -> Decimal:
    try:
        return Decimal(str(text or "0"))
    except ArithmeticError:
        return Decimal(0)


def _visits_of(conn: Connection, ids: list[int], year: int, month: int) -> list[Any]:
    first = dt.date(year, month, 1)
    nxt = dt.date(*next_month(year, month), 1)
    q = (
        select(visits.c.created_by_id, visits.c.visited_on, visits.c.data, customers.c.code)
        .add_columns(customers.c.data.label("c"))
        .join(customers, customers.c.id == visits.c.customer_id)
        .where(
            visits.c.created_by_id.in_(ids),
            visits.c.visited_on >= first.isoformat(),
            visits.c.visited_on < nxt.isoformat(),
        )
        .order_by(visits.c.visited_on, customers.c.code)
    )
    return list(conn.execute(q).all())


def _total(lines: list[dict[str, Any]], visits_made: int) -> dict[str, Any]:
    return {
        "visits": visits_made,
        "visits_with_orders": sum(1 for x in lines if x["orders"]),
        "customers_ordering": len({x["customer_code"] for x in lines if x["orders"]}),
        "orders": sum(x["orders"] for x in lines),
        "quantity": sum(x["quantity"] for x in lines),
        "amount": str(sum((Decimal(x["amount"]) for x in lines), Decimal("0.00")).quantize(Decimal("0.01"))),
    }


def collector_orders(conn: Connection, user: User, year: int, month: int) -> dict[str, Any]:
    """客户经理订单采集汇总表: each visit of the month where an order was collected (day, customer, orders,
    cartons, amount) and the month's totals (visits, visits with orders, customers ordering, ...)."""
    rows = _visits_of(conn, [user.id], year, month)
    lines = []
    for r in rows:
        body = json.loads(r.data)
        if body.get("orders") is None:
            continue
        shop = json.loads(r.c).get("shop_name")
        lines.append(
            {
                "day": r.visited_on,
                "customer_code": r.code,
                "shop_name": shop if isinstance(shop, str) else "",
                "orders": int(body["orders"]),
                "quantity": int(body.get("order_quantity") or 0),
                "amount": str(_amount(body.get("order_amount")).quantize(Decimal("0.01"))),
            }
        )
    total = _total(lines, len(rows))
    return {"collector": user.name, "display_name": user.display_name, "lines": lines, "total": total}


def supervisor_orders(conn: Connection, user: User, year: int, month: int) -> dict[str, Any]:
    """市场经理订单采集汇总表: a row per customer manager of the market manager's team (and the market
    manager's own visits), each with the month's totals, and the team's total."""
    q = select(users).where((users.c.supervisor_id == user.id) | (users.c.id == user.id)).order_by(users.c.name)
    team = [user_from_row(r) for r in conn.execute(q)]
    per: dict[int, list[dict[str, Any]]] = defaultdict(list)
    made: dict[int, int] = defaultdict(int)
    for r in _visits_of(conn, [u.id for u in team], year, month):
        made[r.created_by_id] += 1
        body = json.loads(r.data)
        if body.get("orders") is not None:
            per[r.created_by_id].append(
                {
                    "customer_code": r.code,
                    "orders": int(body["orders"]),
                    "quantity": int(body.get("order_quantity") or 0),
                    "amount": str(_amount(body.get("order_amount"))),
                }
            )
    rows = [
        {"collector": u.name, "display_name": u.display_name, **_total(per[u.id], made[u.id])}
        for u in team
        if u.role == UserRole.COLLECTOR.value or made[u.id]
    ]
    every = [x for u in team for x in per[u.id]]
    total = _total(every, sum(made.values()))
    return {"supervisor": user.name, "display_name": user.display_name, "rows": rows, "total": total}


def _content(conn: Connection, kind: Kind, user: User, year: int, month: int, body: FileIn | None) -> dict[str, Any]:
    if kind.content == "orders_collector":
        return collector_orders(conn, user, year, month)
    if kind.content == "orders_supervisor":
        return supervisor_orders(conn, user, year, month)
    if body is None:
        return {}
    if kind.content == "special_use":
        if body.rows is None:
            raise refuse(422, "filing.rows", "The special-use form needs its rows (none is an empty list).")
        first, nxt = dt.date(year, month, 1).isoformat(), dt.date(*next_month(year, month), 1).isoformat()
        if any(not first <= r.day < nxt for r in body.rows):
            raise refuse(422, "filing.rows", "Every row of the form is a day of the month filed.")
        return {"rows": [r.model_dump() for r in body.rows]}
    if kind.content == "documents":
        if body.documents is None:
            raise refuse(422, "filing.documents", "The self-inspection needs a plan, a report and a rectification.")
        return {"documents": body.documents.model_dump()}
    return {}


def _kind(conn: Connection, code: str) -> Kind:
    kind = next((k for k in kinds(conn) if k.code == code), None)
    if kind is None:
        raise refuse(404, "filing.unknown_kind", f"There is no filing {code!r}.")
    return kind


def _open_for(year: int, month: int, now: float) -> bool:
    today = dt.datetime.fromtimestamp(now, CHINA_TZ).date()
    return today >= dt.date(*next_month(year, month), 1)


def draft(db: Database, user: User, code: str, month: str) -> dict[str, Any]:
    """What filing ``code`` of ``month`` would hold if ``user`` filed it now (the order summaries computed)."""
    y, m = parse_month(month)
    with db.read() as conn:
        kind = _kind(conn, code)
        if not _owes(conn, kind, user):
            raise refuse(403, "filing.not_owner", f"{kind.name} is not filed by you ({kind.owner}).")
        return {"kind": kind.code, "name": kind.name, "month": month, "content": _content(conn, kind, user, y, m, None)}


def show(
    db: Database, user: User, code: str, month: str, owner: str | None, now: float | None = None
) -> dict[str, Any]:
    """One filing with its filed content: the owner's own, or one the caller may list."""
    now = time.time() if now is None else now
    parse_month(month)
    with db.read() as conn:
        kind = _kind(conn, code)
        who = user if owner is None else next((u for u in owners(conn, kind.owner) if u.name == owner), None)
        visible = _visible_users(conn, user)
        if who is None or (visible is not None and who.id not in {u.id for u in visible}):
            raise refuse(404, "filing.not_found", "There is no such filing.")
        row = conn.execute(select(filings).where(F.kind == code, F.month == month, F.owner_id == who.id)).first()
        out = _wire(kind, month, who, row, server_calendar(conn), now, _user_names(conn))
        return out | {"content": json.loads(row.content) if row is not None else None}


def file(db: Database, user: User, code: str, month: str, body: FileIn, now: float | None = None) -> dict[str, Any]:
    """File ``code`` for ``month`` as ``user``, dated now, its content frozen; logged as ``filing.file``."""
    at = time.time() if now is None else now
    y, m = parse_month(month)
    actor = administration.Actor(user.name, "api")

    def work(tx: Tx) -> dict[str, Any]:
        kind = _kind(tx.conn, code)
        if not _owes(tx.conn, kind, user):
            raise refuse(403, "filing.not_owner", f"{kind.name} is not filed by you ({kind.owner}).")
        if not kind.owed_for(month):
            raise refuse(422, "filing.month", f"{kind.name} is filed once a year, for its December.")
        if not _open_for(y, m, at):
            raise refuse(409, "filing.too_early", f"{month} can be filed from the 1st of the month after it.")
        q = select(F.id).where(and_(F.kind == code, F.month == month, F.owner_id == user.id))
        if tx.conn.execute(q).first() is not None:
            raise refuse(409, "filing.already", f"{kind.name} of {month} is filed already.")
        content = _content(tx.conn, kind, user, y, m, body)
        due_at = _end_of(due_day(server_calendar(tx.conn), kind, y, m))
        values = {"kind": code, "month": month, "owner_id": user.id, "due_at": due_at, "filed_at": at}
        text = json.dumps(content, ensure_ascii=False)
        values |= {"filed_by_id": user.id, "note": body.note.strip(), "content": text}
        tx.conn.execute(insert(filings).values(**values))
        state = _state(at, due_at, at)
        administration.log(tx.conn, actor, "filing.file", f"{code}/{month}", "ok", {"state": state})
        return {"kind": code, "month": month, "state": state, "filed_at": iso(at), "content": content}

    try:
        return db.write(work)
    except IntegrityError as exc:  # two filings of the same month at once: the second loses
        raise refuse(409, "filing.already", f"{code} of {month} is filed already.") from exc


def kinds_wire(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [k.__dict__.copy() for k in kinds(conn)]

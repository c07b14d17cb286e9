"""The checks of the customer managers' maintenance (issue 17; audit P2, P7; docs/domain.md "Monthly check and
spot audits").

- The market manager's monthly check (F3 L7, L144: "市场经理每月检查信息维护的及时性、客观性和准确性"): for each
  customer manager of their team, once a month, dated, timeliness, objectivity and accuracy each ``ok`` or
  ``deficient``, with findings (required when one is deficient). Only the collector's own market manager
  records it (``check.not_supervisor``); a second check of the same month is refused (``check.already``).
- The customer-service department's spot audits (F3 L147 "有必要时进行抽查审核，对客户档案维护质量进行考核",
  L329–330): by a user placed in the department ``service`` (客服部) or an admin, of any customer manager, dated,
  the number of archives sampled and a score 0–100, with findings; any number a month. The month's score of a
  collector is the mean of that month's audits, shown in the monthly report's completeness sheet beside the
  market manager's check (``with_quality``).

Each check is written to the admin log in its transaction (``check.monthly``, ``check.spot``)."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from app.models.wire import UserRole
from server import administration
from server.accounts import User, get_user
from server.config import CHINA_TZ, iso
from server.db import Database, Tx
from server.errors import ApiError
from server.filings import parse_month
from server.schema import users
from server.schema_admin import departments, user_places
from server.schema_filings import maintenance_checks
from server.scope import is_admin

SERVICE_DEPARTMENT = "service"  # 客服部
K = maintenance_checks.c
Rating = Literal["ok", "deficient"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MonthlyCheckIn(Strict):
    collector: str = Field(min_length=1, max_length=64)
    month: str = Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")
    checked_on: str = Field(pattern=r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$")
    timeliness: Rating
    objectivity: Rating
    accuracy: Rating
    findings: str = Field(default="", max_length=4000)


class SpotAuditIn(Strict):
    collector: str = Field(min_length=1, max_length=64)
    month: str = Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")
    checked_on: str = Field(pattern=r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$")
    sample: int = Field(ge=1, le=100_000)
    score: int = Field(ge=0, le=100)
    findings: str = Field(default="", max_length=4000)


def refuse(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, code, message)


def _in_service(conn: Connection, user: User) -> bool:
    q = (
        select(user_places.c.user_id)
        .join(departments, departments.c.id == user_places.c.department_id)
        .where(user_places.c.user_id == user.id, departments.c.code == SERVICE_DEPARTMENT)
    )
    return conn.execute(q).first() is not None


def _collector(conn: Connection, name: str) -> User:
    who = get_user(conn, name)
    if who is None or who.role != UserRole.COLLECTOR.value:
        raise refuse(404, "check.no_collector", f"There is no customer manager {name!r}.")
    return who


def _day(text: str, month: str, now: float) -> str:
    """The check's day: a real date, not in the future, not before the month checked began."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise refuse(422, "check.day", "The day of the check is a date written YYYY-MM-DD.") from None
    y, m = parse_month(month)
    today = dt.datetime.fromtimestamp(now, CHINA_TZ).date()
    if day > today or day < dt.date(y, m, 1):
        raise refuse(422, "check.day", "The check is dated on or after the month's first day and not in the future.")
    return day.isoformat()


def _wire(r: Any, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "month": r.month,
        "collector": names.get(r.collector_id),
        "checker": names.get(r.checker_id),
        "checked_on": r.checked_on,
        "timeliness": r.timeliness,
        "objectivity": r.objectivity,
        "accuracy": r.accuracy,
        "sample": r.sample,
        "score": r.score,
        "findings": r.findings,
        "recorded_at": iso(r.recorded_at),
    }


def _record(db: Database, user: User, action: str, row: dict[str, Any]) -> dict[str, Any]:
    def work(tx: Tx) -> dict[str, Any]:
        new_id = tx.conn.execute(insert(maintenance_checks).values(**row).returning(K.id)).scalar_one()
        target = f"{row['month']}/{row['collector_id']}"
        detail = {k: row[k] for k in ("timeliness", "objectivity", "accuracy", "sample", "score")}
        administration.log(tx.conn, administration.Actor(user.name, "api"), action, target, "ok", detail)
        r = tx.conn.execute(select(maintenance_checks).where(K.id == new_id)).one()
        return _wire(r, dict(tx.conn.execute(select(users.c.id, users.c.name)).all()))

    return db.write(work)


def record_monthly(db: Database, user: User, body: MonthlyCheckIn, now: float | None = None) -> dict[str, Any]:
    """The market manager's monthly check of one customer manager of their team."""
    now = time.time() if now is None else now
    with db.read() as conn:
        who = _collector(conn, body.collector)
        if user.role != UserRole.SUPERVISOR.value or who.supervisor_id != user.id:
            raise refuse(403, "check.not_supervisor", "Only the customer manager's own market manager checks them.")
        day = _day(body.checked_on, body.month, now)
        q = select(K.id).where(K.kind == "monthly", K.month == body.month, K.collector_id == who.id)
        if conn.execute(q).first() is not None:
            raise refuse(409, "check.already", f"{body.collector} has been checked for {body.month} already.")
    ratings = (body.timeliness, body.objectivity, body.accuracy)
    if "deficient" in ratings and not body.findings.strip():
        raise refuse(422, "check.findings", "Say what was found when something is deficient.")
    row = {"kind": "monthly", "month": body.month, "collector_id": who.id, "checker_id": user.id}
    row |= {"checked_on": day, "timeliness": body.timeliness, "objectivity": body.objectivity}
    row |= {"accuracy": body.accuracy, "sample": None, "score": None, "findings": body.findings.strip()}
    return _record(db, user, "check.monthly", row | {"recorded_at": now})


def record_spot(db: Database, user: User, body: SpotAuditIn, now: float | None = None) -> dict[str, Any]:
    """A spot audit of one customer manager's archives by the customer-service department (or an admin)."""
    now = time.time() if now is None else now
    with db.read() as conn:
        if not (is_admin(user) or _in_service(conn, user)):
            raise refuse(403, "check.not_service", "Spot audits are made by the customer-service department (客服部).")
        who = _collector(conn, body.collector)
        day = _day(body.checked_on, body.month, now)
    row = {"kind": "spot", "month": body.month, "collector_id": who.id, "checker_id": user.id, "checked_on": day}
    row |= {"timeliness": None, "objectivity": None, "accuracy": None, "sample": body.sample, "score": body.score}
    return _record(db, user, "check.spot", row | {"findings": body.findings.strip(), "recorded_at": now})


def listing(db: Database, user: User, month: str) -> list[dict[str, Any]]:
    """The checks of ``month`` the caller may see: an admin's and the service department's all, a market
    manager's their team's, a customer manager's their own."""
    parse_month(month)
    with db.read() as conn:
        q = select(maintenance_checks).where(K.month == month).order_by(K.checked_on, K.id)
        if not (is_admin(user) or _in_service(conn, user)):
            if user.role == UserRole.SUPERVISOR.value:
                team = select(users.c.id).where(users.c.supervisor_id == user.id)
                q = q.where(K.collector_id.in_(team))
            else:
                q = q.where(K.collector_id == user.id)
        names = dict(conn.execute(select(users.c.id, users.c.name)).all())
        return [_wire(r, names) for r in conn.execute(q)]


def with_quality(conn: Connection, rows: list[dict[str, Any]], month: str) -> list[dict[str, Any]]:
    """The completeness rows of the monthly report with each collector's checks of ``month``: the number of
    spot audits and their mean score (None: none), and the market manager's check (``ok`` when all three
    were ok, ``deficient`` when one was not, None when not checked)."""
    ids = dict(conn.execute(select(users.c.name, users.c.id)).all())
    scores: dict[int, list[int]] = defaultdict(list)
    monthly: dict[int, str] = {}
    for r in conn.execute(select(maintenance_checks).where(K.month == month)):
        if r.kind == "spot" and r.score is not None:
            scores[r.collector_id].append(int(r.score))
        elif r.kind == "monthly":
            ok = (r.timeliness, r.objectivity, r.accuracy) == ("ok", "ok", "ok")
            monthly[r.collector_id] = "ok" if ok else "deficient"
    out = []
    for row in rows:
        uid = ids.get(row["collector"])
        got = scores.get(uid, []) if uid is not None else []
        mean = round(sum(got) / len(got), 1) if got else None
        check = monthly.get(uid) if uid is not None else None
        out.append(row | {"spot_audits": len(got), "spot_audit_score": mean, "monthly_check": check})
    return out

"""Onboarding cases (新入网, issue 17; audit ON1–ON4, ON6, N2–N4; docs/domain.md "Onboarding").

A new licensee becomes a case the moment its draft customer is written (``open_new``, called by
``UnitOfWork.flush``: a licensee from the licence system's feed, a row of ``import-customers`` without a
customer code, a collector's new customer), or when the monopoly office opens one by hand for a customer
whose information arrived on paper (``open_case``, with the day and hour it arrived). The case copies the
deployment's step table (``onboarding_steps``; default: the city procedure of F3 L379–397, seven steps, 5
working days). Each step is owned by a role (``role:collector``: the customer's own customer manager,
``role:supervisor``: their market manager) or a department (``department:<code>``: a user placed in it,
within the territory node they are placed at, or anywhere when placed at none), has its deadline in
working hours on the server's work calendar from the moment it started waiting, and is done by one person,
dated, which starts the next step's clock. A step done out of order (``onboarding.out_of_order``), by
someone the step does not belong to (``onboarding.wrong_role``), on a revision that moved on meanwhile
(``onboarding.stale``) or on a finished case (``onboarding.closed``) is refused and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from app.models.owners import CODE_RE
from app.models.wire import UserRole
from app.models.workdays import WorkCalendar, add_work_hours, work_hours_between
from server import case_steps
from server.accounts import User
from server.calendar import server_calendar
from server.config import CHINA_TZ, iso
from server.db import Database, Tx, bulk_insert
from server.errors import ApiError
from server.schema import customers
from server.schema_admin import departments, territories, user_places
from server.schema_onboarding import case_notices, onboarding_case_steps, onboarding_cases, onboarding_steps
from server.scope import Directory, can_see, is_admin

ROLES = (UserRole.COLLECTOR.value, UserRole.SUPERVISOR.value)
ONBOARDING = "onboarding"  # the kind of an onboarding case (the change paths' kinds: server/changes.py)
#: the refusals' prefix -> what the message calls the case
NOUNS = {ONBOARDING: "onboarding case", "change": "change request"}
Kinds = tuple[str, ...]
MAX_STEPS = 20
STEP_KEYS = frozenset({"code", "name", "owner", "hours", "phone"})
MAX_HOURS = 80.0  # ten working days a step at most
FORWARD_HOURS = 4.0  # 专卖 forwards a new licensee within 0.5 working day (F3 L382–383): later is a late feed
S = onboarding_case_steps.c
C = onboarding_cases.c


class OnboardingError(Exception):
    """A refused change of the step table; the message says why."""


class NoticeIn(BaseModel):
    """A phone call made at a step, or how the customer was told: who, when, the number, the outcome."""

    party: str = Field(min_length=1, max_length=100)
    number: str = Field(default="", max_length=40)
    at: dt.datetime
    outcome: str = Field(min_length=1, max_length=500)


class StepIn(BaseModel):
    """Doing a step: which (its code), on which revision of the case, with a note; the phone notice of a
    step that records one (``phone`` in the step table)."""

    step: str = Field(min_length=1, max_length=32)
    revision: int = Field(ge=0, le=2**31 - 1)
    note: str = Field(default="", max_length=2000)
    phone: NoticeIn | None = None


def refuse(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, code, message)


# --------------------------------------------------------------------------------------- the step table


_STEPS = select(onboarding_steps).order_by(onboarding_steps.c.position)  # built once: read at every push


def steps(conn: Connection) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "name": r.name, "owner": r.owner, "hours": r.hours, "phone": bool(r.phone)}
        for r in conn.execute(_STEPS)
    ]


def check_owner(conn: Connection, owner: Any) -> str:
    if isinstance(owner, str) and owner.startswith("role:") and owner[5:] in ROLES:
        return owner
    if isinstance(owner, str) and owner.startswith(("department:", "manager:")):
        code = owner.split(":", 1)[1]
        if conn.execute(select(departments.c.id).where(departments.c.code == code)).first() is not None:
            return owner
        raise OnboardingError(f"there is no department {code!r}")
    raise OnboardingError(
        f"a step's owner is role:collector, role:supervisor, department:<code> or manager:<code>, not {owner!r}"
    )


def set_steps(tx: Tx, table: Any) -> list[dict[str, Any]]:
    """Replace the deployment's step table (open cases keep the steps they started with); [] turns
    onboarding cases off."""
    if not isinstance(table, list) or len(table) > MAX_STEPS:
        raise OnboardingError(f"the step table is a list of at most {MAX_STEPS} steps")
    rows, seen = [], set()
    for n, s in enumerate(table, start=1):
        if not isinstance(s, dict) or not {"code", "name", "owner", "hours"} <= set(s) <= STEP_KEYS:
            raise OnboardingError(f"step {n}: a step has code, name, owner and hours, and may have phone")
        if not isinstance(s.get("phone", False), bool):
            raise OnboardingError(f"step {n}: phone is true (the step records its phone notice) or false")
        code, name, hours = s["code"], s["name"], s["hours"]
        if not isinstance(code, str) or not CODE_RE.fullmatch(code) or code in seen:
            raise OnboardingError(f"step {n}: the code is 1 to 32 lower-case letters, digits, '_' or '-', unique")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
            raise OnboardingError(f"step {n}: the name is 1 to 100 characters")
        ok = isinstance(hours, int | float) and not isinstance(hours, bool)
        if not ok or not 0 < hours <= MAX_HOURS or (hours * 2) != int(hours * 2):
            raise OnboardingError(f"step {n}: hours is a number of half hours above 0 and at most {MAX_HOURS:g}")
        seen.add(code)
        owner = check_owner(tx.conn, s["owner"])
        row = {"position": n, "code": code, "name": name.strip(), "owner": owner, "hours": float(hours)}
        rows.append(row | {"phone": bool(s.get("phone", False))})
    tx.conn.execute(delete(onboarding_steps))
    if rows:
        tx.conn.execute(insert(onboarding_steps), rows)
    return steps(tx.conn)


# ------------------------------------------------------------------------------------------ opening


def _at(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, CHINA_TZ)


def deadline(cal: WorkCalendar, started_at: float, hours: float | None) -> float | None:
    """When a step of ``hours`` working hours that starts waiting at ``started_at`` is due (None: no limit)."""
    return None if hours is None else add_work_hours(cal, _at(started_at), hours).timestamp()


def open_new(
    tx: Tx,
    record_ids: Sequence[str],
    source: str,
    at: float,
    by_id: int | None,
    issued: dict[str, float] | None = None,
    kind: str = ONBOARDING,
    table: list[dict[str, Any]] | None = None,
) -> list[str]:
    """A case of ``kind`` for each customer named, with the steps of ``table`` (default: the deployment's
    onboarding steps; nothing when it is empty); their ids. ``issued``: record id -> when the licence
    system had it (its feed, issue 19): the first step's clock runs from then, and a message that arrived
    more than half a working day later flags the case ``late_feed``."""
    table = steps(tx.conn) if table is None else table
    if not record_ids or not table:
        return []
    cal = server_calendar(tx.conn)
    first = deadline(cal, at, table[0]["hours"])
    cases: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for rid in record_ids:
        cid = str(uuid.uuid4())
        since = (issued or {}).get(rid)
        start, limit = (at, first) if since is None else (since, deadline(cal, since, table[0]["hours"]))
        cases.append(
            {
                "id": cid,
                "kind": kind,
                "record_id": rid,
                "status": "open",
                "current": 1,
                "revision": 1,
                "source": source[:120],
                "opened_at": at,
                "opened_by_id": by_id,
                "closed_at": None,
                "issued_at": since,
                "received_at": at if since is not None else None,
                "late_feed": since is not None and at > add_work_hours(cal, _at(since), FORWARD_HOURS).timestamp(),
            }
        )
        rows.append(case_steps.step_row(cid, 1, table[0], (start, limit)))
    bulk_insert(tx.conn, onboarding_cases, cases)  # the driver's values already: text, numbers, booleans
    case_steps.write(tx.conn, rows, table)  # every step as a row, in one bulk insert (issue 21)
    return [str(c["id"]) for c in cases]


def open_case(tx: Tx, record: str, received: dt.datetime | None, by: User | None) -> str:
    """The monopoly office's case for an existing customer (code or id) whose information arrived at
    ``received`` (now when None); refused when the customer has an open case or the table is empty."""
    row = tx.conn.execute(
        select(customers.c.id).where((customers.c.code == record) | (customers.c.id == record.lower()))
    ).first()
    if row is None:
        raise OnboardingError(f"there is no customer {record}")
    at = (received or dt.datetime.now(CHINA_TZ)).timestamp()
    if at > time.time() + 60:
        raise OnboardingError("the information cannot arrive in the future")
    q = select(C.id).where(C.record_id == row.id, C.status == "open", C.kind == ONBOARDING)
    if tx.conn.execute(q).first() is not None:
        raise OnboardingError(f"customer {record} already has an open onboarding case")
    ids = open_new(tx, [row.id], "office", at, by.id if by else None)
    if not ids:
        raise OnboardingError("the deployment's step table is empty: onboarding is off")
    return ids[0]


# ------------------------------------------------------------------------------------------ who may act


@dataclass
class Places:
    """Where users stand: their territory node and department, and the tree's parent links."""

    of: dict[int, tuple[int | None, str | None]]
    parent: dict[int, int | None]
    team_of: dict[int, int]  # a market manager's id -> their team node
    managers: frozenset[int] = frozenset()  # the users who manage their department

    @classmethod
    def load(cls, conn: Connection) -> Places:
        codes = dict(conn.execute(select(departments.c.id, departments.c.code)).all())
        rows = conn.execute(select(user_places)).all()
        of = {r.user_id: (r.territory_id, codes.get(r.department_id)) for r in rows}
        nodes = conn.execute(select(territories.c.id, territories.c.parent_id, territories.c.supervisor_id)).all()
        teams = {n.supervisor_id: n.id for n in nodes if n.supervisor_id}
        return cls(of, {n.id: n.parent_id for n in nodes}, teams, frozenset(r.user_id for r in rows if r.manager))

    def owners(self, user: User) -> list[str]:
        """The step owners that may be ``user``: their roles, their department and its manager post."""
        dept = self.of.get(user.id, (None, None))[1]
        out = ["role:collector", f"role:{user.role}"] + ([f"department:{dept}"] if dept else [])
        return out + ([f"manager:{dept}"] if dept and user.id in self.managers else [])

    def node_of_customer(self, owner_id: int, d: Directory) -> int | None:
        node = self.of.get(owner_id, (None, None))[0]
        if node is None:
            sup = d.supervisor_of(owner_id)
            node = self.team_of.get(sup) if sup is not None else None
        return node

    def within(self, node: int | None, top: int) -> bool:
        for _ in range(len(self.parent) + 1):  # bounded: the tree has no cycle
            if node is None:
                return False
            if node == top:
                return True
            node = self.parent.get(node)
        return False


def may_do(user: User, owner: str, rec: Any, d: Directory, places: Places) -> bool:
    """Whether ``user`` is the one a step owned by ``owner`` waits for, on customer ``rec``."""
    if user.disabled:
        return False
    if owner == "role:collector":  # the customer's own manager (a market manager may keep customers too)
        return bool(rec.owner_id == user.id) and not is_admin(user)
    if owner == "role:supervisor":
        return user.role == UserRole.SUPERVISOR.value and d.supervisor_of(rec.owner_id) == user.id
    node, dept = places.of.get(user.id, (None, None))
    if owner == f"manager:{dept}" and user.id in places.managers:  # the department's manager (bulk signature)
        pass
    elif owner != f"department:{dept}":
        return False
    return node is None or places.within(places.node_of_customer(rec.owner_id, d), node)


# ------------------------------------------------------------------------------------------ reads


def _clock(cal: WorkCalendar, r: Any, now: float) -> dict[str, Any]:
    if r.deadline_at is None or r.done_at is not None:
        return {"overdue": bool(r.done_at and r.deadline_at and r.done_at > r.deadline_at), "hours_left": None}
    left = work_hours_between(cal, _at(now), _at(r.deadline_at))
    return {"overdue": now > r.deadline_at, "hours_left": round(left, 2)}


def _department_names(conn: Connection) -> dict[str, str]:
    return {f"department:{c}": n for c, n in conn.execute(select(departments.c.code, departments.c.name)).all()}


def owner_words(names: dict[str, str], owner: str) -> str:
    """A step's owner in words: "the manager of 市场部 (manager:market)", "市场部 (department:market)"."""
    kind, _sep, code = owner.partition(":")
    name = names.get(f"department:{code}", code)
    if kind == "manager":
        return f"the manager of {name} ({owner}) only"
    return f"{name} ({owner})" if kind == "department" else owner


def _step_wire(cal: WorkCalendar, r: Any, d: Directory, now: float, names: dict[str, str]) -> dict[str, Any]:
    who = d.get(r.done_by_id) if r.done_by_id is not None else None
    return {
        "position": r.position,
        "code": r.code,
        "name": r.name,
        "owner": r.owner,
        "owner_name": names.get(r.owner),  # a department's name (a role is named by the client)
        "hours": r.hours,
        "started_at": iso(r.started_at) if r.started_at is not None else None,
        "deadline": iso(r.deadline_at) if r.deadline_at is not None else None,
        "done_at": iso(r.done_at) if r.done_at is not None else None,
        "done_by": who.name if who else None,
        "done_by_display": who.display_name if who else None,
        "note": r.note,
        "phone": bool(r.phone),  # the step records its phone notice (who was called, when, outcome)
        **_clock(cal, r, now),
    }


def _customer(conn: Connection, rid: str) -> Any:
    return conn.execute(select(customers).where(customers.c.id == rid)).first()


def case_wire(conn: Connection, case: Any, cust: Any, d: Directory, cal: WorkCalendar, now: float) -> dict[str, Any]:
    rows = conn.execute(select(onboarding_case_steps).where(S.case_id == case.id).order_by(S.position)).all()
    names = _department_names(conn)
    return {
        "id": case.id,
        "record_id": case.record_id,
        "customer_code": cust.code,
        "shop_name": _shop_name(cust),
        "customer_manager": d.name(cust.owner_id),
        "kind": case.kind,
        "status": case.status,
        "current": case.current,
        "revision": case.revision,
        "source": case.source,
        "opened_at": iso(case.opened_at),
        "closed_at": iso(case.closed_at) if case.closed_at is not None else None,
        # the licence feed's clock (issue 19): when the licence was issued, when it arrived, and whether
        # that was more than half a working day later
        "issued_at": iso(case.issued_at) if case.issued_at is not None else None,
        "received_at": iso(case.received_at) if case.received_at is not None else None,
        "late_feed": bool(case.late_feed),
        "steps": [_step_wire(cal, r, d, now, names) for r in rows],
        "notices": notices(conn, case.id, d),
    }


def notices(conn: Connection, case_id: str, d: Directory) -> list[dict[str, Any]]:
    """The phone calls and customer notices recorded with a case's steps, in the order recorded."""
    q = select(case_notices).where(case_notices.c.case_id == case_id).order_by(case_notices.c.id)
    return [
        {
            "position": n.position,
            "kind": n.kind,
            "party": n.party,
            "number": n.number,
            "at": iso(n.at),
            "outcome": n.outcome,
            "recorded_by": d.name(n.recorded_by_id),
        }
        for n in conn.execute(q)
    ]


def record_notice(
    tx: Tx, case_id: str, position: int, kind: str, n: NoticeIn, user: User, now: float, pre: str
) -> None:
    """Store a call or notice made at step ``position``; refused (``<pre>.notice_future``,
    ``<pre>.notice_incomplete``) when it is dated in the future or says nobody or no outcome."""
    at = n.at if n.at.tzinfo else n.at.replace(tzinfo=CHINA_TZ)
    if at.timestamp() > now + 60:
        raise refuse(422, f"{pre}.notice_future", "A call or notice cannot be in the future.")
    row = {"party": n.party.strip(), "number": n.number.strip(), "outcome": n.outcome.strip()}
    if not row["party"] or not row["outcome"]:
        raise refuse(422, f"{pre}.notice_incomplete", "Say who was called or told, and the outcome.")
    tx.conn.execute(
        insert(case_notices).values(
            case_id=case_id, position=position, kind=kind, at=at.timestamp(), recorded_by_id=user.id, **row
        )
    )


def _shop_name(cust: Any) -> str | None:
    name = json.loads(cust.data).get("shop_name")
    return name if isinstance(name, str) else None


def _visible(conn: Connection, user: User, case: Any, cust: Any, d: Directory, places: Places) -> bool:
    if is_admin(user) or can_see(user, cust, d):
        return True
    q = select(S.owner).where(S.case_id == case.id)
    owners = set(conn.execute(q).scalars())  # a manager's step: their department sees the case too
    owners |= {"department:" + o.split(":", 1)[1] for o in owners if o.startswith("manager:")}
    return any(may_do(user, o, cust, d, places) for o in owners)


def show(
    db: Database, user: User, case_id: str, kinds: Kinds = (ONBOARDING,), prefix: str = ONBOARDING
) -> dict[str, Any]:
    """A case with its steps (each dated, who did it, its deadline and whether it was late): to whoever
    sees the customer or owns one of its steps; 404 to anyone else."""
    with db.read() as conn:
        case = conn.execute(select(onboarding_cases).where(C.id == case_id, C.kind.in_(kinds))).first()
        cust = _customer(conn, case.record_id) if case is not None else None
        d, places = Directory.load(conn), Places.load(conn)
        if case is None or cust is None or not _visible(conn, user, case, cust, d, places):
            raise refuse(404, f"{prefix}.not_found", f"There is no such {NOUNS[prefix]}.")
        return case_wire(conn, case, cust, d, server_calendar(conn), time.time())


def cases_of(db: Database, user: User, record_id: str, kinds: Kinds = (ONBOARDING,)) -> list[dict[str, Any]]:
    """The onboarding cases of a customer the caller sees (newest first)."""
    with db.read() as conn:
        cust = _customer(conn, record_id)
        d = Directory.load(conn)
        if cust is None or not (is_admin(user) or can_see(user, cust, d)):
            raise refuse(404, "not_found", "There is no such customer.")
        cal, now = server_calendar(conn), time.time()
        q = select(onboarding_cases).where(C.record_id == record_id, C.kind.in_(kinds)).order_by(C.opened_at.desc())
        return [case_wire(conn, c, cust, d, cal, now) for c in conn.execute(q).all()]


def waiting(db: Database, user: User, kinds: Kinds = (ONBOARDING,)) -> list[dict[str, Any]]:
    """The steps waiting for ``user``: the current step of every open case that is theirs to do (their
    role on their customers, or their department within their territory), the oldest deadline first."""
    with db.read() as conn:
        d, places = Directory.load(conn), Places.load(conn)
        owners = places.owners(user)
        cu = customers.c
        q = (
            select(
                onboarding_case_steps,
                cu.code.label("customer_code"),
                cu.owner_id,
                cu.created_by_id,
                cu.data,
                C.revision.label("case_revision"),
                C.source,
                C.late_feed,
                C.kind,
                C.record_id,
            )
            .join(onboarding_cases, (C.id == S.case_id) & (C.current == S.position))
            .join(customers, customers.c.id == C.record_id)
            .where(C.status == "open", C.kind.in_(kinds), S.owner.in_(owners), customers.c.deleted.is_(False))
            .order_by(S.deadline_at, S.case_id)
        )
        cal, now, names = server_calendar(conn), time.time(), _department_names(conn)
        out = []
        for r in conn.execute(q).all():
            if not may_do(user, r.owner, r, d, places):
                continue
            out.append(
                {
                    "case_id": r.case_id,
                    "kind": r.kind,
                    "record_id": r.record_id,
                    "customer_code": r.customer_code,
                    "shop_name": _shop_name(r),
                    "customer_manager": d.name(r.owner_id),
                    "revision": r.case_revision,
                    "source": r.source,
                    "late_feed": bool(r.late_feed),  # the licence system forwarded it late (issue 19)
                    "step": _step_wire(cal, r, d, now, names),
                }
            )
        return out


# ------------------------------------------------------------------------------------------ doing a step


#: What a step's hook does before the step is written (a change's notices, the applied change): it may
#: refuse with an ApiError, which changes nothing.
StepHook = Callable[[Tx, Any, Any, Any, User, float], None]


def do_step(db: Database, user: User, case_id: str, body: StepIn) -> dict[str, Any]:
    """Do the waiting step ``body.step`` of the onboarding case, dated now, with its phone notice where the
    step records one (``onboarding.phone_required`` without it); the next step's clock starts."""

    def hook(tx: Tx, case: Any, step: Any, _cust: Any, who: User, now: float) -> None:
        if body.phone is None and step.phone:
            raise refuse(
                422,
                "onboarding.phone_required",
                "This step records its phone notice to the next owner or the customer: who, when, number, outcome.",
            )
        if body.phone is not None:  # a call made at a step that does not require one is kept too
            record_notice(tx, case.id, step.position, "phone", body.phone, who, now, ONBOARDING)

    return advance(db, user, case_id, body, (ONBOARDING,), ONBOARDING, hook)


def advance(
    db: Database, user: User, case_id: str, body: StepIn, kinds: Kinds, prefix: str, hook: StepHook | None
) -> dict[str, Any]:
    """Do the waiting step ``body.step`` of a case of one of ``kinds``, dated now (refusals named
    ``<prefix>.…``); ``hook(tx, case, step, customer, user, now)`` runs first, in the same transaction."""
    noun = NOUNS[prefix]

    def work(tx: Tx) -> dict[str, Any]:
        q = select(onboarding_cases).where(C.id == case_id, C.kind.in_(kinds))
        if tx.db.is_postgres:
            q = q.with_for_update()
        case = tx.conn.execute(q).first()
        cust = _customer(tx.conn, case.record_id) if case is not None else None
        d, places = Directory.load(tx.conn), Places.load(tx.conn)
        if case is None or cust is None or not _visible(tx.conn, user, case, cust, d, places):
            raise refuse(404, f"{prefix}.not_found", f"There is no such {noun}.")
        if case.status != "open":
            raise refuse(409, f"{prefix}.closed", f"This {noun} is finished; nothing waits.")
        if body.revision != case.revision:
            raise refuse(409, f"{prefix}.stale", "The case moved on meanwhile; look at it again.")
        rows = tx.conn.execute(select(onboarding_case_steps).where(S.case_id == case_id).order_by(S.position)).all()
        current = next(r for r in rows if r.position == case.current)
        if body.step != current.code:
            known = any(r.code == body.step for r in rows)
            raise refuse(
                409,
                f"{prefix}.out_of_order",
                f"The step waiting is {current.code!r} ({current.name}); "
                + (f"{body.step!r} is not its turn." if known else f"the case has no step {body.step!r}."),
            )
        if not may_do(user, current.owner, cust, d, places):
            whom = owner_words(_department_names(tx.conn), current.owner)
            raise refuse(403, f"{prefix}.wrong_role", f"Step {current.code!r} is done by {whom}, not by you.")
        now = time.time()
        if hook is not None:
            hook(tx, case, current, cust, user, now)
        tx.conn.execute(
            update(onboarding_case_steps)
            .where(S.case_id == case_id, S.position == current.position)
            .values(done_at=now, done_by_id=user.id, note=body.note.strip())
        )
        nxt = next((r for r in rows if r.position > current.position), None)
        if nxt is None:
            values: dict[str, Any] = {"status": "done", "current": None, "closed_at": now}
        else:
            values = {"current": nxt.position}
            limit = deadline(server_calendar(tx.conn), now, nxt.hours)
            tx.conn.execute(
                update(onboarding_case_steps)
                .where(S.case_id == case_id, S.position == nxt.position)
                .values(started_at=now, deadline_at=limit)
            )
        tx.conn.execute(update(onboarding_cases).where(C.id == case_id).values(revision=case.revision + 1, **values))
        fresh = tx.conn.execute(select(onboarding_cases).where(C.id == case_id)).one()
        return case_wire(tx.conn, fresh, cust, d, server_calendar(tx.conn), now)

    return db.write(work)

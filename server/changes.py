"""Change requests (客户档案信息修改维护, issue 17; audit CH1–CH5, EM1, BK1, N5–N7; docs/domain.md "Change paths").

A change request is a case on the onboarding engine (server/onboarding.py) whose kind is its path; the path's
steps are copied into the case when it opens, each owned by a role or a department, with its clock in working
hours on the server's calendar (the same ``may_do``, refusals and revision rule as onboarding, named
``change.…``):

- ``own`` (F3 L14): the collector's own fields (change policy ``direct``), applied by them the same day;
- ``county`` (F3 L407–414, 1 + 1 + 1 = 3 wd): the county fills 《客户信息修改维护表》, the owning department
  applies it, the county reviews and both sides file it;
- ``city`` (F3 L400–406, 1 + 0.5 + 1 = 2.5 wd): the marketing centre's task order, the customer manager's
  visit, the owning department applies it, the county's final review (no limit in the document);
- ``emergency`` (F3 L423–429, 3 × 0.5 h = 1.5 h): 市场部 fills the form on the customer's behalf, the county
  reviews, the owning department applies it; each step records its phone call (who, when, number, outcome);
- ``bulk`` (F3 L415–422): the county supplies a batch of customers' changes, the market department's manager
  (``manager:market``: the user placed in 市场部 with the manager post, server/territories.py) reviews and
  signs once for the whole batch (the change is applied then), the county checks within 1 wd.

"A change to a field goes to the department that owns it": the applying step of every path but ``own`` and
``bulk`` belongs to the department owning the fields (``meta.owners``, app/models/owners.py); a request whose
fields belong to several departments is refused. New values are checked with the catalogue's validators as a
push is, when the request opens and again when it is applied. The applying step writes the values as a
versioned system change (``system.change``; its provenance names the path, the case and who did each step), so
it reaches clients by sync and the modification ledger lists it with its path and approver. A change of a field
the customer must be told of (:data:`NOTIFY_FIELDS`: the order days, F3 L15) records the customer notice.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from app.models.catalogue import ChangePolicy, FormDefinition
from app.models.owners import field_owner
from app.models.workdays import DAY_HOURS, work_hours_between
from app.validation import validate_values
from app.validation.editing import editable_keys
from server import onboarding as engine
from server.accounts import User
from server.apply import CROSS_FIELD
from server.calendar import server_calendar
from server.config import CHINA_TZ
from server.db import Database, Tx
from server.errors import ApiError
from server.forms import current_form
from server.onboarding import C, NoticeIn, Places, S, StepIn, may_do
from server.schema import customers
from server.schema_admin import departments
from server.schema_onboarding import change_items, onboarding_cases
from server.scope import Directory, can_see, is_admin
from server.secrecy import view_of
from server.system import apply_system_changes

PREFIX = "change"
#: (code, name, owner, working hours or None, flags): "apply" writes the change, "phone" records a call,
#: "approve" names the approver in the ledger; owner "department:*" is the department owning the fields
PATHS: dict[str, tuple[tuple[str, str, str, float | None, frozenset[str]], ...]] = {
    "own": (("apply", "客户经理当日更新自身维护权限内的信息", "role:collector", None, frozenset({"apply"})),),
    "county": (
        ("fill", "县区营销部核实并填写《客户信息修改维护表》", "department:county", 8.0, frozenset({"approve"})),
        ("apply", "完成修改，反馈县区营销部审核", "department:*", 8.0, frozenset({"apply"})),
        ("review", "县区营销部审核无误，回馈并存档", "department:county", 8.0, frozenset()),
    ),
    "city": (
        ("order", "营销中心填写《客户信息修改维护任务单》", "department:market", 8.0, frozenset()),
        ("verify", "客户经理实地走访核实并回馈", "role:collector", 4.0, frozenset({"approve"})),
        ("apply", "完成修改并存档，反馈县区营销部", "department:*", 8.0, frozenset({"apply"})),
        ("final", "县区营销部最终审核", "department:county", None, frozenset()),
    ),
    "emergency": (
        (
            "fill",
            "市场部代填《客户信息修改维护表》并电话通知县区营销部",
            "department:market",
            0.5,
            frozenset({"phone"}),
        ),
        ("review", "县区营销部审核无误并电话通知", "department:county", 0.5, frozenset({"phone", "approve"})),
        ("apply", "完成修改、存档并通知县区营销部", "department:*", 0.5, frozenset({"phone", "apply"})),
    ),
    "bulk": (
        ("supply", "县区营销部提供大批量修改内容", "department:county", None, frozenset()),
        ("sign", "市场部经理审核签名，完成维护", "manager:market", None, frozenset({"apply", "approve"})),
        ("check", "县区营销部审核、留档并回馈市场部", "department:county", 8.0, frozenset()),
    ),
}
KINDS = tuple(PATHS)
#: fields whose change the customer must be told of (F3 L15: "…维护后通知客户")
NOTIFY_FIELDS = frozenset({"order_cycle"})
MAX_ITEMS = 2000
Path = Literal["own", "county", "city", "emergency", "bulk"]


class ItemIn(BaseModel):
    """One customer of a request (code or id) and its fields' new values (null clears a field)."""

    record: str = Field(min_length=1, max_length=64)
    changes: dict[str, Any] = Field(min_length=1, max_length=200)


class ChangeIn(BaseModel):
    """A change request: its path, the customers and new values (one customer but for ``bulk``), a note."""

    path: Path
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)
    note: str = Field(default="", max_length=2000)
    received: dt.datetime | None = None  # when the customer's request arrived (its clock starts then; default now)


class ChangeStepIn(StepIn):
    """Doing a change's step: the phone call (emergency steps) and the customer notice (order days)."""

    customer_notice: NoticeIn | None = None


def refuse(status: int, code: str, message: str, fields: list[dict[str, Any]] | None = None) -> ApiError:
    return ApiError(status, f"{PREFIX}.{code}", message, fields=fields)


# ------------------------------------------------------------------------------------------ opening


def _same_day_hours(conn: Connection, at: float) -> float:
    """The working hours left on the day ``at`` falls on (a whole working day when none are left)."""
    cal = server_calendar(conn)
    start = dt.datetime.fromtimestamp(at, CHINA_TZ)
    end = start.replace(hour=17, minute=0, second=0, microsecond=0)
    left = work_hours_between(cal, start, end) if cal.is_workday(start.date()) and start < end else 0.0
    return left if left > 0 else float(DAY_HOURS)


def step_table(conn: Connection, path: str, owner_dept: str, at: float) -> list[dict[str, Any]]:
    """The path's steps as a case copies them, the applying department named."""
    out = []
    for code, name, owner, hours, _flags in PATHS[path]:
        if owner == "department:*":
            owner = f"department:{owner_dept}"
        if path == "own":
            hours = _same_day_hours(conn, at)
        out.append({"code": code, "name": name, "owner": owner, "hours": hours})
    return out


def _find(conn: Connection, ref: str) -> Any:
    q = select(customers).where((customers.c.code == ref) | (customers.c.id == ref.lower()))
    return conn.execute(q).first()


def check_values(form: FormDefinition, values: dict[str, Any], changes: dict[str, Any], today: dt.date) -> Any:
    """The changes made canonical by the catalogue's validators (as a push's save), or the refusal."""
    unknown = sorted(k for k in changes if k not in form)
    if unknown:
        fields = [{"field": k, "code": "unknown_field", "message": "not a field of the form"} for k in unknown]
        raise refuse(422, "unknown_field", f"The form has no field {unknown[0]!r}.", fields)
    merged = dict(values) | changes
    report = validate_values(form, merged, today=today, role="supervisor", required=False, masked=False)
    errs = [i for i in report.errors if i.field in changes or i.code in CROSS_FIELD]
    if errs:
        fields = []
        for i in errs:
            spec = form.get(i.field)
            label = spec.label("en") if spec else i.field
            fields.append({"field": i.field, "code": i.code, "message": i.message(label, "en")})
        raise refuse(422, "invalid", f"{fields[0]['field']}: {fields[0]['message']}", fields)
    return {k: report.values.get(k) for k in changes}


def _owner_of(form: FormDefinition, keys: Sequence[str]) -> str:
    owners = {field_owner(form, k) for k in keys}
    if len(owners) > 1:
        raise refuse(
            422,
            "mixed_owners",
            "The fields belong to several departments (" + ", ".join(sorted(owners)) + "): one request per department.",
        )
    return owners.pop()


def _may_open(user: User, path: str, rec: Any, d: Directory, places: Places) -> bool:
    if is_admin(user) and not user.disabled:
        return True
    if path == "own":
        return may_do(user, "role:collector", rec, d, places)
    if path == "county":
        return may_do(user, "department:county", rec, d, places) or (can_see(user, rec, d) and not user.disabled)
    if path == "city":
        return may_do(user, "department:market", rec, d, places)
    if path == "emergency":  # whichever department the customer reached (F3 L424)
        dept = places.of.get(user.id, (None, None))[1]
        return bool(dept) and may_do(user, f"department:{dept}", rec, d, places)
    return may_do(user, "department:county", rec, d, places)


def open_change(db: Database, user: User, body: ChangeIn) -> dict[str, Any]:
    """Open a change request as ``user``; the case with its steps, or a refusal that changes nothing."""
    if body.path != "bulk" and len(body.items) != 1:
        raise refuse(422, "one_customer", "Only bulk maintenance names several customers.")

    def work(tx: Tx) -> dict[str, Any]:
        conn = tx.conn
        form, d, places = current_form(conn), Directory.load(conn), Places.load(conn)
        now = time.time()
        today = dt.datetime.fromtimestamp(now, CHINA_TZ).date()
        if body.received is not None:
            got = body.received if body.received.tzinfo else body.received.replace(tzinfo=CHINA_TZ)
            if got.timestamp() > now + 60:
                raise refuse(422, "received_future", "A request cannot arrive in the future.")
            now = got.timestamp()
        rows, seen = [], set()
        for item in body.items:
            rec = _find(conn, item.record)
            if (
                rec is None
                or rec.deleted
                or not (is_admin(user) or can_see(user, rec, d) or _may_open(user, body.path, rec, d, places))
            ):
                raise refuse(404, "not_found", f"There is no customer {item.record[:40]}.")
            if rec.id in seen:
                raise refuse(422, "duplicate", f"Customer {item.record[:40]} is named twice.")
            seen.add(rec.id)
            if not rec.code_official:
                raise refuse(
                    409, "not_onboarded", f"Customer {item.record[:40]} is not approved yet: it changes on onboarding."
                )
            if not _may_open(user, body.path, rec, d, places):
                raise refuse(403, "wrong_role", f"A {body.path} change request is not yours to open for this customer.")
            if body.path == "own":
                own = editable_keys(form, "collector", onboarding=False)
                direct = {f.key for f in form.fields if f.change is ChangePolicy.DIRECT}
                other = sorted(k for k in item.changes if k not in own or k not in direct)
                if other:
                    raise refuse(
                        422, "not_own", f"{other[0]!r} is not the customer manager's own field: use another path."
                    )
            values = json.loads(rec.data)
            rows.append((rec, check_values(form, values, item.changes, today)))
        keys = sorted({k for _rec, ch in rows for k in ch})
        dept = _owner_of(form, keys)
        if conn.execute(select(departments.c.id).where(departments.c.code == dept)).first() is None:
            raise refuse(409, "no_department", f"The fields' owner {dept!r} is not a department of this server.")
        table = step_table(conn, body.path, dept, now)
        source = f"{body.path}:{user.name}"
        cid = engine.open_new(tx, [rows[0][0].id], source, now, user.id, kind=body.path, table=table)[0]
        conn.execute(
            insert(change_items),
            [{"case_id": cid, "record_id": r.id, "changes": json.dumps(ch, ensure_ascii=False)} for r, ch in rows],
        )
        if body.note.strip():
            conn.execute(
                update(onboarding_cases).where(C.id == cid).values(source=(source + " " + body.note.strip())[:120])
            )
        case = conn.execute(select(onboarding_cases).where(C.id == cid)).one()
        return _with_items(conn, engine.case_wire(conn, case, rows[0][0], d, server_calendar(conn), now), d, user)

    return db.write(work)


# ------------------------------------------------------------------------------------------ reads


def _items(conn: Connection, case_ids: Sequence[str], user: User, d: Directory) -> dict[str, list[dict[str, Any]]]:
    """Each case's customers with their new values, a value ``user`` may not see as its placeholder (the
    customer's mark and ``user``'s relation to it decide: server/secrecy.py)."""
    out: dict[str, list[dict[str, Any]]] = {c: [] for c in case_ids}
    if not case_ids:
        return out
    view = view_of(conn, user)
    cu, it = customers.c, change_items.c
    rec = (cu.code, cu.data, cu.owner_id, cu.created_by_id)
    q = (
        select(it.case_id, it.record_id, it.changes, it.applied_version, *rec)
        .join(customers, cu.id == it.record_id)
        .where(it.case_id.in_(list(case_ids)))
        .order_by(it.case_id, cu.code, it.record_id)
    )
    for r in conn.execute(q):
        values = json.loads(r.data)
        name = values.get("shop_name")
        gone = view.hidden(r.owner_id, r.created_by_id, values, d)
        out[r.case_id].append(
            {
                "record_id": r.record_id,
                "customer_code": r.code,
                "shop_name": name if isinstance(name, str) and "shop_name" not in gone else None,
                "changes": view.apply(gone, json.loads(r.changes)),
                "applied_version": r.applied_version,
            }
        )
    return out


def _with_items(conn: Connection, case: dict[str, Any], d: Directory, user: User) -> dict[str, Any]:
    case["path"] = case["kind"]
    case["items"] = _items(conn, [case["id"]], user, d)[case["id"]]
    for s in case["steps"]:
        s["flags"] = sorted(_flags(case["kind"], s["code"]))
    case["notify_customer"] = any(k in NOTIFY_FIELDS for i in case["items"] for k in i["changes"])
    return case


def _flags(kind: str, code: str) -> frozenset[str]:
    return next((f for c, _n, _o, _h, f in PATHS.get(kind, ()) if c == code), frozenset())


def show(db: Database, user: User, case_id: str) -> dict[str, Any]:
    """A change request with its steps, customers and new values, and its notices."""
    case = engine.show(db, user, case_id, KINDS, PREFIX)
    with db.read() as conn:
        return _with_items(conn, case, Directory.load(conn), user)


def cases_of(db: Database, user: User, record_id: str) -> list[dict[str, Any]]:
    """The change requests whose first customer is ``record_id`` (newest first)."""
    cases = engine.cases_of(db, user, record_id, KINDS)
    with db.read() as conn:
        d = Directory.load(conn)
        return [_with_items(conn, c, d, user) for c in cases]


def waiting(db: Database, user: User) -> list[dict[str, Any]]:
    """The change steps waiting for ``user`` (the earliest deadline first; steps without one last), each
    with its path, customers and new values."""
    out = engine.waiting(db, user, KINDS)
    with db.read() as conn:
        items = _items(conn, [w["case_id"] for w in out], user, Directory.load(conn))
    for w in out:
        w["path"] = w["kind"]
        w["items"] = items[w["case_id"]]
        w["step"]["flags"] = sorted(_flags(w["kind"], w["step"]["code"]))
        w["notify_customer"] = any(k in NOTIFY_FIELDS for i in w["items"] for k in i["changes"])
    out.sort(key=lambda w: (w["step"]["deadline"] is None, w["step"]["deadline"] or "", w["case_id"]))
    return out


# ------------------------------------------------------------------------------------------ doing a step


def _notice(tx: Tx, case_id: str, position: int, kind: str, n: NoticeIn, user: User, now: float) -> None:
    engine.record_notice(tx, case_id, position, kind, n, user, now, PREFIX)


def _apply(tx: Tx, case: Any, step: Any, user: User, now: float) -> None:
    conn = tx.conn
    form = current_form(conn)
    today = dt.datetime.fromtimestamp(now, CHINA_TZ).date()
    items = conn.execute(select(change_items).where(change_items.c.case_id == case.id)).all()
    updates = {}
    for it in items:
        rec = conn.execute(select(customers).where(customers.c.id == it.record_id)).one()
        if rec.deleted:
            raise refuse(409, "deleted", f"Customer {rec.code or rec.id} was deleted meanwhile.")
        updates[it.record_id] = check_values(form, json.loads(rec.data), json.loads(it.changes), today)
    d = Directory.load(conn)
    q = select(S.code, S.done_by_id).where(S.case_id == case.id, S.done_by_id.is_not(None)).order_by(S.position)
    done = [(r.code, r.done_by_id) for r in conn.execute(q)] + [(step.code, user.id)]
    approver = next((uid for code, uid in done if "approve" in _flags(case.kind, code)), None)
    trail = [{"step": code, "by": d.name(uid)} for code, uid in done]
    extra = {"path": case.kind, "approved_by_id": approver, "applied_by": user.name, "steps": trail}
    applied = {a.record_id for a in apply_system_changes(tx, updates, PREFIX, case.id, extra)}
    versions = dict(conn.execute(select(customers.c.id, customers.c.version).where(customers.c.id.in_(applied))).all())
    for rid in applied:
        conn.execute(
            update(change_items)
            .where(change_items.c.case_id == case.id, change_items.c.record_id == rid)
            .values(applied_version=versions[rid])
        )


def do_step(db: Database, user: User, case_id: str, body: ChangeStepIn) -> dict[str, Any]:
    """Do the waiting step: its phone call recorded (an emergency's steps: ``change.phone_required``
    without one), the customer notice where the change needs one (``change.customer_notice_required``),
    and the change applied on the applying step; then the engine's clock moves on."""

    def hook(tx: Tx, case: Any, step: Any, _cust: Any, who: User, now: float) -> None:
        flags = _flags(case.kind, step.code)
        if "phone" in flags:
            if body.phone is None:
                raise refuse(
                    422, "phone_required", "This emergency step records its phone call: who, when, number, outcome."
                )
            _notice(tx, case.id, step.position, "phone", body.phone, who, now)
        if "apply" in flags:
            q = select(change_items.c.changes).where(change_items.c.case_id == case.id)
            keys = {k for text in tx.conn.execute(q).scalars() for k in json.loads(text)}
            if keys & NOTIFY_FIELDS:
                if body.customer_notice is None:
                    raise refuse(
                        422,
                        "customer_notice_required",
                        "The customer must be told of this change: record how and when.",
                    )
                _notice(tx, case.id, step.position, "customer", body.customer_notice, who, now)
            _apply(tx, case, step, who, now)

    case = engine.advance(db, user, case_id, body, KINDS, PREFIX, hook)
    with db.read() as conn:
        return _with_items(conn, case, Directory.load(conn), user)

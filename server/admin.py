"""Admin operations that change scopes or seed data: assignment, team changes, spreadsheet import.

A record that leaves someone's scope gets a ``revoke`` feed row addressed to them; a record that
enters a scope gets a fresh ``record`` row, so every puller ends up with exactly their scope.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, update

from app.export.reading import read_sheet
from app.models.catalogue import FieldRole
from app.models.wire import UserRole
from app.validation import validate_values
from app.validation.sheetmap import HeaderMap, map_columns, sheet_value
from server.accounts import AccountError, User, require_user, team_supervisor
from server.db import FeedEntry, Tx
from server.forms import current_form
from server.records import Rec, UnitOfWork
from server.schema import customers, users
from server.scope import Directory

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CODE_FIELD = "customer_code"


def _assignable(user: User) -> None:
    if user.disabled:
        raise AccountError(f"the user {user.name!r} is disabled")
    if user.role not in (UserRole.COLLECTOR.value, UserRole.SUPERVISOR.value):
        raise AccountError("customers are assigned to collectors or supervisors")


def _revoke_lost(tx: Tx, rec_id: str, before: set[int], after: set[int]) -> None:
    for uid in sorted(before - after):
        tx.emit(FeedEntry("revoke", rec_id, uid))


def assign(tx: Tx, customer: str, to: str) -> str:
    """Give a customer (by id or official code) to another user; returns the record id."""
    moved = assign_many(tx, [customer], to)
    return moved[0].record_id if moved else _find(tx, customer).id


@dataclass(frozen=True)
class Moved:
    """One customer of a handover: who had it before."""

    record_id: str
    code: str | None
    shop: str
    old_owner: str | None


def _find(tx: Tx, customer: str) -> Any:
    row = tx.conn.execute(
        select(customers).where((customers.c.id == customer.lower()) | (customers.c.code == customer))
    ).first()
    if row is None or row.deleted:
        raise AccountError(f"there is no customer {customer!r}")
    return row


def owned_by(tx: Tx, name: str) -> list[str]:
    """The ids of the customers a user holds (for a handover of all of them)."""
    user = require_user(tx.conn, name)
    q = select(customers.c.id).where(customers.c.owner_id == user.id, customers.c.deleted.is_(False))
    return list(tx.conn.execute(q.order_by(customers.c.id)).scalars())


def assign_many(tx: Tx, refs: list[str], to: str, provenance: dict[str, Any] | None = None) -> list[Moved]:
    """Give customers (ids or official codes) to another user in one transaction (a handover); returns
    those that changed hands (a customer the user already holds is left as it is)."""
    target = require_user(tx.conn, to)
    _assignable(target)
    d = Directory.load(tx.conn)
    uow = UnitOfWork(tx, target, current_form(tx.conn), d)
    shop = uow.form.by_role(FieldRole.SHOP_NAME)
    shop_key = shop.key if shop is not None else "shop_name"
    moved: list[Moved] = []
    before: dict[str, set[int]] = {}
    for ref in refs:
        row = _find(tx, ref)
        if row.id in uow.records:
            continue
        rec = Rec.from_row(row)
        uow.records[rec.id] = rec
        if rec.owner_id == target.id:
            continue
        before[rec.id] = d.viewers(rec.owner_id, rec.created_by_id)
        old_owner = d.name(rec.owner_id)
        moved.append(Moved(rec.id, rec.code, str(rec.values.get(shop_key) or ""), old_owner))
        rec.owner_id = target.id
        uow.touch(rec, "assign", {"owner": {"old": old_owner, "new": target.name}}, None, provenance)
    uow.flush()
    for rid, seen in before.items():
        rec = uow.records[rid]
        _revoke_lost(tx, rid, seen, d.viewers(rec.owner_id, rec.created_by_id))
    return moved


def _no_customers(tx: Tx, user: User) -> None:
    """A territory viewer keeps no customer and has created none (they would see them through the records'
    rules): an account that has is refused the role, naming what to do."""
    c = customers.c
    q = select(func.count()).where(or_(c.owner_id == user.id, c.created_by_id == user.id))
    n = tx.conn.execute(q).scalar_one()
    if n:
        raise AccountError(
            f"{user.name!r} keeps or created {n} customers; a viewer sees no customer: hand them over, or give "
            "the viewer an account of their own (one person, one account)"
        )


def set_team(tx: Tx, name: str, supervisor: str | None) -> int:
    """Move a user to another supervisor's team (or none); returns how many customers moved with them."""
    user = require_user(tx.conn, name)
    if supervisor and user.role == UserRole.VIEWER.value:
        raise AccountError(f"{name!r} is a viewer: a viewer joins no team, they are placed in the territory tree")
    sup_id = team_supervisor(tx.conn, supervisor).id if supervisor else None
    before_dir = Directory.load(tx.conn)
    tx.conn.execute(update(users).where(users.c.id == user.id).values(supervisor_id=sup_id))
    after_dir = Directory.load(tx.conn)
    q = (
        select(customers.c.id, customers.c.owner_id, customers.c.created_by_id)
        .where(customers.c.owner_id == user.id)
        .order_by(customers.c.id)
    )
    if tx.db.is_postgres:  # a concurrent assignment either lands first (and its customer is not moved) or waits
        q = q.with_for_update()
    rows = tx.conn.execute(q).all()
    for r in rows:
        _revoke_lost(
            tx, r.id, before_dir.viewers(r.owner_id, r.created_by_id), after_dir.viewers(r.owner_id, r.created_by_id)
        )
        tx.emit(FeedEntry("record", r.id, owner_id=r.owner_id, created_by_id=r.created_by_id))
    return len(rows)


def set_role(tx: Tx, name: str, role: str) -> int:
    """Give a user another role; returns how many customers' visibility changed.

    Who sees a customer depends on roles (server.scope), so the feed follows: a customer someone can
    no longer see gets a ``revoke`` row addressed to them, one they now see is sent again. A supervisor
    who still leads a team keeps the role until the team's members are moved; one who stops being a
    customer manager leaves their team. Becoming an admin (or
    ceasing to be one) changes the scope over every customer, so that goes through all of them."""
    user = require_user(tx.conn, name)
    if role not in [r.value for r in UserRole]:
        raise AccountError(f"the role must be one of {', '.join(r.value for r in UserRole)}")
    if role == user.role:
        return 0
    if user.role == UserRole.SUPERVISOR.value:
        members = tx.conn.execute(select(users.c.name).where(users.c.supervisor_id == user.id)).scalars().all()
        if members:
            raise AccountError(
                f"{name!r} leads a team ({', '.join(sorted(members))}): move its members to another team first"
            )
    if role == UserRole.VIEWER.value:
        _no_customers(tx, user)
    admin = UserRole.ADMIN.value
    before_dir = Directory.load(tx.conn)
    # only a collector is in a team: a market manager leads their own, an admin sees everything
    keep_team = user.supervisor_id if role == UserRole.COLLECTOR.value else None
    tx.conn.execute(update(users).where(users.c.id == user.id).values(role=role, supervisor_id=keep_team))
    after_dir = Directory.load(tx.conn)
    q = select(customers.c.id, customers.c.owner_id, customers.c.created_by_id).order_by(customers.c.id)
    if admin not in (role, user.role):
        q = q.where(customers.c.owner_id == user.id)
    changed = 0
    for r in tx.conn.execute(q).all():
        before = before_dir.viewers(r.owner_id, r.created_by_id) | ({user.id} if user.role == admin else set())
        after = after_dir.viewers(r.owner_id, r.created_by_id) | ({user.id} if role == admin else set())
        if before == after and r.owner_id != user.id:
            continue
        changed += 1
        _revoke_lost(tx, r.id, before, after)
        if after - before or r.owner_id == user.id:
            tx.emit(FeedEntry("record", r.id, owner_id=r.owner_id, created_by_id=r.created_by_id))
    return changed


@dataclass
class ImportReport:
    created: int = 0
    problems: list[str] = field(default_factory=list)


def import_customers(tx: Tx, path: Path, owner_name: str, sheet: str | None = None) -> ImportReport:
    """Seed customers from a spreadsheet, validated like the client's import; all or nothing.

    Rows with a customer code are existing customers: approved, the code official. Rows without
    one are new customers: drafts, to be completed, submitted and approved (which gives a code);
    they start with the defaults of a new customer where the sheet leaves a field empty.
    """
    owner = require_user(tx.conn, owner_name)
    _assignable(owner)
    form = current_form(tx.conn)
    names = HeaderMap(form)
    header, rows = read_sheet(path, names.score, sheet)
    mapping, col_issues, _unknown = map_columns(form, header, names)
    report = ImportReport()
    report.problems += [
        f"column {dict(i.params)['column']!r} appears twice"
        if i.code == "column.duplicate"
        else i.message(form[i.field].label_en, "en")
        for i in col_issues
    ]
    if not any(k in form for k in mapping.values()):
        report.problems.append("the header row names no field of the form")
    if report.problems:
        return report
    uow = UnitOfWork(tx, owner, form, Directory.load(tx.conn), onboarding_source="import")
    codes: dict[str, int] = {}
    for n, cells in rows:
        _import_row(uow, form, mapping, n, cells, codes, report)
    if report.problems:
        return report
    uow.flush()
    return report


def _import_row(
    uow: UnitOfWork,
    form: Any,
    mapping: dict[int, str],
    n: int,
    cells: list[Any],
    codes: dict[str, int],
    report: ImportReport,
) -> None:
    raw: dict[str, Any] = {}
    for i, key in mapping.items():
        if i < len(cells) and key in form and cells[i] is not None:
            value, lost = sheet_value(form[key], cells[i])
            if lost is not None:
                report.problems.append(f"row {n}: {lost.message(form[key].label_en, 'en')}")
                value = None
            raw[key] = value
    if raw.get(CODE_FIELD) in (None, ""):  # a new customer starts with the defaults (F3 L10, L158)
        raw = {**form.new_customer_defaults(), **{k: v for k, v in raw.items() if v not in (None, "")}}
    rid_cell = next((cells[i] for i, key in mapping.items() if key == "id" and i < len(cells)), None)
    rid = str(rid_cell).strip().lower() if rid_cell else str(uuid.uuid4())
    result = validate_values(form, raw, today=uow.today, role="supervisor", masked=False)
    for issue in result.errors:
        spec = form.get(issue.field)
        report.problems.append(f"row {n}: {issue.message(spec.label('en') if spec else issue.field, 'en')}")
    if not UUID_RE.fullmatch(rid) or rid in uow.records or _exists(uow, rid):
        report.problems.append(f"row {n}: the id {rid} is not a new customer id")
        return
    code = result.values.get(CODE_FIELD)
    if code:
        if code in codes or _code_taken(uow, code):
            report.problems.append(
                f"row {n}: the customer code {code} is already used"
                + (f" in row {codes[code]}" if code in codes else "")
            )
        codes[code] = n
    if result.has_errors:
        return
    rec = uow.new_record(rid, uow.user)
    rec.values = {k: v for k, v in result.values.items() if v is not None}
    if code:
        rec.status, rec.code, rec.code_official = "approved", code, True
    uow.touch(
        rec,
        "import",
        {k: {"old": None, "new": v} for k, v in rec.values.items()},
        None,
        {"source": "import", "source_ref": f"row {n}"},
    )
    rec.field_versions = {k: rec.version for k in rec.values}
    uow.refresh_photos(rec)
    report.created += 1


def _exists(uow: UnitOfWork, rid: str) -> bool:
    return uow.tx.conn.execute(select(customers.c.id).where(customers.c.id == rid)).first() is not None


def _code_taken(uow: UnitOfWork, code: str) -> bool:
    return uow.tx.conn.execute(select(customers.c.id).where(customers.c.code == code)).first() is not None

"""Governed access to personal data on the server (audit R9, R11, R12, A3, A4): who looked at a
customer, and the export requests (查阅/借阅申请) a supervisor or admin approves.

The access log itself is the clients' audit trails (server/audit.py): each device logs opening a
customer's page, searching, exporting and printing as entries of entity ``access`` (``export`` for
an export), uploaded at sync and checked link by link like every entry. ``customer_access`` reads a
customer's entries back by its id (the entries' entity id), naming the account that uploaded them,
the device and the time.

An export request names its target (which customers), purpose, reason and whether ID and bank
numbers are to be unmasked; the applicant is the signed-in account. The applicant's supervisor or an
admin approves or refuses it, never the applicant; an approval holds for ``VALID_DAYS`` days.
The client keeps its user's requests (fetched at sync) and refuses an unmasked export, or an admin's
export of personal fields, without an approved one (app/services/exporting.py); the export's access
entry names the request, the file, its SHA-256 and its row count.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, or_, select, update
from sqlalchemy.orm import aliased

from app.models.wire import ACCESS_ENTITY, ErrorCode, UserRole
from server.accounts import Caller
from server.db import Database, Tx
from server.errors import ApiError, not_found
from server.schema import audit_entries, export_requests, users

A = audit_entries.c
R = export_requests.c
VALID_DAYS = 7  # an approval's validity (the documents give none: long enough for one job, then ask again)
STATES = ("pending", "approved", "refused")


class AccessEntryOut(BaseModel):
    at: str
    kind: str  # open | search | export | print
    actor: str  # the name the entry was written under on the device
    user: str  # the account that uploaded it (the device's owner)
    display_name: str
    device: str
    via: str | None = None  # "review": opened from the review tab
    forked: bool = False


class CustomerAccess(BaseModel):
    record_id: str
    entries: list[AccessEntryOut]


class ExportRequestIn(BaseModel):
    target: str = Field(min_length=1, max_length=400)
    purpose: str = Field(min_length=1, max_length=400)
    reason: str = Field(min_length=1, max_length=2000)
    unmasked: bool = False  # ID and bank numbers in full


class ExportDecisionIn(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=2000)


class ExportRequestOut(BaseModel):
    id: str
    applicant: str
    applicant_name: str
    target: str
    purpose: str
    reason: str
    unmasked: bool
    state: str
    approver: str | None
    approver_name: str | None
    note: str
    created_at: float
    decided_at: float | None
    valid_until: float | None


class ExportRequests(BaseModel):
    requests: list[ExportRequestOut]


def _may_oversee(who: Caller) -> None:
    if who.user.role not in (UserRole.SUPERVISOR.value, UserRole.ADMIN.value):
        raise ApiError(403, ErrorCode.FORBIDDEN, "Only supervisors and admins see who looked at a customer.")


def customer_access(conn: Connection, who: Caller, record_id: str) -> list[dict[str, Any]]:
    """Who looked at the customer, oldest first (the caller already sees the customer: its scope)."""
    _may_oversee(who)
    q = (
        select(A.at, A.action, A.actor, A.device, A.new, A.forked, users.c.name, users.c.display_name)
        .join(users, users.c.id == A.uploaded_by_id)
        .where(A.entity == ACCESS_ENTITY, A.entity_id == record_id)
        .order_by(A.at, A.id)
    )
    out = []
    for r in conn.execute(q):
        details = json.loads(r.new) if r.new else {}
        via = details.get("via") if isinstance(details, dict) else None
        out.append(
            {
                "at": r.at,
                "kind": r.action,
                "actor": r.actor,
                "user": r.name,
                "display_name": r.display_name or r.name,
                "device": r.device,
                "via": via if isinstance(via, str) else None,
                "forked": bool(r.forked),
            }
        )
    return out


# ---- export requests ------------------------------------------------------------------------------
def _wire(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "applicant": r.applicant,
        "applicant_name": r.applicant_name or r.applicant,
        "target": r.target,
        "purpose": r.purpose,
        "reason": r.reason,
        "unmasked": bool(r.unmasked),
        "state": r.state,
        "approver": r.approver,
        "approver_name": (r.approver_name or r.approver) if r.approver else None,
        "note": r.note,
        "created_at": r.created_at,
        "decided_at": r.decided_at,
        "valid_until": r.valid_until,
    }


def _select() -> Any:
    applicant, approver = aliased(users), aliased(users)
    q = (
        select(
            export_requests,
            applicant.c.name.label("applicant"),
            applicant.c.display_name.label("applicant_name"),
            applicant.c.supervisor_id.label("applicant_supervisor"),
            approver.c.name.label("approver"),
            approver.c.display_name.label("approver_name"),
        )
        .join(applicant, applicant.c.id == R.applicant_id)
        .outerjoin(approver, approver.c.id == R.decided_by_id)
    )
    return q, applicant


def create_request(db: Database, who: Caller, body: ExportRequestIn) -> dict[str, Any]:
    rid = str(uuid.uuid4())

    def work(tx: Tx) -> dict[str, Any]:
        tx.conn.execute(
            export_requests.insert().values(
                id=rid,
                applicant_id=who.user.id,
                target=body.target.strip(),
                purpose=body.purpose.strip(),
                reason=body.reason.strip(),
                unmasked=body.unmasked,
                state="pending",
                note="",
                created_at=time.time(),
            )
        )
        return _one(tx.conn, rid)

    return db.write(work)


def _one(conn: Connection, rid: str) -> dict[str, Any]:
    q, _ = _select()
    row = conn.execute(q.where(R.id == rid)).first()
    if row is None:
        raise not_found("There is no such export request.")
    return _wire(row)


def list_requests(conn: Connection, who: Caller) -> list[dict[str, Any]]:
    """The caller's own requests; a supervisor's also those of their team; an admin's every one."""
    q, applicant = _select()
    if who.user.role == UserRole.SUPERVISOR.value:
        q = q.where(or_(R.applicant_id == who.user.id, applicant.c.supervisor_id == who.user.id))
    elif who.user.role != UserRole.ADMIN.value:
        q = q.where(R.applicant_id == who.user.id)
    return [_wire(r) for r in conn.execute(q.order_by(R.created_at, R.id))]


def decide_request(db: Database, who: Caller, rid: str, body: ExportDecisionIn) -> dict[str, Any]:
    """Approve or refuse: the applicant's supervisor or an admin, never the applicant; once."""

    def work(tx: Tx) -> dict[str, Any]:
        q, _ = _select()
        row = tx.conn.execute(q.where(R.id == rid)).first()
        role = who.user.role
        if row is None or (role != UserRole.ADMIN.value and row.applicant_supervisor != who.user.id):
            if row is not None and row.applicant_id == who.user.id:
                raise ApiError(
                    403, ErrorCode.FORBIDDEN, "An export request is approved by someone else than its applicant."
                )
            raise not_found("There is no such export request.")
        if row.applicant_id == who.user.id:
            raise ApiError(
                403, ErrorCode.FORBIDDEN, "An export request is approved by someone else than its applicant."
            )
        if row.state != "pending":
            raise ApiError(409, ErrorCode.CONFLICT, f"This export request was already decided ({row.state}).")
        now = time.time()
        tx.conn.execute(
            update(export_requests)
            .where(R.id == rid)
            .values(
                state="approved" if body.approve else "refused",
                decided_by_id=who.user.id,
                decided_at=now,
                note=body.note.strip(),
                valid_until=now + VALID_DAYS * 86400 if body.approve else None,
            )
        )
        return _one(tx.conn, rid)

    return db.write(work)

"""Inbound feeds (issue 19, docs/integrations.md "Inbound feeds"): licensees from the monopoly licence system
and staff assignments, routes and delivery sequence from the distribution and delivery systems.

Each item is ``{"external_id", "version", "values"}`` (an assignment also names its ``customer``: code or
record id). Per item, in order:

- **Idempotent by external id and version**: the last version applied per (integration, kind, external id)
  is kept in ``inbound_messages`` with the answer it got. The same version again gets that answer and
  changes nothing; an older one is refused (``version.stale``). Calls of one integration apply one after
  the other (its row is locked on PostgreSQL; SQLite has one writer).
- **Validated like a push**: only the fields the sending system's department owns (:data:`OWNED`), each
  parsed and cross-checked by ``app.validation.validate_values``; a bad item is answered with its field
  errors and nothing of it is written; the other items go on.
- **Scoped**: a customer outside the integration's territory is ``not_found``; a new licensee must fall to
  an owner inside it.
- **Written as system changes**: a new version per changed customer (actor ``system``, provenance naming
  the integration), so clients receive them at their next sync and the outbound feed carries them.

A new licensee becomes a draft customer (an onboarding case) of the owner the deployment's rule names: the
longest region-code prefix of ``licensee_rules`` matching its 区域编码 (set with ``python -m server
licensee-rule``). 专卖 forwards a new licensee's location and basic information within 0.5 working day
(F3 L382–383, audit I1): the endpoint is how they arrive the moment they are sent.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from app.models.wire import UserRole
from app.validation import validate_values
from server import inbound_licences as licences
from server.accounts import User, get_user, get_user_by_id
from server.db import Tx
from server.forms import current_form
from server.integrations import Machine
from server.records import Rec, UnitOfWork, dumps
from server.schema import customers
from server.schema_integrations import inbound_messages, integrations, licensee_rules
from server.scope import Directory, can_see
from server.system import system_user

LICENSEE, ASSIGNMENT = "licensee", "assignment"
MAX_ITEMS = 500  # items a call at most; a larger load goes in pages
EXTERNAL_ID_RE = re.compile(r"[\x21-\x7e]{1,100}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PREFIX_RE = re.compile(r"[0-9]{2,12}")
#: the fields each inbound kind writes: those its department owns (the licence system: the licence and
#: the outlet as licensed; distribution and delivery: the staff, routes, sequence, batches and quotas)
OWNED: dict[str, frozenset[str]] = {
    LICENSEE: frozenset(
        {
            "licence_no",
            "licence_type",
            "shop_name",
            "legal_person",
            "id_card",
            "uscc",
            "licence_issue_date",
            "licence_expiry_date",
            "annual_review_date",
            "issuing_bureau",
            "address",
            "region_code",
            "location",
            "contact_name",
            "contact_phone",
        }
    ),
    ASSIGNMENT: frozenset(
        {
            "customer_manager",
            "inspector",
            "phone_order_clerk",
            "delivery_person",
            "sales_visitor",
            "service_staff",
            "call_route",
            "delivery_route",
            "delivery_section",
            "delivery_sequence",
            "order_batch",
            "visit_batch",
            "total_quota",
            "item_quota",
            "quota_category",
        }
    ),
}
KEYS = {
    LICENSEE: {"external_id", "version", "values", "cancellation", "issued_at"},
    ASSIGNMENT: {"external_id", "version", "customer", "values"},
}
NEEDED_TO_CREATE = ("licence_no", "shop_name", "region_code")


class InboundError(Exception):
    """A refused rule change (one English line, for the command line)."""


def err(field_key: str | None, code: str, message: str) -> dict[str, Any]:
    return {"field": field_key, "code": code, "message": message}


# --- the deployment's rule for new licensees -------------------------------------------------------------


def set_rule(tx: Tx, prefix: str, owner_name: str) -> None:
    """New licensees whose region code starts with ``prefix`` go to ``owner_name`` (a collector or supervisor)."""
    if not PREFIX_RE.fullmatch(prefix):
        raise InboundError(f"{prefix!r} is not a region code prefix (2 to 12 digits)")
    owner = get_user(tx.conn, owner_name)
    if owner is None:
        raise InboundError(f"there is no user {owner_name!r}")
    if owner.disabled or owner.role not in (UserRole.COLLECTOR.value, UserRole.SUPERVISOR.value):
        raise InboundError("new licensees go to an enabled collector or supervisor")
    tx.conn.execute(delete(licensee_rules).where(licensee_rules.c.region_prefix == prefix))
    tx.conn.execute(insert(licensee_rules).values(region_prefix=prefix, owner_id=owner.id, created_at=time.time()))


def remove_rule(tx: Tx, prefix: str) -> None:
    if not tx.conn.execute(delete(licensee_rules).where(licensee_rules.c.region_prefix == prefix)).rowcount:
        raise InboundError(f"there is no rule for {prefix!r}")


def rules(conn: Connection) -> list[dict[str, Any]]:
    out = []
    for r in conn.execute(select(licensee_rules).order_by(licensee_rules.c.region_prefix)).all():
        owner = get_user_by_id(conn, r.owner_id)
        out.append({"region_prefix": r.region_prefix, "owner": owner.name if owner else None})
    return out


def owner_for(conn: Connection, region: str) -> User | None:
    """The owner of the longest rule prefix of ``region`` (None: no rule matches)."""
    prefixes = [region[:n] for n in range(min(len(region), 12), 1, -1)]
    q = select(licensee_rules).where(licensee_rules.c.region_prefix.in_(prefixes))
    found = {r.region_prefix: r.owner_id for r in conn.execute(q).all()}
    for p in prefixes:
        if p in found:
            return get_user_by_id(conn, found[p])
    return None


# --- one call ----------------------------------------------------------------------------------------------


@dataclass
class _Seen:
    version: int
    record_id: str
    answer: dict[str, Any]


@dataclass
class _Call:
    tx: Tx
    machine: Machine
    kind: str
    uow: UnitOfWork
    seen: dict[str, _Seen] = field(default_factory=dict)  # external id -> as stored or applied in this call
    applied: dict[str, _Seen] = field(default_factory=dict)  # to store at the end
    numbers: dict[str, str] = field(default_factory=dict)  # licence numbers given to a customer in this call

    def previous(self, ext: str) -> _Seen | None:
        if ext not in self.seen:
            row = self.tx.conn.execute(
                select(inbound_messages).where(
                    inbound_messages.c.integration_id == self.machine.id,
                    inbound_messages.c.kind == self.kind,
                    inbound_messages.c.external_id == ext,
                )
            ).first()
            if row is None:
                return None
            self.seen[ext] = _Seen(row.version, row.record_id, json.loads(row.answer))
        return self.seen[ext]

    def record(self, rid: str) -> Rec | None:
        self.uow.load([rid])
        return self.uow.records.get(rid)

    @property
    def provenance_source(self) -> str:
        return f"integration:{self.machine.name}"


def receive(tx: Tx, machine: Machine, kind: str, items: list[Any]) -> list[dict[str, Any]]:
    """Apply one call's items; the answer per item, in order."""
    if tx.db.is_postgres:  # one call of an integration at a time: a replay racing its original waits
        tx.conn.execute(select(integrations.c.id).where(integrations.c.id == machine.id).with_for_update())
    uow = UnitOfWork(tx, system_user(tx), current_form(tx.conn), Directory.load(tx.conn))
    uow.onboarding_source = f"integration:{machine.name}"
    call = _Call(tx, machine, kind, uow)
    answers = [_item(call, item) for item in items]
    uow.flush()
    for ext, seen in call.applied.items():
        where = (
            inbound_messages.c.integration_id == machine.id,
            inbound_messages.c.kind == kind,
            inbound_messages.c.external_id == ext,
        )
        tx.conn.execute(delete(inbound_messages).where(*where))
        tx.conn.execute(
            insert(inbound_messages).values(
                integration_id=machine.id,
                kind=kind,
                external_id=ext,
                version=seen.version,
                record_id=seen.record_id,
                answer=dumps(seen.answer),
                at=uow.now,
            )
        )
    return answers


def _rejected(item: Any, errors: list[dict[str, Any]], record_id: str | None = None) -> dict[str, Any]:
    ext = item.get("external_id") if isinstance(item, dict) else None
    ver = item.get("version") if isinstance(item, dict) else None
    return {
        "external_id": ext if isinstance(ext, str) else None,
        "version": ver if type(ver) is int else None,
        "status": "rejected",
        "record_id": record_id,
        "created": False,
        "changed": [],
        "linked": False,
        "closed": False,
        "errors": errors,
    }


def _shape(call: _Call, item: Any) -> list[dict[str, Any]]:
    if not isinstance(item, dict):
        return [err(None, "item.invalid", "An item is an object: external_id, version and values.")]
    out = [err(k, "item.unknown_key", f"{k!r} is not part of an item.") for k in item if k not in KEYS[call.kind]]
    ext, ver, values = item.get("external_id"), item.get("version"), item.get("values")
    if not isinstance(ext, str) or not EXTERNAL_ID_RE.fullmatch(ext):
        out.append(err("external_id", "external_id.invalid", "The external id is 1 to 100 ASCII characters, no space."))
    if type(ver) is not int or not 1 <= ver <= 2**62:
        out.append(err("version", "version.invalid", "The version is a whole number of at least 1."))
    cancelling = call.kind == LICENSEE and item.get("cancellation") is not None
    if not isinstance(values, dict) or not values:
        if not (cancelling and values is None):  # a cancellation may come without values
            out.append(err("values", "values.invalid", "values is an object naming at least one field."))
    if call.kind == ASSIGNMENT and not (isinstance(item.get("customer"), str) and item["customer"].strip()):
        out.append(err("customer", "customer.invalid", "customer is the customer's code or record id."))
    return out


def _values(call: _Call, raw: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The parsed values of the owned fields, or the field errors (the push's validators)."""
    form, owned = call.uow.form, OWNED[call.kind]
    errors = []
    for key in raw:
        if key not in form:
            errors.append(err(key, "unknown_field", f"{key!r} is not a field of the form."))
        elif key not in owned:
            errors.append(err(key, "field.not_owned", f"This feed does not write {form[key].label_en}."))
    report = validate_values(
        form,
        {k: v for k, v in raw.items() if k in owned and k in form},
        today=call.uow.today,
        required=False,
        masked=False,
    )
    for issue in report.errors:
        spec = form.get(issue.field)
        errors.append(err(issue.field, issue.code, issue.message(spec.label("en") if spec else issue.field, "en")))
    return {k: report.values.get(k) for k in raw if k in owned and k in form}, errors


def _item(call: _Call, item: Any) -> dict[str, Any]:
    problems = _shape(call, item)
    if problems:
        return _rejected(item, problems)
    ext, ver = item["external_id"], item["version"]
    prev = call.previous(ext)
    if prev is not None and prev.version == ver:
        return prev.answer  # a replay: the same answer, nothing changes
    if prev is not None and prev.version > ver:
        return _rejected(
            item,
            [err("version", "version.stale", f"Version {ver} is older than version {prev.version}, applied already.")],
            prev.record_id,
        )
    values, problems = _values(call, item.get("values") or {})
    cancel, more = licences.cancellation(item.get("cancellation"), call.uow.today)
    issued, later = licences.issued_at(item.get("issued_at"), values, call.uow.now)
    if problems or more or later:
        return _rejected(item, problems + more + later)
    linked = False
    if call.kind == ASSIGNMENT:
        rec, problems = _customer(call, item["customer"].strip(), prev)
    elif prev is None:
        rec, problems, linked = _new_or_matched(call, ext, values, cancel)
    else:
        rec, problems = _known(call, prev.record_id)
    if rec is None or (problems and not _only_closed(problems, cancel, values)):
        return _rejected(item, problems, rec.id if rec else None)
    if cancel is not None and not rec.closed and rec.status == "pending":
        msg = "The customer is waiting for review: decide the submission, then send the cancellation again."
        return _rejected(item, [err("cancellation", "closure.pending", msg)], rec.id)
    created, ref = rec.is_new, f"{call.kind} {ext} v{ver}"
    changed = [] if rec.closed else _write(call, rec, values, ref, created)
    closing = cancel is not None and not rec.closed
    if closing:
        assert cancel is not None
        licences.close(call.uow, rec, cancel, _provenance(call, ref), call.provenance_source)
    if created and issued is not None:
        call.uow.licence_issued[rec.id] = issued
    if isinstance(values.get("licence_no"), str):
        call.numbers[values["licence_no"]] = rec.id
    answer = {
        "external_id": ext,
        "version": ver,
        "status": "accepted",
        "record_id": rec.id,
        "created": created,
        "changed": changed,
        "linked": linked,
        "closed": closing,
        "errors": [],
    }
    call.seen[ext] = call.applied[ext] = _Seen(ver, rec.id, answer)
    return answer


def _only_closed(problems: list[dict[str, Any]], cancel: Any, values: dict[str, Any]) -> bool:
    """A cancellation (without values) of a customer closed already: accepted, nothing changes."""
    return cancel is not None and not values and [p["code"] for p in problems] == ["closed"]


def _provenance(call: _Call, ref: str) -> dict[str, Any]:
    return {"source": call.provenance_source, "source_ref": ref, "department": call.machine.department}


def _new_or_matched(
    call: _Call, ext: str, values: dict[str, Any], cancel: Any
) -> tuple[Rec | None, list[dict[str, Any]], bool]:
    """A new external id: the customer keyed by hand with its licence number (linked), else a new draft
    customer; a cancellation of a licence nobody has is refused."""
    number = values.get("licence_no")
    rid, problems = licences.match(call.tx.conn, number, call.numbers)
    if problems:
        return None, problems, False
    if rid is not None:
        rec = call.record(rid)
        if rec is None or not can_see(call.machine.as_user(), rec, call.uow.directory):
            msg = f"The customer with licence number {number} is outside this integration's territory."
            return None, [err("licence_no", "licence.outside_territory", msg)], False
        if rec.closed:
            return rec, [err("licence_no", "closed", "The customer with this licence number is closed (销户).")], True
        return rec, [], True
    if cancel is not None:
        msg = f"There is no licensee {ext} here (and no customer has its licence number): nothing to cancel."
        return None, [err("external_id", "not_found", msg)], False
    rec, problems = _new_licensee(call, values)
    return rec, problems, False


def _known(call: _Call, rid: str) -> tuple[Rec | None, list[dict[str, Any]]]:
    rec = call.record(rid)
    if rec is None or not can_see(call.machine.as_user(), rec, call.uow.directory):
        return None, [err("external_id", "not_found", "The customer of this external id is outside the territory.")]
    if rec.deleted:
        return rec, [err("external_id", "deleted", "The customer of this external id was deleted.")]
    if rec.closed:
        return rec, [err("external_id", "closed", "The customer of this external id is closed (销户).")]
    return rec, []


def _customer(call: _Call, ref: str, prev: _Seen | None) -> tuple[Rec | None, list[dict[str, Any]]]:
    col = customers.c.id if UUID_RE.fullmatch(ref.lower()) else customers.c.code
    rid = call.tx.conn.execute(select(customers.c.id).where(col == (ref.lower() if col is customers.c.id else ref)))
    found = rid.scalar()
    if found is None:
        return None, [err("customer", "not_found", f"There is no customer {ref} in this integration's territory.")]
    rec, problems = _known(call, found)  # scope first: reveal nothing outside the territory
    if rec is None:
        return None, [err("customer", "not_found", f"There is no customer {ref} in this integration's territory.")]
    if prev is not None and prev.record_id != found:
        return None, [err("customer", "customer.other", "This external id was applied to another customer.")]
    return rec, [dict(p, field="customer") for p in problems]


def _new_licensee(call: _Call, values: dict[str, Any]) -> tuple[Rec | None, list[dict[str, Any]]]:
    form = call.uow.form
    needed = [k for k in NEEDED_TO_CREATE if values.get(k) is None]
    missing = [err(k, "required", f"A new licensee needs {form[k].label_en}.") for k in needed]
    if missing:
        return None, missing
    region = str(values["region_code"])
    owner = owner_for(call.tx.conn, region)
    if owner is None:
        return None, [
            err("region_code", "assign.no_rule", f"No rule of this deployment gives region {region} to an owner.")
        ]
    if owner.disabled or owner.role not in (UserRole.COLLECTOR.value, UserRole.SUPERVISOR.value):
        return None, [err("region_code", "assign.owner_unavailable", f"The owner of region {region} is not active.")]
    rec = call.uow.new_record(str(uuid.uuid4()), owner)
    if not can_see(call.machine.as_user(), rec, call.uow.directory):
        del call.uow.records[rec.id]
        return None, [err("region_code", "assign.outside_territory", f"Region {region} is outside the territory.")]
    return rec, []


def _write(call: _Call, rec: Rec, values: dict[str, Any], ref: str, created: bool) -> list[str]:
    """The values as system changes (a new version when anything changes); the keys changed."""
    base = {**call.uow.form.new_customer_defaults()} if created else {}
    effective: dict[str, dict[str, Any]] = {}
    for key, new in {**base, **values}.items():
        if rec.values.get(key) != new:
            effective[key] = {"old": rec.values.get(key), "new": new}
            if new is None:
                rec.values.pop(key, None)
            else:
                rec.values[key] = new
            if rec.approved_values is not None:  # the reviewer's diff must not show it as the collector's
                if new is None:
                    rec.approved_values.pop(key, None)
                else:
                    rec.approved_values[key] = new
    if not effective:
        return []
    call.uow.touch(rec, f"system.{call.kind}", effective, None, _provenance(call, ref))
    for key in effective:
        rec.field_versions[key] = rec.version
    return sorted(k for k in effective if k in values)

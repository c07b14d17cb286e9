"""What each kind of mutation does to a record: the versioning, merge and review rules.

Every function takes the unit of work and one mutation (a plain dict, already shape-checked) and
returns the protocol's Result. Nothing here commits: the push applies a whole batch in one
transaction. Validation uses the catalogue and the validators the client uses, never the
client's word.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from app.models.catalogue import ChangePolicy, FieldType
from app.models.wire import MutationKind, ResultStatus, UserRole
from app.validation import Issue, Severity, parse_field, validate_values
from app.validation.compiled import compiled
from app.validation.completeness import KEEPER, gaps
from app.validation.consent import consent_issues, consent_save_issues
from app.validation.editing import editable_keys, editor_issues
from server import completeness, secrecy
from server.codes import keep_code, next_code, region_of
from server.db import FeedEntry
from server.photos import readable
from server.records import Rec, UnitOfWork, dumps
from server.schema import customer_versions, review_decisions
from server.scope import can_decide, can_edit, can_see, is_admin

#: Errors that one field carries but several fields cause: they block any save touching the record.
CROSS_FIELD = frozenset({"licence.issue_after_expiry", "licence.review_outside"})
CODE_FIELD = "customer_code"
SAVE = MutationKind.SAVE.value

MESSAGES = {
    "not_found": "There is no such customer.",
    "forbidden": "You may not change this customer.",
    "deleted": "This customer was deleted.",
    "pending": "The customer is waiting for review and cannot be changed until it is decided.",
    "version.ahead": "The base version is newer than the server's version.",
    "version.stale": "The customer changed since this version; look at it again before deciding.",
    "status.not_submittable": "Only a draft or a returned customer can be submitted.",
    "status.not_pending": "Only a customer waiting for review can be decided.",
    "decision.reason": "Say why the customer is returned.",
    "decision.missing": "A review decision needs an action.",
    "review.own_change": "You changed this customer since it was last approved: another person (an admin) must "
    "approve it.",
    "changes.missing": "A save needs changes.",
    "visit.missing": "A visit needs its details.",
    "visit.duplicate": "A visit with this id already exists.",
    "visit.date": "The visit date must be a date (YYYY-MM-DD) that is not in the future.",
    "check.missing": "A check needs its kind and date.",
    "check.date": "The date of a check must be a date (YYYY-MM-DD) that is not in the future.",
    "unknown_field": "This is not a field of the form.",
    "photo.forbidden": "This photo was not sent from this account and is not on a customer you may see.",
    "closed": "This outlet is closed: its record is read-only until a market manager or an admin reopens it.",
    "closure.missing": "Closing or reopening needs an action (close or reopen), a date and a reason.",
    "closure.reason": "Say why the outlet is closed or reopened.",
    "closure.date": "The date of a closure must be a date (YYYY-MM-DD) that is not in the future.",
    "closure.already_closed": "This outlet is closed already.",
    "closure.not_closed": "This outlet is not closed.",
    "closure.pending": "The customer is waiting for review: decide the submission before closing the outlet.",
}


def error(code: str, field: str | None = None, message: str | None = None, **params: Any) -> dict[str, Any]:
    return {"field": field, "code": code, "message": message or MESSAGES.get(code, code), "params": params}


def issue_error(uow: UnitOfWork, issue: Issue) -> dict[str, Any]:
    spec = uow.form.get(issue.field)
    return {
        "field": issue.field,
        "code": issue.code,
        "message": issue.message(spec.label("en") if spec else issue.field, "en"),
        "params": {k: v for k, v in issue.params},
    }


def result(
    m: dict[str, Any],
    status: ResultStatus,
    rec: Rec | None,
    uow: UnitOfWork,
    *,
    conflicts: list[dict[str, Any]] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "mutation_id": m["mutation_id"],
        "status": status.value,
        "record": rec.to_wire(uow.directory, uow.view) if rec is not None and rec.version > 0 else None,
        "conflicts": conflicts or [],
        "errors": errors or [],
    }


def rejected(
    m: dict[str, Any], uow: UnitOfWork, errors: list[dict[str, Any]], rec: Rec | None = None
) -> dict[str, Any]:
    return result(m, ResultStatus.REJECTED, rec, uow, errors=errors)


def applied(uow: UnitOfWork, m: dict[str, Any], rec: Rec) -> dict[str, Any]:
    """A record kept beside a customer (integrity entry, complaint, signature, service record) was written:
    the customer's feed row (its file changed, its version did not) and the answer ``applied``."""
    uow.tx.emit(FeedEntry("record", rec.id, owner_id=rec.owner_id, created_by_id=rec.created_by_id))
    return result(m, ResultStatus.APPLIED, rec, uow)


def target(uow: UnitOfWork, m: dict[str, Any], *, edit: bool = True) -> tuple[Rec | None, dict[str, Any] | None]:
    """The record a mutation names, or the rejection the caller gets (scope first: reveal nothing)."""
    rec = uow.records.get(m["record_id"])
    if rec is None or rec.version == 0 or not can_see(uow.user, rec, uow.directory):
        return None, rejected(m, uow, [error("not_found")])
    if rec.deleted:
        return None, rejected(m, uow, [error("deleted")], rec)
    if rec.closed and m["kind"] != MutationKind.CLOSE.value:
        return None, rejected(m, uow, [error("closed")], rec)
    if edit and not can_edit(uow.user, rec, uow.directory):
        return None, rejected(m, uow, [error("forbidden")], rec)
    return rec, None


def _field_errors(
    uow: UnitOfWork, changes: dict[str, Any], creating: bool = False, onboarding: bool = True
) -> list[dict[str, Any]]:
    """Unknown fields, and the editor rules (``app.validation.editing``, which the client's entry paths use
    too); ``onboarding``: the customer was never approved (the collector's onboarding-only fields)."""
    editable = editable_keys(uow.form, uow.user.role, onboarding=onboarding)
    if editable.issuperset(changes):
        return []
    out = [error("unknown_field", key) for key in changes if key not in uow.form]
    issues = editor_issues(uow.form, uow.user.role, changes, creating=creating, onboarding=onboarding)
    return out + [issue_error(uow, i) for i in issues]


def _canonical(uow: UnitOfWork, key: str, raw: Any) -> Any:
    value, _issues = parse_field(uow.form[key], raw, uow.today)
    return value


def save(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, dict[str, Any]] = m.get("changes") or {}
    rec = uow.records.get(m["record_id"])
    creating = rec is None or rec.version == 0
    if creating:
        if m["base_version"] != 0:
            return rejected(m, uow, [error("not_found")])
        rec = rec or uow.new_record(m["record_id"], uow.user)
    else:
        rec, refusal = target(uow, m)
        if refusal:
            return refusal
        assert rec is not None
        if rec.status == "pending" and uow.user.role == UserRole.COLLECTOR.value:
            return rejected(m, uow, [error("pending")], rec)
    changes, hidden = secrecy.guard(uow.view, None if creating else rec, changes, uow.directory)
    if hidden:  # a value the caller cannot see is not theirs to overwrite (server.secrecy)
        return rejected(
            m, uow, [issue_error(uow, Issue.make(k, Severity.ERROR, "secrecy.hidden")) for k in hidden], rec
        )
    base = m["base_version"]
    if base > rec.version:
        return rejected(m, uow, [error("version.ahead")], None if creating else rec)
    bad = _field_errors(uow, changes, creating, onboarding=creating or not rec.code_official)
    if bad:
        return rejected(m, uow, bad, None if creating else rec)
    conflicts = [] if creating or base == rec.version else _conflicts(uow, rec, base, changes)
    if conflicts:
        return result(m, ResultStatus.CONFLICT, rec, uow, conflicts=conflicts)
    merged = dict(rec.values)
    merged.update({k: ch.get("new") for k, ch in changes.items()})
    if not creating:  # only what can reject the save: the changed fields and the cross-field rules' inputs
        wanted = _cross_field_keys(uow).union(changes)
        merged = {k: v for k, v in merged.items() if k in wanted}
    # a new customer: every value, and with the role whose completeness the report counts (the required
    # values' bookkeeping is what server.completeness stores; the role changes no error)
    report = validate_values(uow.form, merged, today=uow.today, role=KEEPER, required=creating, masked=False)
    errs = [i for i in report.errors if i.field in changes or i.code in CROSS_FIELD]
    after = {**rec.values, **{k: report.values.get(k) for k in changes}}  # the values this save would store
    errs += consent_save_issues(uow.form, rec.values, after)  # ``consent.required``: collecting refused (F3 L211)
    if errs:
        return rejected(m, uow, [issue_error(uow, i) for i in errs], None if creating else rec)
    taken = _foreign_photos(uow, rec, changes, report.values)
    if taken:
        return rejected(
            m,
            uow,
            [issue_error(uow, Issue.make(key, Severity.ERROR, "photo.forbidden", ref=h[:12])) for key, h in taken],
            None if creating else rec,
        )
    code = m.get("provisional_code")
    if code and not rec.code_official and rec.provisional_code is None:
        rec.provisional_code = code  # written with the version the save makes
    out = _apply_save(uow, m, rec, changes, report.values, creating)
    if creating:  # its completeness from this validation (server.completeness), not from another one at flush
        rec.stamp = completeness.from_report(uow.form, report, rec.values, uow.today)
        rec.stamped_data = dumps(rec.values)
    return out


def _forbidden(uow: UnitOfWork, hashes: list[str]) -> set[str]:
    """Of ``hashes``, the photos on the server the caller may not read (a photo not on the server yet
    is allowed: the caller's own upload will follow, and only it clears the record's wait for it)."""
    missing = set(uow.missing(hashes))
    present = [h for h in hashes if h not in missing]
    return set(present) - readable(uow.tx.conn, uow.user, present) if present else set()


def _foreign_photos(
    uow: UnitOfWork, rec: Rec, changes: dict[str, Any], canonical: dict[str, Any]
) -> list[tuple[str, str]]:
    """(field, hash) of photos a save adds that the caller may not refer to (``photo.forbidden``)."""
    added: list[tuple[str, str]] = []
    for key in changes:
        spec = uow.form.get(key)
        if spec is None or spec.type is not FieldType.PHOTO:
            continue
        before = set(rec.values.get(key) or [])
        added += [(key, h) for h in canonical.get(key) or [] if isinstance(h, str) and h not in before]
    if not added:
        return []
    bad = _forbidden(uow, [h for _k, h in added])
    return [(k, h) for k, h in added if h in bad]


def _cross_field_keys(uow: UnitOfWork) -> frozenset[str]:
    """The fields the cross-field rules read (``app.validation.validator.cross_field_issues``)."""
    return compiled(uow.form).cross_field_keys


def _conflicts(uow: UnitOfWork, rec: Rec, base: int, changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Fields changed on the server since ``base`` to another value; regulated ones whenever it moved on."""
    out = []
    for key, ch in changes.items():
        server = rec.values.get(key)
        if server == _canonical(uow, key, ch.get("new")):
            continue
        if uow.form[key].regulated or rec.field_version(key) > base:
            out.append({"field": key, "base": ch.get("old"), "mine": ch.get("new"), "server": server})
    return out


def _apply_save(
    uow: UnitOfWork, m: dict[str, Any], rec: Rec, changes: dict[str, Any], canonical: dict[str, Any], creating: bool
) -> dict[str, Any]:
    base, old_values = m["base_version"], dict(rec.values)
    effective = {}
    for key in changes:
        value = canonical.get(key)
        if value != old_values.get(key):
            effective[key] = {"old": old_values.get(key), "new": value}
            if value is None:
                rec.values.pop(key, None)
            else:
                rec.values[key] = value
    status = ResultStatus.APPLIED if creating or base == rec.version else ResultStatus.MERGED
    if not effective and not creating:
        return result(m, status, rec, uow)
    if (
        rec.status == "approved"
        and uow.user.role == UserRole.COLLECTOR.value
        and any(uow.form[k].change is ChangePolicy.APPROVAL for k in effective)
    ):
        rec.status, rec.approved_values = "draft", old_values
    uow.touch(rec, m["kind"], effective, m["mutation_id"], m.get("provenance"))
    if not creating:  # a new record's fields are all version 1 (Rec.field_version)
        for key in effective:
            rec.field_versions[key] = rec.version
    uow.refresh_photos(rec)
    return result(m, status, rec, uow)


def submit(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    rec, refusal = target(uow, m)
    if refusal:
        return refusal
    assert rec is not None
    if rec.status not in ("draft", "returned"):
        return rejected(m, uow, [error("status.not_submittable")], rec)
    report = validate_values(uow.form, rec.values, today=uow.today, role=uow.user.role)
    report.merge(consent_issues(uow.form, rec.values))  # ``consent.missing``: refused (F3 L211)
    errs = [issue_error(uow, i) for i in report.errors]
    uow.refresh_photos(rec)
    for key in (s.key for s in uow.form.fields if s.key in rec.values):
        for ref in rec.values[key] if isinstance(rec.values[key], list) else []:
            if ref in rec.missing_photos:
                errs.append(issue_error(uow, Issue.make(key, Severity.ERROR, "photo.missing", ref=ref[:12])))
    if errs:
        return rejected(m, uow, errs, rec)
    rec.status = "pending"
    rec.review = {
        "submitted_at": uow.iso_now,
        "submitted_by": uow.user.name,
        "submitted_by_name": uow.user.display_name or uow.user.name,
        "note": (m.get("note") or "").strip(),
        "urgent": bool(m.get("urgent")),
    }
    uow.touch(
        rec,
        m["kind"],
        {"note": m.get("note") or "", "urgent": bool(m.get("urgent"))},
        m["mutation_id"],
        m.get("provenance"),
    )
    return result(m, ResultStatus.APPLIED, rec, uow)


def delete(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    """A soft delete; a collector may only delete a customer that never had an official code."""
    rec, refusal = target(uow, m)
    if refusal:
        return refusal
    assert rec is not None
    if uow.user.role == UserRole.COLLECTOR.value and rec.code_official:
        return rejected(m, uow, [error("forbidden")], rec)
    rec.deleted = True
    uow.touch(rec, m["kind"], {}, m["mutation_id"], m.get("provenance"))
    return result(m, ResultStatus.APPLIED, rec, uow)


def decide(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    rec, refusal = target(uow, m, edit=False)
    if refusal:
        return refusal
    assert rec is not None
    if not can_decide(uow.user, rec, uow.directory):
        return rejected(m, uow, [error("forbidden")], rec)
    d = m.get("decision") or {}
    problems = _decision_errors(uow, d)
    if problems:
        return rejected(m, uow, problems, rec)
    if rec.status != "pending":
        return rejected(m, uow, [error("status.not_pending")], rec)
    if m["base_version"] != rec.version:
        return rejected(m, uow, [error("version.stale")], rec)
    action, reason, fields = d["action"], (d.get("reason") or "").strip(), list(d.get("fields") or [])
    if action == "approve" and not is_admin(uow.user) and _changed_by(uow, rec, uow.user.id):
        return rejected(m, uow, [error("review.own_change")], rec)
    if action == "approve" and not rec.code_official:
        missing = gaps(uow.form, rec.values, uow.today)
        if missing:
            return rejected(m, uow, [_incomplete(uow, missing)], rec)
    if action == "approve":
        rec.status, rec.approved_values = "approved", None
        if not rec.code_official:
            region = region_of(uow.form, rec.values)
            code = keep_code(uow.tx, region, d.get("code"), rec.id, uow.codes_given) or next_code(
                uow.tx, region, uow.codes_given
            )
            uow.codes_given.add(code)
            rec.code, rec.code_official = code, True
            rec.values[CODE_FIELD] = code
    else:
        rec.status = "returned"
    submission = {
        k: v
        for k, v in (rec.review or {}).items()
        if k in ("submitted_at", "submitted_by", "submitted_by_name", "note", "urgent")
    }
    rec.review = {
        **submission,
        "action": action,
        "reason": reason,
        "fields": fields,
        "by": uow.user.name,
        "by_name": uow.user.display_name or uow.user.name,
        "at": uow.iso_now,
    }
    uow.touch(rec, m["kind"], {"decision": rec.review}, m["mutation_id"])
    if action == "approve" and CODE_FIELD in rec.values:
        rec.field_versions[CODE_FIELD] = rec.version
    uow.decisions.append(
        {
            "record_id": rec.id,
            "version": rec.version,
            "action": action,
            "reason": reason,
            "fields": ",".join(fields),
            "by_id": uow.user.id,
            "at": uow.now,
        }
    )
    return result(m, ResultStatus.APPLIED, rec, uow)


def _incomplete(uow: UnitOfWork, missing: list[str]) -> dict[str, Any]:
    """The refusal of a new customer's approval while required fields are empty or invalid (F3 L141–146):
    it names them (English labels; ``params.fields`` the keys, for the client's own language)."""
    labels = ", ".join(uow.form[k].label("en") for k in missing)
    return error(
        "approval.incomplete",
        "decision.action",
        f"A new customer is approved only with every required field filled in; missing or invalid: {labels}.",
        fields=missing,
    )


def _changed_by(uow: UnitOfWork, rec: Rec, user_id: int) -> bool:
    """Whether ``user_id`` changed the customer's values (a save) since its last approval: the one who
    maintains a customer is not the one who approves the change (an admin may do both)."""
    approved = uow.tx.conn.execute(
        select(func.max(review_decisions.c.version)).where(
            review_decisions.c.record_id == rec.id, review_decisions.c.action == "approve"
        )
    ).scalar()
    since = approved or 0
    if any(
        v["record_id"] == rec.id and v["kind"] == SAVE and v["actor_id"] == user_id and v["version"] > since
        for v in uow.versions
    ):  # saved earlier in this same push
        return True
    return (
        uow.tx.conn.execute(
            select(customer_versions.c.version)
            .where(
                customer_versions.c.record_id == rec.id,
                customer_versions.c.actor_id == user_id,
                customer_versions.c.kind == SAVE,
                customer_versions.c.version > since,
            )
            .limit(1)
        ).first()
        is not None
    )


def _decision_errors(uow: UnitOfWork, d: dict[str, Any]) -> list[dict[str, Any]]:
    if d.get("action") not in ("approve", "return"):
        return [error("decision.missing", "decision.action")]
    out = []
    if d["action"] == "return" and not (d.get("reason") or "").strip():
        out.append(error("decision.reason", "decision.reason"))
    out += [error("unknown_field", f) for f in d.get("fields") or [] if f not in uow.form]
    return out


def _past_day(uow: UnitOfWork, text: Any) -> dt.date | None:
    """A YYYY-MM-DD date not after tomorrow in China (a client's clock may run a little ahead), else None."""
    try:
        day = dt.date.fromisoformat(str(text))
    except ValueError:
        return None
    return None if day > uow.today + dt.timedelta(days=1) else day


def visit(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    """A visit to a customer; its photos must be on the server already (a visit is never edited)."""
    rec, refusal = target(uow, m)
    if refusal:
        return refusal
    assert rec is not None
    v = m.get("visit")
    if not v:
        return rejected(m, uow, [error("visit.missing", "visit")], rec)
    day = _past_day(uow, v.get("visited_on"))
    if day is None:
        return rejected(m, uow, [error("visit.date", "visit.visited_on")], rec)
    if v["id"] in uow.visit_ids() or uow.visit_exists(v["id"]):
        return rejected(m, uow, [error("visit.duplicate", "visit.id")], rec)
    photos = list(dict.fromkeys(v.get("photos") or []))
    missing = uow.missing(photos)
    if missing:
        return rejected(
            m,
            uow,
            [
                error("photo.missing", "visit.photos", f"Photo {h[:12]} is not on the server yet.", ref=h[:12])
                for h in missing
            ],
            rec,
        )
    bad = _forbidden(uow, photos)
    if bad:
        return rejected(m, uow, [error("photo.forbidden", "visit.photos", ref=h[:12]) for h in photos if h in bad], rec)
    body = {
        "id": v["id"],
        "visited_on": day.isoformat(),
        "purpose": v.get("purpose") or "",
        "notes": v.get("notes") or "",
        "sales_anomaly": v.get("sales_anomaly") or "",
        "photos": photos,
    }
    if v.get("orders") is not None:  # order collection (server/filings.py sums it per collector and month)
        body |= {"orders": v["orders"], "order_quantity": v.get("order_quantity") or 0}
        body["order_amount"] = v.get("order_amount") or "0"
    uow.add_visit(rec, body)
    return result(m, ResultStatus.APPLIED, rec, uow)


def check(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    """A quarterly check or a half-yearly review of the static information (§3.5) of a customer.

    It changes no field and makes no new version: the record's checks are what the monthly report's
    overdue list reads. Whoever may edit the customer may record one."""
    rec, refusal = target(uow, m)
    if refusal:
        return refusal
    assert rec is not None
    c = m.get("check")
    if not c:
        return rejected(m, uow, [error("check.missing", "check")], rec)
    day = _past_day(uow, c.get("day"))
    if day is None:
        return rejected(m, uow, [error("check.date", "check.day")], rec)
    uow.check_rows.append(
        {"record_id": rec.id, "kind": c["kind"], "day": day.isoformat(), "by_id": uow.user.id, "at": uow.now}
    )
    return result(m, ResultStatus.APPLIED, rec, uow)


def close(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    """Closing an outlet (销户: licence cancelled, business ended) or reopening it (docs/domain.md, "The
    archive's lifecycle"). The responsible market manager or an admin decides it, with a date and a reason:
    a collector reports the cancellation through the customer's status (an ``approval`` field, reviewed).
    A closed record stays visible but is read-only (``closed``) until it is reopened."""
    rec, refusal = target(uow, m, edit=False)
    if refusal:
        return refusal
    assert rec is not None
    if not can_decide(uow.user, rec, uow.directory):
        return rejected(m, uow, [error("forbidden")], rec)
    c = m.get("closure")
    if not c:
        return rejected(m, uow, [error("closure.missing", "closure")], rec)
    reason = (c.get("reason") or "").strip()
    if not reason:
        return rejected(m, uow, [error("closure.reason", "closure.reason")], rec)
    day = _past_day(uow, c.get("day") or uow.today.isoformat())
    if day is None or day > uow.today:
        return rejected(m, uow, [error("closure.date", "closure.day")], rec)
    closing = c["action"] == "close"
    if closing and rec.closed:
        return rejected(m, uow, [error("closure.already_closed", "closure.action")], rec)
    if not closing and not rec.closed:
        return rejected(m, uow, [error("closure.not_closed", "closure.action")], rec)
    if closing and rec.status == "pending":
        return rejected(m, uow, [error("closure.pending", "closure.action")], rec)
    if m["base_version"] != rec.version:
        return rejected(m, uow, [error("version.stale")], rec)
    rec.closure = {
        "state": "closed" if closing else "reopened",
        "day": day.isoformat(),
        "reason": reason,
        "by": uow.user.name,
        "by_name": uow.user.display_name or uow.user.name,
        "at": uow.iso_now,
    }
    rec.closed_at = uow.now if closing else None
    uow.touch(rec, m["kind"], {"closure": rec.closure}, m["mutation_id"], m.get("provenance"))
    return result(m, ResultStatus.APPLIED, rec, uow)

"""Review by the market manager (市场经理): the queue of the team's submissions with their
deadlines, each submission as a diff against the approved version, and decisions taken offline
and queued like every change.

Deadlines (requirements §3.1–3.4, in working days of the published calendar):
- a new customer: its archive complete within 5 working days of its binding date (the whole
  onboarding, of which the review is the last step);
- a change: 3 working days from the submission (the county-initiated change flow, §3.2 B);
- an emergency change (应急维护, marked urgent by the collector): 1.5 hours from the submission.
A deadline ends at the end of its working day, China time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.errors import UserFacingError
from app.i18n import N_, _, current_language, ngettext, translate
from app.models import times
from app.models.catalogue import FieldType
from app.models.record import Customer, CustomerStatus, Duplicate, Provenance, Source
from app.models.wire import AccessKind, UserRole
from app.models.workdays import WorkCalendar
from app.services.session import Session
from app.validation import validate_values
from app.validation.completeness import gaps
from app.validation.report import Severity

CHINA = times.ZONE
NEW_CUSTOMER_WORKDAYS = 5
CHANGE_WORKDAYS = 3
URGENT = dt.timedelta(hours=1, minutes=30)
REASONS_KEY = "review_reasons"
MAX_REASONS = 30
#: Offered before anyone has written a reason of their own (the commonest returns in the documents).
DEFAULT_REASONS = (
    N_("The contact phone does not match the owner; check it with the customer."),
    N_("A photo is unclear or missing; take it again."),
    N_("The address is not detailed enough; add the street number."),
    N_("The licence information does not match the licence; check it."),
    N_("The bank account or settlement method needs the signed agreement."),
)


@dataclass(frozen=True)
class QueueItem:
    id: str
    code: str | None
    code_official: bool
    shop_name: str
    contact_name: str
    owner: str
    kind: str  # new | change
    urgent: bool
    submitted_at: dt.datetime | None
    submitted_by: str
    note: str
    deadline: dt.datetime
    overdue: bool
    left: str  # "2 working days", "45 min", or how much overdue
    warnings: int
    errors: int
    unsent: bool  # decided here, not yet sent
    missing: int = 0  # required fields empty (a new customer is approved only without any)


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    group: str
    old: Any
    new: Any
    photo: bool


@dataclass
class Submission:
    item: QueueItem
    customer: Customer
    changes: list[Change]
    issues: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, field label, message)
    missing: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    #: Labels of the required fields that keep a new customer from approval (empty or invalid; F3 L141–146).
    gaps: list[str] = field(default_factory=list)


def _role_check(session: Session) -> None:
    if session.role not in (UserRole.SUPERVISOR, UserRole.ADMIN):
        raise UserFacingError(N_("Only a market manager can approve or return customers."))


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _date(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def deadline(
    kind: str,
    urgent: bool,
    submitted: dt.datetime | None,
    binding_date: str | None,
    cal: WorkCalendar,
    now: dt.datetime,
) -> dt.datetime:
    submitted = submitted or now
    if urgent:
        return submitted + URGENT
    start = _date(binding_date) if kind == "new" else None
    start = start or submitted.astimezone(CHINA).date()
    day = cal.add_workdays(start, NEW_CUSTOMER_WORKDAYS if kind == "new" else CHANGE_WORKDAYS)
    return dt.datetime.combine(day, dt.time(23, 59, 59), CHINA)


def time_left(due: dt.datetime, now: dt.datetime, cal: WorkCalendar, urgent: bool) -> tuple[bool, str]:
    """(overdue, how long left or how long overdue) in the units a person counts in."""
    overdue = now > due
    if urgent or abs(due - now) < dt.timedelta(hours=24):
        minutes = int(abs(due - now).total_seconds() // 60)
        amount = (
            _("{h} h {m} min").format(h=minutes // 60, m=minutes % 60)
            if minutes >= 60
            else _("{m} min").format(m=minutes)
        )
    else:
        today, day = now.astimezone(CHINA).date(), due.astimezone(CHINA).date()
        days = cal.workdays_between(day, today) if overdue else cal.workdays_between(today, day)
        amount = ngettext("{n} working day", "{n} working days", max(days, 1)).format(n=max(days, 1))
    return overdue, (_("overdue by {t}").format(t=amount) if overdue else _("{t} left").format(t=amount))


def queue(session: Session, now: dt.datetime | None = None) -> list[QueueItem]:
    """The team's pending submissions: emergencies first, then the oldest first."""
    cal, now = session.calendar, now or dt.datetime.now(dt.UTC)
    items = []
    people = session._archive.outbox.people()  # display names (the queue names people as the server does)
    for r in session._archive.customers.pending_rows():
        review = r["review"] or {}
        kind = "change" if r["is_change"] else "new"
        urgent = bool(review.get("urgent"))
        submitted = _when(review.get("submitted_at")) or _when(r["updated_at"])
        due = deadline(kind, urgent, submitted, r["binding_date"], cal, now)
        overdue, left = time_left(due, now, cal, urgent)
        name = r["shop_name"] or r["contact_name"] or r["code"] or ""
        items.append(
            QueueItem(
                r["id"],
                r["code"],
                bool(r["code_official"]),
                name,
                r["contact_name"] or "",
                people.get(who := r["owner"] or review.get("submitted_by") or "", who),
                kind,
                urgent,
                submitted,
                review.get("submitted_by_name") or people.get(sb := review.get("submitted_by") or "", sb),
                review.get("note") or "",
                due,
                overdue,
                left,
                r["warning_count"] or 0,
                r["error_count"] or 0,
                r["sync_state"] == "pending",
                r["missing_count"] or 0,
            )
        )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    items.sort(key=lambda i: (not i.urgent, i.submitted_at or far))
    return items


def open_submission(session: Session, customer_id: str) -> Submission | None:
    """A submission opened by the reviewer: ``submission``, and the access logged (audit R9)."""
    sub = submission(session, customer_id)
    if sub is not None:
        session._archive.access.record(AccessKind.OPEN, session.user, customer_id, {"via": "review"})
    return sub


def submission(session: Session, customer_id: str, now: dt.datetime | None = None) -> Submission | None:
    """One pending submission as the reviewer sees it: what changed against the approved version
    (every value, for a new customer), its problems, and possible duplicates among all the
    customers this archive holds."""
    item = next((i for i in queue(session, now) if i.id == customer_id), None)
    c = session._archive.customers.get(customer_id)
    if item is None or c is None:
        return None
    form, lang = session.form, current_language()
    before = c.approved_values or {}
    changes = []
    for spec in form.fields:
        old, new = before.get(spec.key), c.values.get(spec.key)
        if old in (None, "", []) and new in (None, "", []):
            continue
        if item.kind == "change" and old == new:
            continue
        group = form.group(spec.group)
        changes.append(
            Change(
                spec.key,
                spec.label(lang),
                group.label(lang) if group else spec.group,
                old,
                new,
                spec.type is FieldType.PHOTO,
            )
        )
    report = validate_values(form, c.values, today=session.today(), role=UserRole.COLLECTOR)
    issues = [
        (
            i.severity.value,
            form[i.field].label(lang) if i.field in form else i.field,
            i.message(form[i.field].label(lang) if i.field in form else i.field, lang),
        )
        for i in report.issues
        if i.severity in (Severity.ERROR, Severity.WARNING)
    ]
    missing = sum(1 for i in report.issues if i.severity is Severity.MISSING)
    dups = session._archive.duplicates.find(form, c.values, exclude=[c.id])
    blocking = [] if c.code_official else [form[k].label(lang) for k in gaps(form, c.values, session.today())]
    return Submission(item, c, changes, issues, missing, dups, blocking)


def decide(session: Session, ids: Sequence[str], action: str, reason: str = "", fields: Sequence[str] = ()) -> int:
    """Approve or return pending submissions (taken here, offline too; sent at the next sync).
    Only a supervisor or an admin may; records no longer pending are skipped."""
    _role_check(session)
    if action not in ("approve", "return"):
        raise UserFacingError(N_("A decision is approve or return."))
    if action == "return" and not reason.strip():
        raise UserFacingError(N_("Say why the customer is returned."))
    unknown = [f for f in fields if f not in session.form]
    if unknown:
        raise UserFacingError(N_("Not fields of the form: {fields}."), fields=", ".join(unknown))
    decided = 0
    customers = session._archive.customers.many(list(ids))
    for cid in ids:
        c = customers.get(cid)
        if c is None or c.deleted:
            raise UserFacingError(N_("There is no customer with the id {id}."), id=cid)
        if action == "approve" and c.status is CustomerStatus.PENDING and not c.code_official:
            missing = gaps(session.form, c.values, session.today())
            if missing:  # the server refuses it too (approval.incomplete): say so before anything is queued
                raise UserFacingError(
                    N_("{name} cannot be approved yet: a new customer needs every required field. Missing: {fields}."),
                    name=str(c.values.get("shop_name") or c.code or cid),
                    fields="、".join(session.form[k].label(current_language()) for k in missing),
                )
    for cid in ids:
        c = customers[cid]
        if c.status is not CustomerStatus.PENDING:
            continue
        session._archive.outbox.record_decision(
            cid,
            {"action": action, "reason": reason.strip(), "fields": list(fields)},
            Provenance(session.user, Source.REVIEW),
        )
        decided += 1
    if action == "return" and decided:
        remember_reason(session, reason)
    return decided


def approvable(items: Sequence[QueueItem]) -> list[QueueItem]:
    """Clean submissions, safe to approve together: no errors, no warnings, and no empty required field
    on a new customer (which could not be approved)."""
    return [i for i in items if not i.errors and not i.warnings and (i.code_official or not i.missing)]


def reasons(session: Session) -> list[str]:
    """Reasons for returning, most recently used first, then the common ones."""
    used = json.loads(session._archive.meta.get(REASONS_KEY) or "[]")
    out = list(dict.fromkeys([*used, *(translate(r) for r in DEFAULT_REASONS)]))
    return out[:MAX_REASONS]


def remember_reason(session: Session, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        return
    used = [r for r in json.loads(session._archive.meta.get(REASONS_KEY) or "[]") if r != reason]
    session._archive.meta.set(REASONS_KEY, json.dumps([reason, *used][:MAX_REASONS], ensure_ascii=False))

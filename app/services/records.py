"""Customer records: validate (with the archive's duplicate checks), save drafts, submit."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.errors import UserFacingError
from app.i18n import N_, _, current_language
from app.models.catalogue import FieldType, FormDefinition
from app.models.record import (
    SYSTEM_ACTOR,
    AuditEntry,
    Customer,
    CustomerStatus,
    CustomerUpdate,
    Duplicate,
    NewCustomer,
    Provenance,
    Quality,
    Source,
    Visit,
    new_id,
)
from app.models.wire import UserRole
from app.services import service
from app.services.events import Changes
from app.services.session import Session
from app.validation import Issue, Report, Severity, validate_values
from app.validation.consent import consent_issues, consent_save_issues
from app.validation.secrecy import is_masked

#: an amount in yuan: at most 10 digits before the point and 2 after (the server's rule, server/wiremodels.py)
AMOUNT = re.compile(r"(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?")


def quality(report: Report) -> Quality:
    missing = errors = warnings = 0
    for issue in report.issues:  # one pass, not the three lists of report.missing/errors/warnings
        sev = issue.severity
        if sev is _MISSING:
            missing += 1
        elif sev is _ERROR:
            errors += 1
        elif sev is _WARNING:
            warnings += 1
    return Quality(round(report.completeness, 4), missing, errors, warnings)


_MISSING, _ERROR, _WARNING = Severity.MISSING, Severity.ERROR, Severity.WARNING


def duplicate_issues(form: FormDefinition, dups: Sequence[Duplicate]) -> list[Issue]:
    return [
        Issue.make(
            d.field, Severity.WARNING, "duplicate", code=d.code or "", name=d.name or "", customer_id=d.customer_id
        )
        for d in dups
    ]


def defaults(form: FormDefinition) -> dict[str, Any]:
    """Values a new customer starts with (online ordering, electronic settlement, weekly orders …)."""
    return form.new_customer_defaults()


def validate(session: Session, values: Mapping[str, Any], customer_id: str | None = None) -> Report:
    """Everything the form checks, plus duplicates among the other customers of the archive."""
    report = validate_values(session.form, values, today=session.today(), role=session.role)
    report.merge(
        duplicate_issues(
            session.form,
            session._archive.duplicates.find(session.form, report.values, exclude=[customer_id] if customer_id else []),
        )
    )
    report.merge(missing_photo_issues(session, report.values))
    return report


def missing_photo_issues(session: Session, values: Mapping[str, Any]) -> list[Issue]:
    refs = {
        f.key: values.get(f.key) or []
        for f in session.form.fields
        if f.type is FieldType.PHOTO and not is_masked(values.get(f.key))  # masked: no photo to hold
    }
    known = session._archive.media.known_photos({r for v in refs.values() for r in v})
    return [
        Issue.make(k, Severity.ERROR, "photo.missing", ref=r[:12]) for k, v in refs.items() for r in v if r not in known
    ]


def clean_values(report: Report) -> dict[str, Any]:
    """The values to store: parsed, canonical, without empty entries."""
    return {k: v for k, v in report.values.items() if v is not None and v != "" and v != []}


def save_draft(
    session: Session, values: Mapping[str, Any], customer_id: str | None = None, prov: Provenance | None = None
) -> tuple[Customer, Report]:
    """Save at any time, even with errors: a value that does not parse is not stored (the UI keeps the text).
    Refused, with nothing stored, when it adds or changes personal values without a recorded consent where the
    form requires one (``refuse_without_consent``)."""
    prov = prov or Provenance(session.user, Source.MANUAL, info_date=session.today().isoformat())
    report = validate(session, values, customer_id)
    stored = clean_values(report)
    arc = session._archive
    before = arc.customers.get(customer_id) if customer_id is not None else None
    refuse_without_consent(session.form, before.values if before is not None else None, stored)
    if before is not None:
        stored |= beyond_form(session.form, before.values)
    if customer_id is None or arc.customers.get(customer_id) is None:
        cid = customer_id or new_id()
        arc.customers.insert(session.form, [NewCustomer(cid, stored, quality(report))], prov)
    else:
        cid = customer_id
        current = arc.customers.get(cid)
        assert current is not None
        refuse_closed(current)
        if current.status is CustomerStatus.PENDING and session.role == UserRole.COLLECTOR:
            raise UserFacingError(
                N_(
                    "This customer is waiting for review; it can be changed after the market "
                    "manager's decision (or withdraw the submission if it has not been sent)."
                )
            )
        arc.customers.update(session.form, [CustomerUpdate(cid, stored, quality(report))], prov)
    customer = arc.customers.get(cid)
    assert customer is not None
    return customer, report


def save_changes(
    session: Session, customer_id: str, changes: Mapping[str, Any], prov: Provenance | None = None
) -> tuple[Customer, Report]:
    """Apply only the fields a person changed onto the customer as it is stored now: values that
    arrived from the server while a form was open are not overwritten by the form's older copy."""
    current = session._archive.customers.get(customer_id)
    if current is None:
        return save_draft(session, dict(changes), customer_id, prov)
    return save_draft(session, {**current.values, **changes}, customer_id, prov)


def beyond_form(form: FormDefinition, values: Mapping[str, Any]) -> dict[str, Any]:
    """The stored values of fields this form does not have (one an older version had and this one retired,
    ``meta.retired``): a save keeps them as they are, nothing is lost and nothing is sent as a change."""
    return {k: v for k, v in values.items() if k not in form}


def refuse_without_consent(form: FormDefinition, before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> None:
    """Collecting personal information needs the customer's recorded consent (F3 L211; issue 18): a save that
    adds or changes a personal value without one is refused, naming the fields (``consent_save_issues``)."""
    issues = consent_save_issues(form, before, after)
    if issues:
        lang = current_language()
        raise UserFacingError(
            N_(
                "Not saved: personal information ({fields}) cannot be collected without the customer's recorded "
                "consent. Record the consent first (signed, its date and its form: written or electronic), or "
                "leave these fields as they were."
            ),
            fields=("、" if lang.startswith("zh") else ", ").join(form[i.field].label(lang) for i in issues),
        )


def refuse_closed(customer: Customer) -> None:
    """A closed outlet (销户) is read-only until a market manager or an admin reopens it (the server
    refuses any change with ``closed`` too)."""
    if customer.closed:
        closure = customer.closure or {}
        raise UserFacingError(
            N_(
                "This outlet was closed on {day}: {reason}. Its record is read-only; a market manager "
                "or an admin can reopen it."
            ),
            day=str(closure.get("day") or ""),
            reason=str(closure.get("reason") or ""),
        )


def get(session: Session, customer_id: str) -> Customer | None:
    return session._archive.customers.get(customer_id)


def open_customer(session: Session, customer_id: str) -> Customer | None:
    """A customer's page opened by the person: its values, and the access logged (audit R9; a reload of
    a page already open, after a save or a sync, is ``get``)."""
    customer = session._archive.customers.get(customer_id)
    if customer is not None:
        session._archive.access.opened(customer_id, session.user)
    return customer


def duplicates_of(session: Session, values: Mapping[str, Any], exclude: Sequence[str]) -> list[Issue]:
    """The duplicate warnings for ``values`` (parsed) among the other customers of the archive."""
    return duplicate_issues(session.form, session._archive.duplicates.find(session.form, dict(values), list(exclude)))


def visits(session: Session, customer_id: str) -> list[Visit]:
    return session._archive.media.visits(customer_id)


def history(session: Session, customer_id: str) -> list[AuditEntry]:
    """The audit entries of one customer, oldest first, each with who did it (``by``, docs/domain.md
    "Who did it"): for a change that came by sync the account that made it on the server (its source
    reference), else the entry's actor; by display name where the server has told us one, and
    ``system`` (translated) for the server's own changes. A decision names its reviewer the same way."""
    arc = session._archive
    people = arc.outbox.people()

    def name(login: str) -> str:
        if login == SYSTEM_ACTOR:
            return _("system")
        return people.get(login) or login

    out = []
    for e in arc.audit.history(customer_id):
        login = e.source_ref if e.source == Source.SYNC.value and e.source_ref else e.actor
        new = e.new
        if e.action == "review" and isinstance(new, dict) and new.get("by"):
            new = {**new, "by": new.get("by_name") or name(str(new["by"]))}
        out.append(replace(e, by=name(login), new=new))
    return out


def save(
    session: Session,
    values: Mapping[str, Any],
    customer_id: str | None,
    changes: Mapping[str, Any],
    prov: Provenance | None,
    autosave_key: str | None,
) -> Customer:
    """What the form's Save does: a new customer from all ``values``, an existing one from the fields
    changed in the form (``changes``); the form's crash-safe copy is dropped afterwards."""
    if customer_id is None:
        customer, _report = save_draft(session, values, None, prov)
    else:
        customer, _report = save_changes(session, customer_id, changes, prov)
    if autosave_key is not None:
        discard_autosave(session, autosave_key)
    return customer


def waiting(session: Session) -> int:
    """How many changes wait in the outbox to be sent to the server."""
    return session._archive.outbox.outbox_count()


@dataclass(frozen=True)
class Saved:
    """What the form's Save did: the customer as stored, and how many changes now wait to be sent."""

    customer: Customer
    waiting: int

    @property
    def changes(self) -> Changes:
        return Changes.of([self.customer], waiting=self.waiting)


def save_counted(
    session: Session,
    values: Mapping[str, Any],
    customer_id: str | None,
    changes: Mapping[str, Any],
    prov: Provenance | None,
    autosave_key: str | None,
) -> Saved:
    """``save``, and the number of changes waiting to be sent afterwards (for the status bar)."""
    return Saved(save(session, values, customer_id, changes, prov, autosave_key), waiting(session))


@dataclass(frozen=True)
class Submitted:
    """What Save-and-submit did: the customer as stored at the end, which ids went to review, the
    reports of those refused, and an error of the submit step after the save had succeeded."""

    customer: Customer
    submitted: list[str]
    refused: dict[str, Report]
    error: BaseException | None = field(default=None, compare=False)
    waiting: int | None = None  # changes waiting to be sent afterwards, when counted

    @property
    def changes(self) -> Changes:
        return Changes.of([self.customer], waiting=self.waiting)


def save_and_submit(
    session: Session,
    values: Mapping[str, Any],
    customer_id: str | None,
    changes: Mapping[str, Any],
    prov: Provenance | None,
    autosave_key: str | None,
    note: str = "",
    urgent: bool = False,
) -> Submitted:
    """The form's Submit in one operation: save, submit for review, and read the customer once at the
    end. The save stands even when the submit step fails (the error is returned with it)."""
    customer = save(session, values, customer_id, changes, prov, autosave_key)
    try:
        ok, refused = submit(session, [customer.id], note=note, urgent=urgent)
    except Exception as exc:  # the save is stored; the form must learn of it and show the error
        return Submitted(customer, [], {}, exc)
    if ok:
        customer = get(session, customer.id) or customer
    return Submitted(customer, ok, refused)


def submit(
    session: Session, ids: Sequence[str], note: str = "", urgent: bool = False
) -> tuple[list[str], dict[str, Report]]:
    """Move drafts (and returned records) without errors to pending review, with a note to the
    reviewer; ``urgent``: an emergency change (应急维护, decided within 1.5 hours). Returns
    (submitted, refused)."""
    arc = session._archive
    ok: list[str] = []
    refused: dict[str, Report] = {}
    customers = arc.customers.many(list(ids))
    for cid in ids:
        c = customers.get(cid)
        if c is None or c.deleted:
            raise UserFacingError(N_("There is no customer with the id {id}."), id=cid)
        if c.status not in (CustomerStatus.DRAFT, CustomerStatus.RETURNED):
            continue
        report = validate(session, c.values, cid)
        report.merge(consent_issues(session.form, c.values))  # refused, not only warned (F3 L211)
        if report.has_errors:
            refused[cid] = report
        else:
            ok.append(cid)
    arc.customers.set_status(
        ok, CustomerStatus.PENDING, Provenance(session.user, Source.MANUAL), note=note, urgent=urgent
    )
    return ok, refused


def mark_checked(session: Session, ids: Sequence[str], kind: str) -> int:
    """Record a quarterly check (``quarterly``) or a half-yearly review of static information (``static``)."""
    return session._archive.customers.mark_checked(
        ids,
        kind,
        session.today().isoformat(),
        Provenance(session.user, Source.VISIT, info_date=session.today().isoformat()),
    )


def add_visit(
    session: Session,
    customer_id: str,
    visited_on: str,
    purpose: str,
    notes: str,
    sales_anomaly: str,
    photos: Sequence[str] = (),
    order: tuple[int, int, str] | None = None,
) -> Visit:
    """A visit; ``order``: the orders taken, the cartons and the amount in yuan (text, at most 2 decimals)
    when an order was collected on it."""
    current = session._archive.customers.get(customer_id)
    if current is None:
        raise UserFacingError(N_("There is no customer with the id {id}."), id=customer_id)
    refuse_closed(current)
    orders, quantity, amount = order if order is not None else (None, None, None)
    if order is not None and not (0 <= order[0] <= 1000 and 0 <= order[1] <= 1_000_000 and AMOUNT.fullmatch(order[2])):
        raise UserFacingError(N_("The order is a number of orders, of cartons and an amount in yuan such as 900.50."))
    visit = Visit(
        new_id(),
        customer_id,
        visited_on,
        purpose.strip(),
        notes.strip(),
        sales_anomaly.strip(),
        tuple(photos),
        orders=orders,
        order_quantity=quantity,
        order_amount=amount,
    )
    stored = session._archive.media.add_visit(visit, Provenance(session.user, Source.VISIT, info_date=visited_on))
    service.fulfil_plans(session, customer_id, stored.id, visited_on)  # the visit closes its plan
    return stored


# ---- crash-safe autosave of forms being edited ---------------------------------------------------
def autosave(session: Session, key: str, customer_id: str | None, state: Mapping[str, Any]) -> None:
    session._archive.autosave.put(key, customer_id, json.dumps(state, ensure_ascii=False, default=str))


def autosaved(session: Session) -> list[tuple[str, str | None, dict[str, Any], str]]:
    return [(k, cid, json.loads(state), at) for k, cid, state, at in session._archive.autosave.all()]


def discard_autosave(session: Session, key: str) -> None:
    session._archive.autosave.clear(key)


def withdraw(session: Session, customer_id: str) -> bool:
    """Take back a submission that has not been sent to the server yet (back to draft)."""
    return session._archive.outbox.withdraw_submission(customer_id, Provenance(session.user, Source.MANUAL))

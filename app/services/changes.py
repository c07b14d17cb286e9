"""Change requests' steps in the to-do list (待办, issue 17; server/changes.py): the steps the server says wait
for the signed-in user with their path, customers and new values, and doing one with its note, the phone call
an emergency step records and the customer notice an order-days change needs. Nothing of it is kept in the
archive: the list is asked when shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.i18n import N_, _, current_language
from app.models.catalogue import FormDefinition
from app.models.onboarding import WaitingChange
from app.models.times import ZONE
from app.services.exporting import export_value, masked_text
from app.sync.client import SyncClient

#: the server's refusals of a change step, said in the user's language
REFUSALS = {
    "change.out_of_order": N_("This step is not the one the change request waits for now; refresh the list."),
    "change.wrong_role": N_("This step belongs to another department or person."),
    "change.stale": N_("Someone else moved this change request on meanwhile; refresh the list."),
    "change.closed": N_("This change request is already finished."),
    "change.not_found": N_("This change request is not yours to see."),
    "change.phone_required": N_(
        "This emergency step records its phone call: who was called, the number and the outcome."
    ),
    "change.customer_notice_required": N_("The customer must be told of this change: record who was told and how."),
    "change.invalid": N_("A new value is no longer valid for this customer; the request cannot be applied."),
    "change.deleted": N_("A customer of this request was deleted meanwhile."),
    "change.notice_future": N_("A call or notice cannot be in the future."),
    "change.notice_incomplete": N_("Say who was called or told, and the outcome."),
}
PATHS = {
    "own": N_("Own field, same day"),
    "county": N_("County-initiated change"),
    "city": N_("City task order"),
    "emergency": N_("Emergency change"),
    "bulk": N_("Bulk maintenance"),
}


@dataclass(frozen=True)
class Notice:
    """A phone call made at a step, or how the customer was told (now, when the step is done)."""

    party: str
    number: str
    outcome: str

    def problem(self) -> str | None:
        """What is missing, in the user's language (None: complete)."""
        if not self.party.strip():
            return _("Say who was called or told.")
        if not self.outcome.strip():
            return _("Say what the outcome was.")
        if len(self.party) > 100 or len(self.number) > 40 or len(self.outcome) > 500:
            return _("Too long: who at most 100 characters, the number 40, the outcome 500.")
        return None

    def wire(self) -> dict[str, str]:
        at = dt.datetime.now(ZONE).isoformat()
        return {"party": self.party.strip(), "number": self.number.strip(), "outcome": self.outcome.strip(), "at": at}


def waiting(client: SyncClient) -> list[WaitingChange]:
    """The change steps waiting for the user."""
    return client.changes_waiting()


def do_step(client: SyncClient, item: WaitingChange, note: str, phone: Notice | None, told: Notice | None) -> int:
    """Do ``item``'s step; the request's new revision, or a UserFacingError saying why not (a missing phone
    call or customer notice is said before the server is asked)."""
    if "phone" in item.flags and phone is None:
        raise UserFacingError(REFUSALS["change.phone_required"])
    if "apply" in item.flags and item.notify_customer and told is None:
        raise UserFacingError(REFUSALS["change.customer_notice_required"])
    for n in (phone, told):
        problem = n.problem() if n is not None else None
        if problem:
            raise UserFacingError(problem)
    body: dict[str, object] = {"step": item.step.code, "revision": item.revision, "note": note.strip()}
    if phone is not None:
        body["phone"] = phone.wire()
    if told is not None:
        body["customer_notice"] = told.wire()
    try:
        return client.change_step(item.case_id, body)
    except SyncError as exc:
        code = getattr(exc, "code", None)
        if exc.kind is SyncErrorKind.REFUSED and code in REFUSALS:
            raise UserFacingError(REFUSALS[str(code)]) from None
        raise


def path_text(path: str) -> str:
    return _(PATHS[path]) if path in PATHS else path


def changes_text(item: WaitingChange, form: FormDefinition | None) -> str:
    """The customers and new values, short: "店名: 联系电话 → 139…" (a batch: the first and how many); a value
    the server masked for this user shows as 已屏蔽（机密） (app.validation.secrecy)."""
    lang = current_language()
    parts = []
    for it in item.items[:1]:
        who = " ".join(x for x in (it.customer_code, it.shop_name) if x) or it.record_id
        fields = []
        for key, value in it.changes.items():
            spec = form.get(key) if form is not None else None
            if spec is not None:  # as a person reads it: choice labels (周一、周四, not mon、thu), dates, yes/no,
                cell = export_value(spec, value, lang)  # and a value the server masked as 已屏蔽（机密）
                shown = "" if cell is None else cell.isoformat() if hasattr(cell, "isoformat") else str(cell)
            elif (hidden := masked_text(value, lang)) is not None:  # a field this form does not know, masked
                shown = hidden
            else:
                shown = (
                    "、".join(str(v) for v in value)
                    if isinstance(value, list)
                    else ("" if value is None else str(value))
                )
            fields.append(f"{spec.label(lang) if spec else key} → {shown}")
        parts.append(f"{who}: " + "; ".join(fields))
    if len(item.items) > 1:
        parts.append(_("and {n} more customers").format(n=len(item.items) - 1))
    return " ".join(parts)

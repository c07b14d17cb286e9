"""The customers the server refused (or that are in conflict with it), with its reasons in the user's
language: what ``sync`` on the command line lists, and what the form's banner says.

The server answers a refusal with ``{field, code, message, params}`` per reason, its message in English.
The reason is shown from its code: a validation code (``app.validation.messages``: the same rules
run on both sides) with the field's label, else one of the server's own codes below; only a code
this client does not know falls back to the server's English message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_, current_language, translate
from app.models.catalogue import FieldRole, FormDefinition
from app.models.record import ListQuery
from app.validation import Issue, Severity
from app.validation.messages import MESSAGES

#: The server's codes for refusals that are not about a value (server/apply.py), and the few whose
#: client-side wording (a sheet, this archive) does not fit an answer of the server.
SERVER_MESSAGES: dict[str, str] = {
    "not_found": N_("There is no such customer on the server (or you may not see it)."),
    "forbidden": N_("You may not change this customer."),
    "deleted": N_("This customer was deleted on the server."),
    "closed": N_(
        "This outlet is closed on the server: its record is read-only until a market manager or an admin reopens it."
    ),
    "pending": N_("The customer is waiting for review and cannot be changed until it is decided."),
    "version.ahead": N_("The server's copy of this customer is older than this archive's; sync again later."),
    "version.stale": N_("The customer changed since this version; look at it again before deciding."),
    "status.not_submittable": N_("Only a draft or a returned customer can be submitted."),
    "status.not_pending": N_("Only a customer waiting for review can be decided."),
    "decision.reason": N_("Say why the customer is returned."),
    "decision.missing": N_("A review decision needs an action."),
    "changes.missing": N_("A save needs changes."),
    "visit.missing": N_("A visit needs its details."),
    "visit.duplicate": N_("A visit with this id already exists."),
    "visit.date": N_("The visit date must be a date (YYYY-MM-DD) that is not in the future."),
    "check.missing": N_("A check needs its kind and date."),
    "check.date": N_("The date of a check must be a date (YYYY-MM-DD) that is not in the future."),
    "unknown_field": N_("{label}: this is not a field of the form."),
    "photo.missing": N_("{label}: photo {ref} is not on the server yet."),
}

#: Content the server cannot store (server/wirecheck.py bad_content): the path names the field.
REJECTION_MESSAGES: dict[str, str] = {
    "text.nul": N_(
        "{field}: the text holds a NUL character, which the server cannot store. Correct it and save again."
    ),
    "text.surrogate": N_(
        "{field}: the text holds a broken character, which the server cannot store. Correct it and save again."
    ),
    "value.too_deep": N_("{field}: the value is nested too deeply for the server. Correct it and save again."),
    "value.too_large": N_("{field}: the number is too large for the server. Correct it and save again."),
}


def rejection_text(error: dict[str, Any], form: FormDefinition, lang: str | None = None) -> str:
    """One reason the server gave for refusing a change, for the person: a content refusal in their
    language naming the field by its label; any other reason as the server said it."""
    code, path = str(error.get("code", "")), str(error.get("field") or "")
    template = REJECTION_MESSAGES.get(code)
    if template is None:
        return str(error.get("message") or code)
    parts = path.split(".")
    key = parts[1] if parts[0] == "changes" and len(parts) > 1 else parts[0]
    field = form[key].label(lang or current_language()) if key in form else path
    return translate(template, lang).format(field=field)


#: At most this many reasons are spelled out per customer; the rest are counted.
MAX_REASONS = 4


def reason_text(form: FormDefinition, error: dict[str, Any], lang: str | None = None) -> str:
    """One of the server's reasons, as the user reads it."""
    code = str(error.get("code") or "")
    key = str(error.get("field") or "")
    spec = form.get(key)
    label = spec.label(lang or "zh_CN") if spec else key
    raw_params = error.get("params")
    params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
    if code in REJECTION_MESSAGES:
        return rejection_text(error, form, lang)
    if code in SERVER_MESSAGES:
        try:
            return translate(SERVER_MESSAGES[code], lang).format(**{**params, "label": label})
        except (KeyError, IndexError, ValueError):
            pass
    elif code in MESSAGES:
        return Issue.make(key, Severity.ERROR, code, **{k: v for k, v in params.items() if k != "label"}).message(
            label, lang
        )
    return str(error.get("message") or code)


@dataclass(frozen=True)
class Refusal:
    customer_id: str
    code: str  # the customer code (official or provisional), "" when none
    shop_name: str
    state: str  # "rejected" (refused by the server) or "conflict"
    reasons: tuple[str, ...] = field(default=())
    more: int = 0  # reasons counted but not spelled out

    def line(self, lang: str | None = None) -> str:
        who = " ".join(x for x in (self.code, self.shop_name) if x) or self.customer_id
        if self.state == "conflict":
            return translate(
                N_("{customer}: changed on the server too; resolve the conflict in the app."), lang
            ).format(customer=who)
        text = "; ".join(self.reasons) or translate(N_("no reason given"), lang)
        if self.more:
            text += translate(N_(" (and {n} more)"), lang).format(n=self.more)
        return translate(N_("{customer}: {reasons}"), lang).format(customer=who, reasons=text)


def refusals(session: Any, lang: str | None = None) -> list[Refusal]:
    """Every live customer the server refused, or in conflict with it, oldest change first."""
    arc, form = session._archive, session.form
    rows = [
        r
        for r in arc.customers.rows(arc.customers.list_pks(ListQuery(sync_problems=True, descending=False)))
        if r.sync_state in ("rejected", "conflict")
    ]
    full = arc.customers.many([r.id for r in rows if r.sync_state == "rejected"]) if rows else {}
    code_spec = form.by_role(FieldRole.CUSTOMER_CODE)
    out = []
    for r in rows:
        c = full.get(r.id)
        errors = [e for e in (c.sync_errors if c is not None else ()) if isinstance(e, dict)]
        reasons = tuple(reason_text(form, e, lang) for e in errors[:MAX_REASONS])
        code = r.code or (c.values.get(code_spec.key) if c is not None and code_spec else None) or ""
        out.append(
            Refusal(r.id, str(code), r.shop_name or "", r.sync_state, reasons, max(0, len(errors) - MAX_REASONS))
        )
    return out


def reasons_of(form: FormDefinition, errors: Sequence[dict[str, Any]], lang: str | None = None) -> list[str]:
    """The reasons of one refusal (the form's banner)."""
    return [reason_text(form, e, lang) for e in errors if isinstance(e, dict)]

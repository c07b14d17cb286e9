"""Opening a change request from the desktop (申请修改, issue 17; server/changes.py ``open_change``): which
paths the signed-in role may open, which fields each path may change (and the department that owns them),
the new values checked with the catalogue's validators before anything is sent (the form's own messages),
and the request sent, with every refusal the server can give said in the user's language.

An emergency request records the phone call of its first step (市场部 fills the form on the customer's behalf
and calls the county, F3 L423–429): when the user gives it, the step is done right after opening; when the
step belongs to someone else, the request stays open in their 待办 and the answer says so. Nothing of it is
kept in the archive: the new case is the server's, and reaches the archive as a system change once applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.i18n import N_, _, translate
from app.models.catalogue import ChangePolicy, FieldType, FormDefinition
from app.models.onboarding import OpenedChange
from app.models.owners import field_owner
from app.models.wire import UserRole
from app.services.changes import REFUSALS as STEP_REFUSALS
from app.services.changes import Notice
from app.sync.client import SyncClient
from app.validation import validate_values
from app.validation.editing import editable_keys

#: the paths the desktop opens for one customer (bulk maintenance takes a batch: the server's command line)
DESK_PATHS = ("own", "county", "city", "emergency")
#: the fields' cross checks the server refuses a request for (server/apply.py CROSS_FIELD)
CROSS_FIELD = frozenset({"licence.issue_after_expiry", "licence.review_outside"})
#: the server's refusals of opening a request, said in the user's language
REFUSALS = {
    "change.invalid": N_("The server refused a new value: {field}. Correct it and send again."),
    "change.unknown_field": N_("The server's form has no field {field}: sync, then try again."),
    "change.wrong_role": N_("This path is not yours to open for this customer: choose another, or ask its department."),
    "change.not_own": N_("A field is not your own to change the same day: choose another path."),
    "change.mixed_owners": N_("The fields belong to several departments: send one request per department."),
    "change.not_onboarded": N_(
        "The customer is not approved yet (its onboarding is pending): it changes through its review, not a request."
    ),
    "change.not_found": N_("The server does not know this customer, or it is not yours to see: sync first."),
    "change.no_department": N_("The department owning these fields is not set up on the server: ask an administrator."),
    "change.one_customer": N_("Only bulk maintenance names several customers."),
    "change.received_future": N_("A request cannot arrive in the future."),
}
SAME = N_("{label}: the new value is the same as the current one.")
NOTHING = N_("Choose at least one field and give its new value.")
NOT_ON_SERVER = N_("The customer is not on the server yet (approved and synced): a change request needs it there.")


@dataclass(frozen=True)
class Opened:
    """The request as opened, and whether the emergency's first step (with its phone call) is done too;
    ``step_refusal`` why not, when the user gave the call but the step was not theirs."""

    case: OpenedChange
    first_step_done: bool = False
    step_refusal: str = ""


def paths_for(role: UserRole) -> tuple[str, ...]:
    """The paths ``role`` may open: a customer manager also their own fields the same day; the server decides
    the department's paths by where the user is placed (it refuses another department's)."""
    if role is UserRole.VIEWER:
        return ()
    if role in (UserRole.COLLECTOR, UserRole.ADMIN):
        return DESK_PATHS
    return DESK_PATHS[1:]


def fields_for(form: FormDefinition, path: str) -> list[str]:
    """The fields a request on ``path`` may change: the customer manager's own direct fields on ``own``, else
    every field but photos, positions and the system's."""
    skip = (FieldType.PHOTO, FieldType.GPS)
    if path == "own":
        own = editable_keys(form, "collector", onboarding=False)
        return [f.key for f in form.fields if f.key in own and f.change is ChangePolicy.DIRECT and f.type not in skip]
    theirs = editable_keys(form, "supervisor", onboarding=False)
    return [f.key for f in form.fields if f.type not in skip and f.key in theirs]


def owner_of(form: FormDefinition, keys: list[str]) -> str | None:
    """The one department owning ``keys`` (its code), or None when several do."""
    owners = {field_owner(form, k) for k in keys}
    return owners.pop() if len(owners) == 1 else None


def check(
    form: FormDefinition, current: Mapping[str, Any], raw: Mapping[str, Any], today: dt.date, lang: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The new values made canonical, and each refused field's message (the form's own), as the server checks
    them: against the customer's other values, every cross check counted; a value that would not change is
    refused too."""
    report = validate_values(form, dict(current) | dict(raw), today=today, role="supervisor", required=False)
    problems: dict[str, str] = {}
    for issue in report.errors:
        if issue.field in raw or issue.code in CROSS_FIELD:
            spec = form.get(issue.field)
            problems.setdefault(issue.field, issue.message(spec.label(lang) if spec else issue.field, lang))
    values = {k: report.values.get(k) for k in raw}
    for key, value in values.items():
        spec = form.get(key)
        if key not in problems and value == current.get(key):
            problems[key] = translate(SAME, lang).format(label=spec.label(lang) if spec else key)
    return values, problems


def open_request(
    client: SyncClient,
    form: FormDefinition,
    record_id: str,
    path: str,
    changes: dict[str, Any],
    note: str,
    phone: Notice | None = None,
) -> Opened:
    """Open the request; a UserFacingError saying why not (before anything is sent where it can)."""
    if not changes:
        raise UserFacingError(NOTHING)
    if owner_of(form, list(changes)) is None:
        raise UserFacingError(REFUSALS["change.mixed_owners"])
    problem = phone.problem() if phone is not None else None
    if problem:
        raise UserFacingError(problem)
    body = {"path": path, "items": [{"record": record_id, "changes": changes}], "note": note.strip()}
    try:
        case = client.open_change(body)
    except SyncError as exc:
        raise _refusal(exc, form) from None
    first = case.steps[0] if case.steps else None
    if phone is None or path != "emergency" or first is None or first.code != "fill":
        return Opened(case)
    step = {"step": first.code, "revision": case.revision, "note": note.strip(), "phone": phone.wire()}
    try:
        client.change_step(case.case_id, step)
    except SyncError as exc:
        code = getattr(exc, "code", None)
        if exc.kind is SyncErrorKind.REFUSED and code in STEP_REFUSALS:
            return Opened(case, False, _(STEP_REFUSALS[str(code)]))
        return Opened(case, False, exc.message())
    return Opened(case, True)


def _refusal(exc: SyncError, form: FormDefinition) -> UserFacingError:
    code = getattr(exc, "code", None)
    if exc.kind is not SyncErrorKind.REFUSED or code not in REFUSALS:
        return exc
    body = getattr(exc, "body", None)
    fields = body.get("fields") if isinstance(body, dict) else None
    key = str(fields[0].get("field", "")) if isinstance(fields, list) and fields and isinstance(fields[0], dict) else ""
    spec = form.get(key) if key else None
    return UserFacingError(REFUSALS[str(code)], field=spec.label("zh") if spec else key or "?")

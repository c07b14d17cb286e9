"""Whole-record validation: parse every field, then required and cross-field rules.

``validate_values`` is used as the user types (the UI), on save (the services, which
add the database-dependent duplicate checks), for spreadsheet rows, and on the
server for every pushed mutation: one set of rules everywhere.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from app.models.catalogue import FieldSpec, FieldType, FormDefinition, RequiredLevel, FieldRole
from app.models.wire import UserRole
from app.validation.report import Issue, Report, Severity
from app.validation.types import DATED_PARSERS, PARSERS, is_empty, to_date

EXPIRY_WARNING_DAYS = 30


def parse_field(spec: FieldSpec, raw: Any, today: dt.date | None = None) -> tuple[Any, list[Issue]]:
    """Parse one field's raw input. Empty input gives ``(None, [])``; never raises."""
    parser, dated = _parsers(spec)
    return _parse(spec, parser, dated, raw, today)


def _parsers(spec: FieldSpec) -> tuple[Any, Any]:
    """The field's (parser, dated parser), looked up once: hashing an enum member runs Python code."""
    parsers = spec.memo.get("parsers")
    if parsers is None:
        parsers = spec.memo["parsers"] = (PARSERS.get(spec.type), DATED_PARSERS.get(spec.type))
    return parsers


def _parse(spec: FieldSpec, parser: Any, dated: Any, raw: Any, today: dt.date | None) -> tuple[Any, list[Issue]]:
    if type(raw) is str and raw.isprintable():  # the common case: is_empty without its general checks
        if not raw.strip():
            return None, []
    elif is_empty(raw):
        return None, []
    try:
        if parser is not None:
            return parser(spec, raw)
        return dated(spec, raw, today or dt.date.today())
    except Exception:  # a parser bug must never take the form down; report the value as invalid
        import logging

        logging.getLogger(__name__).exception("parser for %s failed", spec.type.value)
        return None, [Issue.make(spec.key, Severity.ERROR, "invalid")]


def _plan(form: FormDefinition) -> dict[str, tuple[FieldSpec, Any, Any, bool]]:
    """Field key -> (spec, parser, dated parser, remembered), once per form."""
    plan = form.cache.get("validator.plan")
    if plan is None:
        plan = form.cache["validator.plan"] = {f.key: (f, *_parsers(f), f.type in MEMO_TYPES) for f in form.fields}
    return plan


#: Field types whose values repeat from record to record (a few choices, dates, amounts): their parse
#: results are remembered per form and day. Identity numbers, phones and names are nearly all distinct
#: and are parsed every time.
MEMO_TYPES = frozenset({FieldType.CHOICE, FieldType.MULTICHOICE, FieldType.DATE, FieldType.INTEGER, FieldType.DECIMAL,
                        FieldType.BOOLEAN, FieldType.REGION_CODE, FieldType.POSTAL_CODE})
MEMO_SIZE = 20_000
_HASHABLE = frozenset({str, int, float, bool})


def _memo(form: FormDefinition, today: dt.date) -> dict[Any, tuple[Any, list[Issue]]]:
    """The remembered parses of ``form`` for ``today`` (dated parsers depend on the day). Parsers are pure
    functions of (field, input, day); the results kept hold only immutable issues, and a list value is
    copied each time it is handed out. Replaced, never cleared in place, when the day changes or it is full."""
    held = form.cache.get("validator.memo")
    if held is None or held[0] != today or len(held[1]) > MEMO_SIZE:
        held = form.cache["validator.memo"] = (today, {})
    return held[1]


def _memo_key(key: str, raw: Any) -> Any:
    """A key for ``raw`` (its type included: True == 1 for a dict), or None when it cannot be one."""
    kind = type(raw)
    if kind in _HASHABLE:
        return key, kind, raw
    if kind is list and all(type(x) is str for x in raw):
        return key, list, tuple(raw)
    return None


def counts_for(spec: FieldSpec, role: str) -> bool:
    """Does a required ``spec`` count against the completeness of a record kept by ``role``?"""
    return not spec.hidden and spec.editable_by_role(role) and spec.editable_by.value != "system"


def is_required(spec: FieldSpec, values: Mapping[str, Any]) -> bool:
    if spec.hidden:
        return False
    if spec.required is not RequiredLevel.OPTIONAL:
        return True
    return spec.required_if is not None and spec.required_if.holds(values)


_MISSING: dict[str, Issue] = {}


def _missing(key: str) -> Issue:
    """The (immutable, so shared) "required" issue of a field."""
    issue = _MISSING.get(key)
    if issue is None:
        issue = _MISSING[key] = Issue.make(key, Severity.MISSING, "required")
    return issue


def _maintained_required(form: FormDefinition, role: str) -> tuple[FieldSpec, ...]:
    """Fields that may be required (always, or under a condition) and that ``role`` maintains."""
    key = ("maintained_required", role)
    if key not in form.cache:
        form.cache[key] = tuple(f for f in form.fields
                                if (f.required.is_required or f.required_if is not None) and counts_for(f, role))
    return form.cache[key]


def _required_plan(form: FormDefinition, role: str) -> tuple[tuple[str, Any], ...]:
    """(key, condition) of the fields ``role`` maintains that may be required: the condition is None
    for a field always required, else the one under which it is (once per form and role)."""
    key = ("required_plan", role)
    plan = form.cache.get(key)
    if plan is None:
        plan = form.cache[key] = tuple((f.key, None if f.required is not RequiredLevel.OPTIONAL else f.required_if)
                                       for f in _maintained_required(form, role))
    return plan


def validate_values(
    form: FormDefinition,
    raw: Mapping[str, Any],
    *,
    today: dt.date | None = None,
    role: str = UserRole.COLLECTOR,
    required: bool = True,
) -> Report:
    """Parse and check a record's values. Unknown keys are ignored (the caller reports them).

    ``required=False`` skips the missing-value and completeness bookkeeping, for callers that only
    want errors (the server: drafts may be incomplete).
    """
    today = today or dt.date.today()
    report = Report()
    values, found = report.values, report.issues
    get = _plan(form).get
    memo = _memo(form, today)
    for key, raw_value in raw.items():
        entry = get(key)
        if entry is None:
            continue
        if raw_value is None:   # an empty cell or field: what _parse gives for it, without the calls
            values[key] = None
            continue
        mk = _memo_key(key, raw_value) if entry[3] else None
        if mk is None:
            value, issues = _parse(entry[0], entry[1], entry[2], raw_value, today)
        else:
            hit = memo.get(mk)
            if hit is None:
                hit = memo[mk] = _parse(entry[0], entry[1], entry[2], raw_value, today)
            value, issues = hit
            if type(value) is list:
                value = list(value)
        if issues:
            found.extend(issues)
        if value is not None or not issues:
            values[key] = value
    failed = {i.field for i in found if i.severity is Severity.ERROR} if found else ()
    total = filled = 0
    for key, condition in _required_plan(form, role) if required else ():
        if condition is not None and not condition.holds(values):
            continue
        total += 1
        if key in failed:
            continue
        value = values.get(key)
        if value is None or value == "" or value == []:
            found.append(_missing(key))
        else:
            filled += 1
    report.required_total, report.required_filled = total, filled
    report.issues.extend(cross_field_issues(form, report.values, today))
    return report


def validate_record(form: FormDefinition, values: Mapping[str, Any], **kw: Any) -> Report:
    return validate_values(form, values, **kw)


def _date_of(form: FormDefinition, values: Mapping[str, Any], role: FieldRole) -> tuple[FieldSpec | None, dt.date | None]:
    spec = form.by_role(role)
    if spec is None or spec.hidden:
        return None, None
    return spec, to_date(values.get(spec.key))


def cross_field_issues(form: FormDefinition, values: Mapping[str, Any], today: dt.date) -> list[Issue]:
    issues: list[Issue] = []
    issue_spec, issued = _date_of(form, values, FieldRole.LICENCE_ISSUE_DATE)
    expiry_spec, expires = _date_of(form, values, FieldRole.LICENCE_EXPIRY_DATE)
    review_spec, reviewed = _date_of(form, values, FieldRole.ANNUAL_REVIEW_DATE)
    if issue_spec and issued and expires and issued >= expires:
        issues.append(Issue.make(issue_spec.key, Severity.ERROR, "licence.issue_after_expiry", expiry=expires.isoformat()))
    if review_spec and reviewed and ((issued and reviewed < issued) or (expires and reviewed > expires)):
        issues.append(Issue.make(review_spec.key, Severity.ERROR, "licence.review_outside"))
    if expiry_spec and expires:
        days = (expires - today).days
        if days < 0:
            issues.append(Issue.make(expiry_spec.key, Severity.WARNING, "licence.expired", date=expires.isoformat()))
        elif days <= EXPIRY_WARNING_DAYS:
            issues.append(Issue.make(expiry_spec.key, Severity.WARNING, "licence.expires_soon",
                                     date=expires.isoformat(), days=days))
    spec = form.get("consent_signed")  # keys are unique: at most one field to look at
    if spec is not None and spec.type is FieldType.BOOLEAN and values.get(spec.key) is False:
        issues.append(Issue.make(spec.key, Severity.WARNING, "consent.not_signed"))
    return issues

"""Whole-record validation: parse every field, then required and cross-field rules.

``validate_values`` is used as the user types (the UI), on save (the services, which
add the database-dependent duplicate checks), for spreadsheet rows, and on the
server for every pushed mutation: one set of rules everywhere.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from itertools import compress, filterfalse
from typing import Any

from app.models import times
from app.models.catalogue import FieldRole, FieldSpec, FieldType, FormDefinition, RequiredLevel
from app.models.wire import UserRole
from app.validation.compiled import CompiledForm, compiled
from app.validation.parsing import is_empty
from app.validation.report import Issue, Report, Severity
from app.validation.secrecy import is_masked
from app.validation.types import field_lookups, to_date

EXPIRY_WARNING_DAYS = 30


def parse_field(spec: FieldSpec, raw: Any, today: dt.date | None = None) -> tuple[Any, list[Issue]]:
    """Parse one field's raw input. Empty input gives ``(None, [])``; never raises."""
    lookups = field_lookups(spec)
    return parse_with(spec, lookups.parser, lookups.dated_parser, raw, today)


def parse_with(spec: FieldSpec, parser: Any, dated: Any, raw: Any, today: dt.date | None) -> tuple[Any, list[Issue]]:
    """``parse_field`` with the field's parser (or its dated parser) at hand: what every path parses a value with."""
    if type(raw) is str and raw.isprintable():  # the common case: is_empty without its general checks
        if not raw.strip():
            return None, []
    elif is_empty(raw):
        return None, []
    try:
        parsed: tuple[Any, list[Issue]] = (
            parser(spec, raw) if parser is not None else dated(spec, raw, today or times.today())
        )
        return parsed
    except Exception:
        return parser_failed(spec)


def parser_failed(spec: FieldSpec) -> tuple[Any, list[Issue]]:
    """In an ``except`` block: a parser bug must never take the form down; log it, report the value as invalid."""

    logging.getLogger(__name__).exception("parser for %s failed", spec.type.value)
    return None, [Issue.make(spec.key, Severity.ERROR, "invalid")]


_HASHABLE = frozenset({int, float, bool, dt.date, dt.datetime})


def _memo_key(kind: type, raw: Any) -> Any:
    """A memo key for ``raw`` that is not text: (its type, raw) (True == 1 for a dict; a text input is
    its own key, and never equals a tuple), or None when it cannot be one."""
    if kind in _HASHABLE:
        return kind, raw
    if kind is list and all(type(x) is str for x in raw):
        return list, tuple(raw)
    return None


def counts_for(spec: FieldSpec, role: str) -> bool:
    """Does a required ``spec`` count against the completeness of a record kept by ``role``?"""
    return not spec.hidden and spec.editable_by_role(role) and spec.editable_by.value != "system"


def is_required(spec: FieldSpec, values: Mapping[str, Any]) -> bool:
    """A required level makes a field required; with ``required_if`` only where its condition holds (the
    bank account of a customer who settles electronically), and an optional field with one there too."""
    if spec.hidden:
        return False
    if spec.required_if is not None:
        return spec.required_if.holds(values)
    return spec.required is not RequiredLevel.OPTIONAL


_MISSING: dict[str, Issue] = {}


def _missing(key: str) -> Issue:
    """The (immutable, so shared) "required" issue of a field."""
    issue = _MISSING.get(key)
    if issue is None:
        issue = _MISSING[key] = Issue.make(key, Severity.MISSING, "required")
    return issue


def _required_plan(form: CompiledForm, role: str) -> tuple[tuple[str, ...], tuple[tuple[str, Any], ...]]:
    """The fields ``role`` maintains that may be required, in form order, and (key, condition) of those
    required only under a condition (``required_if``, whatever their level: ``is_required``) (an empty tuple when
    every one of them is always required); once per form and role. Their "required" issues are made here, once."""

    def build() -> tuple[tuple[str, ...], tuple[tuple[str, Any], ...]]:
        specs = [
            f for f in form.fields if (f.required.is_required or f.required_if is not None) and counts_for(f, role)
        ]
        for f in specs:
            _missing(f.key)
        conditional = tuple((f.key, f.required_if) for f in specs if f.required_if is not None)  # as is_required
        return tuple(f.key for f in specs), conditional

    return form.derived(("required_plan", role), build)


_EMPTY: tuple[Any, ...] = (None, "", [])  # ``v in _EMPTY``: v is None or v == "" or v == [] (identity, then ==)


def validate_values(
    form: FormDefinition,
    raw: Mapping[str, Any],
    *,
    today: dt.date | None = None,
    role: str = UserRole.COLLECTOR,
    required: bool = True,
    masked: bool = True,
) -> Report:
    """Parse and check a record's values. Unknown keys are ignored (the caller reports them).

    ``required=False`` skips the missing-value and completeness bookkeeping, for callers that only
    want errors (the server: drafts may be incomplete). ``masked``: a placeholder of a value this user may
    not see (app.validation.secrecy) is kept as it is (the client's copy); ``masked=False`` (the server's
    writes) refuses it (``secrecy.placeholder``): a placeholder is never stored as a value.
    """
    today = today or times.today()
    report = Report()
    values, found = report.values, report.issues
    comp = compiled(form)
    plan = comp.day_plan(today)
    get = plan.get
    for key, raw_value in raw.items():
        entry = get(key)
        if entry is None:
            continue
        if raw_value is None:  # an empty cell or field: what parse_with gives for it, without the calls
            values[key] = None
            continue
        kind = type(raw_value)
        if (kind is str or kind is list) and is_masked(raw_value):  # a value this user may not see
            if masked:
                values[key] = raw_value
            else:
                found.append(Issue.make(key, Severity.ERROR, "secrecy.placeholder"))
            continue
        spec, parser, dated, memo = entry
        if memo is None:
            if parser is not None and kind is str and raw_value.isprintable() and raw_value.strip():
                try:  # what parse_with does with printable, non-blank text, without the call
                    value, issues = parser(spec, raw_value)
                except Exception:
                    value, issues = parser_failed(spec)
            else:
                value, issues = parse_with(spec, parser, dated, raw_value, today)
        else:
            mk = raw_value if kind is str else _memo_key(kind, raw_value)
            hit = memo.get(mk) if mk is not None else None
            if hit is None:
                hit = parse_with(spec, parser, dated, raw_value, today)
                if mk is not None:
                    comp.remember(plan, key, memo, mk, hit)
            value, issues = hit
            if type(value) is list:
                value = list(value)
        if issues:
            found.extend(issues)
        if value is not None or not issues:
            values[key] = value
    return finish_report(form, report, today=today, role=role, required=required, comp=comp)


def finish_report(
    form: FormDefinition,
    report: Report,
    *,
    today: dt.date,
    role: str = UserRole.COLLECTOR,
    required: bool = True,
    comp: CompiledForm | None = None,
) -> Report:
    """What ``validate_values`` does once every field of ``report`` is parsed (its values and their issues):
    the cross-field rules, then (``required``) the missing values and the completeness counts. The sheet
    import's row check (``app.validation.rowcheck``) parses a row its own way and ends here too."""
    values, found = report.values, report.issues
    comp = comp or compiled(form)
    cross = cross_field_issues(form, values, today, comp)
    if cross:
        found.extend(cross)
    # a value with an error (its own or against another field) is not counted as filled, nor as missing
    if required:
        keys, conditional = _required_plan(comp, role)
        if conditional:
            skip = {k for k, condition in conditional if not condition.holds(values)}
            if skip:
                keys = tuple(filterfalse(skip.__contains__, keys))
        total = len(keys)
        if found:
            failed = {i.field for i in found if i.severity is Severity.ERROR}
            if failed:
                keys = tuple(filterfalse(failed.__contains__, keys))
        # the keys whose value is empty, picked in C; their issues were made with the plan
        empty = list(compress(keys, map(_EMPTY.__contains__, map(values.get, keys))))
        if empty:
            found.extend(map(_MISSING.__getitem__, empty))
        report.required_total, report.required_filled = total, len(keys) - len(empty)
    return report


def validate_record(form: FormDefinition, values: Mapping[str, Any], **kw: Any) -> Report:
    return validate_values(form, values, **kw)


def _cross_specs(
    form: FormDefinition, comp: CompiledForm | None = None
) -> tuple[FieldSpec | None, FieldSpec | None, FieldSpec | None, FieldSpec | None]:
    """The fields the cross-field rules read (licence issue, expiry and annual review dates, when not hidden,
    and a boolean ``consent_signed``), once per form: a role lookup hashes an enum member in Python."""

    def build() -> tuple[FieldSpec | None, FieldSpec | None, FieldSpec | None, FieldSpec | None]:
        dated = [
            form.by_role(r)
            for r in (FieldRole.LICENCE_ISSUE_DATE, FieldRole.LICENCE_EXPIRY_DATE, FieldRole.ANNUAL_REVIEW_DATE)
        ]
        consent = form.get("consent_signed")  # keys are unique: at most one field to look at
        issue, expiry, review = (None if s is None or s.hidden else s for s in dated)
        return issue, expiry, review, consent if consent is not None and consent.type is FieldType.BOOLEAN else None

    specs = (comp or compiled(form)).derived(("validator.cross",), build)
    return specs


def cross_field_issues(
    form: FormDefinition, values: Mapping[str, Any], today: dt.date, comp: CompiledForm | None = None
) -> list[Issue]:
    """The rules between fields (licence dates, consent); ``comp``: the form's compiled data, when at hand."""
    issues: list[Issue] = []
    issue_spec, expiry_spec, review_spec, consent_spec = _cross_specs(form, comp)
    issued = to_date(values.get(issue_spec.key)) if issue_spec else None
    expires = to_date(values.get(expiry_spec.key)) if expiry_spec else None
    reviewed = to_date(values.get(review_spec.key)) if review_spec else None
    if issue_spec and issued and expires and issued >= expires:
        issues.append(
            Issue.make(issue_spec.key, Severity.ERROR, "licence.issue_after_expiry", expiry=expires.isoformat())
        )
    if review_spec and reviewed and ((issued and reviewed < issued) or (expires and reviewed > expires)):
        issues.append(Issue.make(review_spec.key, Severity.ERROR, "licence.review_outside"))
    if expiry_spec and expires:
        days = (expires - today).days
        if days < 0:
            issues.append(Issue.make(expiry_spec.key, Severity.WARNING, "licence.expired", date=expires.isoformat()))
        elif days <= EXPIRY_WARNING_DAYS:
            issues.append(
                Issue.make(
                    expiry_spec.key, Severity.WARNING, "licence.expires_soon", date=expires.isoformat(), days=days
                )
            )
    if consent_spec is not None and values.get(consent_spec.key) is False:
        issues.append(Issue.make(consent_spec.key, Severity.WARNING, "consent.not_signed"))
    return issues

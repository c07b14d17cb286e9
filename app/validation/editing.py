"""Who may enter what: the editor rules of the catalogue, one pure function for every entry path.

The server applies them to every pushed save (``server.apply``), and the client to every sheet row
(``app.services.sheet_import.SheetImport``: the command line's ``validate``/``import`` and the desktop
import dialog), so that a value the server would refuse is refused when it is entered, not at the
next sync. (The desktop form shows such fields read-only with the same ``may_edit``.)

A field is editable by ``role`` when the catalogue's ``editable_by`` allows that role and the field
is not maintained by the system (``editable_by = system``: customer code, credit grade, average
purchase price, quota category … are written by the server alone). What counts is what an entry
*changes*: an unchanged value (our own export imported back) is no change; on a new customer every
filled field is one.

A field whose change policy is ``onboarding`` (守法情况, the first estimate of 经营规模: F3 L11) is
the collector's while the customer is new (never approved, no official code); afterwards the system
or a market manager keeps it, and a collector's change is refused as ``onboarding_only``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.models.catalogue import ChangePolicy, EditableBy, FieldSpec, FormDefinition
from app.models.wire import UserRole
from app.validation.compiled import compiled
from app.validation.report import Issue, Severity

_EMPTY: tuple[Any, ...] = (None, "", [])


def may_edit(spec: FieldSpec, role: str, *, onboarding: bool = True) -> bool:
    """May a user with ``role`` (collector, supervisor, admin) enter or change ``spec``? ``onboarding``:
    the customer is new (never approved)."""
    if spec.editable_by is EditableBy.SYSTEM or not spec.editable_by_role(role):
        return False
    return onboarding or spec.change is not ChangePolicy.ONBOARDING or role != UserRole.COLLECTOR


def editable_keys(form: FormDefinition, role: str, *, onboarding: bool = True) -> frozenset[str]:
    """The fields ``role`` may enter (cached per form, role and stage: a form version never changes)."""
    return compiled(form).derived(
        ("editable_keys", role, onboarding),
        lambda: frozenset(s.key for s in form.fields if may_edit(s, role, onboarding=onboarding)),
    )


def refusal_code(spec: FieldSpec, *, creating: bool = False) -> str:
    """The validation code of an entry ``spec`` refuses: ``readonly`` (system), ``onboarding_only`` (set
    when the customer joined) or ``supervisor_only``, with ``.new`` on a new customer (the message then
    says to leave it empty)."""
    if spec.change is ChangePolicy.ONBOARDING and spec.editable_by is EditableBy.COLLECTOR and not creating:
        return "onboarding_only"
    code = "readonly" if spec.editable_by is EditableBy.SYSTEM else "supervisor_only"
    return f"{code}.new" if creating else code


def changed_keys(form: FormDefinition, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """The fields of ``form`` that ``new`` changes from ``old`` (both canonical values); with ``old``
    None (a new customer) the fields ``new`` fills."""
    if old is None:
        keys = form_key_set(form)
        return [k for k, v in new.items() if v is not None and k in keys and v != "" and v != []]  # not in _EMPTY
    return [k for k in form_keys(form) if _norm(old.get(k)) != _norm(new.get(k)) and (k in new or k in old)]


def form_keys(form: FormDefinition) -> tuple[str, ...]:
    return compiled(form).keys


def form_key_set(form: FormDefinition) -> frozenset[str]:
    return compiled(form).key_set


def _norm(v: Any) -> Any:
    return None if v is None or v == "" or v == [] else v


def editor_issues(
    form: FormDefinition, role: str, keys: Iterable[str], *, creating: bool = False, onboarding: bool | None = None
) -> list[Issue]:
    """An error for each of ``keys`` (the fields an entry sets or changes) that ``role`` may not edit;
    ``onboarding`` (default: ``creating``) whether the customer was never approved.

    Keys that are not fields of ``form`` are left to the caller (it reports them its own way)."""
    editable = editable_keys(form, role, onboarding=creating if onboarding is None else onboarding)
    out = []
    for key in keys:
        if key in editable:
            continue
        spec = form.get(key)
        if spec is not None:
            out.append(Issue.make(key, Severity.ERROR, refusal_code(spec, creating=creating)))
    return out


def entry_issues(
    form: FormDefinition,
    role: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    *,
    onboarding: bool | None = None,
) -> list[Issue]:
    """The editor rules for one entry: ``old`` the stored values (None for a new customer), ``new`` the
    values after the entry (canonical, as ``validate_values`` returns them); ``onboarding`` whether an
    existing customer was never approved (default: only a new one is)."""
    if old is None and closed_keys(form, role).isdisjoint(new):
        return []  # a new customer that fills no field the role may not enter (one set operation in C)
    return editor_issues(form, role, changed_keys(form, old, new), creating=old is None, onboarding=onboarding)


def closed_keys(form: FormDefinition, role: str) -> frozenset[str]:
    """The fields of ``form`` that ``role`` may not enter (cached per form and role)."""
    return compiled(form).derived(
        ("closed_keys", role), lambda: frozenset(form_key_set(form) - editable_keys(form, role))
    )

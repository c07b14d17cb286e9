"""Who owns a field (issue 17, audit DM6/R3/C5): the department that maintains it, by its code.

The form catalogue's metadata holds the deployment's default (``meta.owners``: a ``default`` department,
and ``fields`` naming the fields another department owns; docs/domain.md, "Who owns a field"). The codes
are those of the server's departments (server/territories.py; seeded by migration 0018, editable).
Plain data over a form: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.models.catalogue import FormDefinition

#: A department's code: what the catalogue names and the server stores (lower case, digits, _ and -).
CODE_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
#: The owner of a field when the form's metadata names none (the county marketing department).
FALLBACK = "county"
#: The ledger's pseudo-field of a handover (the customer's manager) belongs to the county too.
OWNER_FIELD = "owner"


def _owners(form: FormDefinition) -> Mapping[str, Any]:
    owners = form.meta.get("owners") if form.meta else None
    return owners if isinstance(owners, Mapping) else {}


def default_owner(form: FormDefinition) -> str:
    value = _owners(form).get("default")
    return value if isinstance(value, str) and CODE_RE.fullmatch(value) else FALLBACK


def field_owner(form: FormDefinition, key: str) -> str:
    """The code of the department that owns ``key`` (any key: an unknown one has the default owner)."""
    fields = _owners(form).get("fields")
    value = fields.get(key) if isinstance(fields, Mapping) else None
    return value if isinstance(value, str) and CODE_RE.fullmatch(value) else default_owner(form)


def owners_of(form: FormDefinition) -> dict[str, str]:
    """Every field of the form → its owning department's code."""
    return {f.key: field_owner(form, f.key) for f in form.fields}


def owner_problems(form: FormDefinition) -> list[str]:
    """What is wrong with the form's ``meta.owners`` (empty: nothing), one English line each."""
    owners = _owners(form)
    problems = []
    default = owners.get("default", FALLBACK)
    if not isinstance(default, str) or not CODE_RE.fullmatch(default):
        problems.append(f"owners.default: {default!r} is not a department code")
    fields = owners.get("fields", {})
    if not isinstance(fields, Mapping):
        return [*problems, "owners.fields must be a table of field key = department code"]
    for key, code in fields.items():
        if key not in form:
            problems.append(f"owners.fields: {key!r} is not a field of the form")
        if not isinstance(code, str) or not CODE_RE.fullmatch(code):
            problems.append(f"owners.fields.{key}: {code!r} is not a department code")
    return problems

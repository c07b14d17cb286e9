"""Who owns a field (issue 17, audit DM6/R3/C5): the department that maintains it, by its code.

The form catalogue's metadata holds the deployment's default (``meta.owners``: a ``default`` department,
``groups`` naming the field groups and ``fields`` the fields another department owns, a field's own entry
first; docs/domain.md, "Territories, departments and who owns a field"). The codes
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


def _code(table: Any, key: str | None) -> str | None:
    value = table.get(key) if isinstance(table, Mapping) and key is not None else None
    return value if isinstance(value, str) and CODE_RE.fullmatch(value) else None


def field_owner(form: FormDefinition, key: str) -> str:
    """The code of the department that owns ``key``: the field's own owner, else its group's, else the
    default (an unknown key has the default owner)."""
    owners = _owners(form)
    spec = form.get(key)
    return (
        _code(owners.get("fields"), key)
        or _code(owners.get("groups"), spec.group if spec is not None else None)
        or default_owner(form)
    )


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
    for section, known in (("groups", {g.key for g in form.groups}), ("fields", {f.key for f in form.fields})):
        table = owners.get(section, {})
        if not isinstance(table, Mapping):
            problems.append(f"owners.{section} must be a table of {section[:-1]} key = department code")
            continue
        for key, code in table.items():
            if key not in known:
                problems.append(f"owners.{section}: {key!r} is not a {section[:-1]} of the form")
            if not isinstance(code, str) or not CODE_RE.fullmatch(code):
                problems.append(f"owners.{section}.{key}: {code!r} is not a department code")
    return problems

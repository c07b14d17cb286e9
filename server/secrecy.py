"""Secrecy marks and the masked view on the server: what each caller may see of a customer's values.

The rule is ``app.validation.secrecy`` (shared with the client) over the form in force; this module says
how a caller stands to a record (owner, creator, the owner's market manager) and is the hook every path
that sends values goes through (``Rec.to_wire``: pull, reads, push answers; the ledger; signatures and their
images; the change requests' new values, server/changes.py; the outbound feed and webhooks), and
the guard of a write: a placeholder is never stored, and a value the caller may not see cannot be
overwritten by them (docs/domain.md, "Secrecy marks and the masked view").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.engine import Connection

from app.models.catalogue import FormDefinition
from app.validation import secrecy as rule
from server.accounts import User
from server.forms import current_form
from server.schema_admin import departments, user_places
from server.scope import Directory

#: What a reader may not see of a record, by (form, the record's mark, reader): shared by every request of the
#: process (a View lives for one request, and a pull of 30 records by a new View worked it out again each
#: time). The form itself is kept with the answer and compared by identity, so a form that was dropped and
#: whose id was reused is never mistaken for the one the answer was worked out for. Bounded: cleared when full.
_HIDDEN: dict[tuple[int, str, rule.Reader], tuple[FormDefinition, Mapping[str, str]]] = {}
HIDDEN_CACHE = 20_000


def hidden_for(form: FormDefinition, mark: str, reader: rule.Reader) -> Mapping[str, str]:
    """``rule.hidden`` for a record with ``mark`` (read-only: the answer is shared)."""
    key = (id(form), mark, reader)
    found = _HIDDEN.get(key)
    if found is not None and found[0] is form:
        return found[1]
    answer = MappingProxyType(rule.hidden(form, {rule.record_field(form) or rule.RECORD_FIELD: mark}, reader))
    if len(_HIDDEN) >= HIDDEN_CACHE:
        _HIDDEN.clear()
    _HIDDEN[key] = (form, answer)
    return answer


@dataclass
class View:
    """One caller's view under the form in force; what is hidden is worked out once per (mark, reader) in the
    process (``hidden_for``)."""

    user: User
    form: FormDefinition
    department: str | None = None  # the caller's department's code (the masked view may name it)

    def reader(self, owner_id: int | None, created_by_id: int | None, d: Directory) -> rule.Reader:
        rel = set()
        if owner_id == self.user.id:
            rel.add("owner")
        if created_by_id == self.user.id:
            rel.add("creator")
        if owner_id is not None and d.supervisor_of(owner_id) == self.user.id:
            rel.add("team_supervisor")
        return rule.Reader(self.user.name, self.user.role, frozenset(rel), self.department)

    def hidden(
        self, owner_id: int | None, created_by_id: int | None, values: Mapping[str, Any], d: Directory
    ) -> Mapping[str, str]:
        """The fields of this record the caller may not see → why (``secret``, ``top_secret``, ``personal``)."""
        return self._hidden(self.reader(owner_id, created_by_id, d), values)

    def unrelated(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` as the caller sees them when it stands in no relation to the record (an integration: the
        outbound feed and webhooks, server/outbound.py)."""
        reader = rule.Reader(self.user.name, self.user.role, frozenset(), self.department)
        return self.apply(self._hidden(reader, values), values)

    def masked_view(self) -> bool:
        """Is the caller in the masked view (the outlet without the person: no signature image either)?"""
        return rule.in_masked_view(self.form, rule.Reader(self.user.name, self.user.role, frozenset(), self.department))

    def _hidden(self, reader: rule.Reader, values: Mapping[str, Any]) -> Mapping[str, str]:
        return hidden_for(self.form, rule.record_mark(self.form, values), reader)

    def values(
        self, owner_id: int | None, created_by_id: int | None, values: Mapping[str, Any] | None, d: Directory
    ) -> dict[str, Any] | None:
        """``values`` with what the caller may not see replaced by placeholders (the record's own mark decides,
        also for older values such as approved ones)."""
        if values is None:
            return None
        return self.apply(self.hidden(owner_id, created_by_id, values, d), values)

    def apply(self, gone: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
        if not gone:
            return dict(values)
        return {
            k: (rule.placeholder_for(self.form, k, gone[k]) if k in gone and v not in (None, "", []) else v)
            for k, v in values.items()
        }


_DEPARTMENT = (  # built once: read at every push
    select(departments.c.code)
    .select_from(user_places.join(departments, departments.c.id == user_places.c.department_id))
    .where(user_places.c.user_id == bindparam("user_id", type_=Integer))
)


def department_of(conn: Connection, user_id: int) -> str | None:
    """The code of the department ``user_id`` belongs to (server/territories.py), if any."""
    code: str | None = conn.execute(_DEPARTMENT, {"user_id": user_id}).scalar()
    return code


def view_of(conn: Connection, user: User, form: FormDefinition | None = None) -> View:
    """The caller's view under ``form`` (default: the form in force), with their department read now."""
    return View(user, form or current_form(conn), department_of(conn, user.id))


def guard(
    view: View, rec: Any, changes: dict[str, dict[str, Any]], d: Directory
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """A save's changes as they may be applied, and the fields refused.

    A change whose new value is a placeholder is dropped (the caller's copy held the placeholder: it changed
    nothing, and a placeholder is never stored). A change to a field the caller may not see is refused: its
    value cannot be overwritten by someone who cannot see it (``secrecy.hidden``). For a new customer the
    caller is its owner and creator."""
    is_masked = rule.is_masked
    kept = {k: ch for k, ch in changes.items() if not is_masked(ch.get("new") if isinstance(ch, dict) else ch)}
    if rec is None or rec.version == 0:
        return kept, []
    gone = view.hidden(rec.owner_id, rec.created_by_id, rec.values, d)
    # filling an empty field overwrites nothing; a value held on the server is refused
    refused = sorted(k for k in kept if k in gone and rec.values.get(k) not in (None, "", []))
    return {k: ch for k, ch in kept.items() if k not in refused}, refused

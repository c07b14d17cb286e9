"""Secrecy marks (机密 / 绝密) and the masked view: a pure rule shared by the client and the server.

F1 L367 (第20条): "凡属“机密”、“绝密”的客户资料 … 必须单独存放、专人管理，其他人员未经许可不得查阅"; F3 L341–342:
"档案管理严格执行《保密法》… 凡注有密级的档案，只限在调阅室内查阅". Here (docs/domain.md, "Secrecy marks and the
masked view"):

- every field of the catalogue has a class, 普通 (``normal``), 机密 (``secret``) or 绝密 (``top_secret``):
  ``meta.secrecy.fields`` of the form in force (a field not named is normal);
- a record may carry a mark of its own, the field ``meta.secrecy.record_field`` (``secrecy_mark``, set by a
  supervisor or an admin): it raises each of the record's fields to at least that class, except the few
  that identify the outlet in a list (``meta.secrecy.always_visible``: code, shop name, the mark itself);
- who may read a class is ``meta.secrecy.readers``: a list of tokens per class, a role (``admin``,
  ``supervisor``, ``collector``, ``viewer``), a relation to the record (``owner``: the collector it is
  assigned to, ``creator``, ``team_supervisor``: the owner's market manager) or a named account
  (``user:<name>``), or an integration (``integration`` every one, for 机密 only; ``integration:<name>`` one,
  the only way an integration reads 绝密). The default: 机密 the owner, their market manager and admins; 绝密
  admins only; no integration reads either;
- the masked view: roles in ``meta.secrecy.masked_roles`` (default ``viewer``: the territory users who need the
  outlet but not the person; ``department:<code>`` names the users of a department, e.g. ``department:delivery``)
  see none of the personal fields (``meta.secrecy.personal``, default the consent's personal fields and the photos
  of people) but those their own department owns (``meta.owners``: it applies their changes); an integration is
  named ``integration`` or ``integration:<name>``; the masked view gets no signature image either.

A value the reader may not see is replaced by a placeholder (``⟦masked:<class>⟧``; in a list for the list
fields: photos, multiple choices; app.validation.personal, which the consent rule shares). The server sends
placeholders instead of values and never stores one; the client shows them as 已屏蔽（机密）, read-only.
Plain functions over plain data: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_
from app.models.catalogue import FieldType, FormDefinition
from app.models.owners import CODE_RE, field_owner
from app.validation.personal import PERSONAL_FIELDS
from app.validation.personal import is_masked as is_masked  # the placeholder's rule, kept importable from here
from app.validation.personal import mask_reason as mask_reason
from app.validation.personal import placeholder as placeholder

NORMAL, SECRET, TOP_SECRET = "normal", "secret", "top_secret"
#: A class's rank: a record's mark raises a field to at least its own.
RANK = {NORMAL: 0, SECRET: 1, TOP_SECRET: 2}
#: Why a value is hidden from the masked view (not a class of the catalogue).
PERSONAL = "personal"
#: The words shown for a hidden value (the form, the list, printouts, exports), by its reason.
LABELS = {SECRET: N_("Masked (secret)"), TOP_SECRET: N_("Masked (top secret)"), PERSONAL: N_("Masked (personal)")}
#: The class names as the documents write them (the catalogue's choice labels say the same).
CLASS_ZH = {NORMAL: "普通", SECRET: "机密", TOP_SECRET: "绝密"}

RECORD_FIELD = "secrecy_mark"
DEFAULT_READERS: dict[str, tuple[str, ...]] = {
    SECRET: ("owner", "team_supervisor", "admin"),
    TOP_SECRET: ("admin",),
}
DEFAULT_MASKED_ROLES: tuple[str, ...] = ("viewer",)
#: The photos of people (the owner's is among the personal fields already).
PEOPLE_PHOTOS = frozenset(
    {"photo_owner", "photo_staff_manager", "photo_staff_phone_clerk", "photo_staff_inspector", "photo_staff_delivery"}
)
DEFAULT_PERSONAL: frozenset[str] = PERSONAL_FIELDS | PEOPLE_PHOTOS
DEFAULT_ALWAYS_VISIBLE: tuple[str, ...] = ("customer_code", "shop_name", RECORD_FIELD)
RELATIONS = frozenset({"owner", "creator", "team_supervisor"})
INTEGRATION = "integration"
ROLES = frozenset({"admin", "supervisor", "collector", "viewer", INTEGRATION})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,47}")  # an integration's name (server/integrations.py NAME_RE)

_LIST_TYPES = (FieldType.PHOTO, FieldType.MULTICHOICE)


@dataclass(frozen=True)
class Reader:
    """Who reads a record: their account name, their role and how they stand to the record (``owner``,
    ``creator``, ``team_supervisor``)."""

    name: str
    role: str
    relations: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None  # the code of the department the user belongs to (server/territories.py)


def label(value: Any) -> str | None:
    """The msgid shown for a placeholder (translate it with ``_``), else None."""
    reason = mask_reason(value)
    return LABELS[reason] if reason is not None else None


def _policy(form: FormDefinition) -> Mapping[str, Any]:
    policy = form.meta.get("secrecy") if form.meta else None
    return policy if isinstance(policy, Mapping) else {}


def field_class(form: FormDefinition, key: str) -> str:
    return _class_in(_policy(form).get("fields", {}), key)


def _class_in(classes: Mapping[str, Any], key: str) -> str:
    """``key``'s class in the policy's ``fields`` (not named, or not a class: normal)."""
    value = classes.get(key, NORMAL)
    return value if value in RANK else NORMAL


def record_field(form: FormDefinition) -> str | None:
    key = _policy(form).get("record_field", RECORD_FIELD)
    return key if isinstance(key, str) and key in form else None


def record_mark(form: FormDefinition, values: Mapping[str, Any]) -> str:
    key = record_field(form)
    mark = values.get(key) if key else None
    return mark if isinstance(mark, str) and mark in RANK else NORMAL


def readers(form: FormDefinition, level: str) -> tuple[str, ...]:
    table = _policy(form).get("readers", {})
    tokens = table.get(level) if isinstance(table, Mapping) else None
    return tuple(tokens) if isinstance(tokens, list) else DEFAULT_READERS.get(level, ())


def masked_roles(form: FormDefinition) -> tuple[str, ...]:
    roles = _policy(form).get("masked_roles")
    return tuple(roles) if isinstance(roles, list) else DEFAULT_MASKED_ROLES


def personal_fields(form: FormDefinition) -> frozenset[str]:
    keys = _policy(form).get("personal")
    return frozenset(keys) if isinstance(keys, list) else DEFAULT_PERSONAL


def always_visible(form: FormDefinition) -> frozenset[str]:
    keys = _policy(form).get("always_visible")
    base = tuple(keys) if isinstance(keys, list) else DEFAULT_ALWAYS_VISIBLE
    mark = record_field(form)
    return frozenset(base) | ({mark} if mark else set())


def machine_name(reader: Reader) -> str | None:
    """The token naming ``reader`` if it is an integration (``integration:<name>``, its account name), else None."""
    return reader.name if reader.role == INTEGRATION and reader.name.startswith(INTEGRATION + ":") else None


def in_masked_view(form: FormDefinition, reader: Reader) -> bool:
    """Does ``reader`` see the outlet without the person (their role, their department or, for an integration,
    its name is named)?"""
    roles = masked_roles(form)
    machine = machine_name(reader)
    return (
        reader.role in roles
        or (reader.department is not None and f"department:{reader.department}" in roles)
        or (machine is not None and machine in roles)
    )


def owns(form: FormDefinition, reader: Reader, key: str) -> bool:
    """Does ``reader``'s department own ``key`` (the catalogue's ``meta.owners``)? It applies the field's changes,
    so the masked view does not hide that field from it."""
    return reader.department is not None and field_owner(form, key) == reader.department


def may_read(form: FormDefinition, level: str, reader: Reader) -> bool:
    """May ``reader`` see a value of class ``level`` (normal: yes)?"""
    if RANK.get(level, 0) == 0:
        return True
    machine = machine_name(reader)
    for token in readers(form, level):
        if reader.role == INTEGRATION:  # an integration: its role (never for 绝密) or its own name
            if (machine is not None and token == machine) or (token == INTEGRATION and level != TOP_SECRET):
                return True
        elif token == reader.role or token in reader.relations or token == f"user:{reader.name}":
            return True
    return False


def effective_class(form: FormDefinition, key: str, mark: str) -> str:
    return _raised(field_class(form, key), key, always_visible(form), mark)


def _raised(own: str, key: str, visible: frozenset[str], mark: str) -> str:
    """A field's class under the record's mark: raised to the mark, unless the field is always visible."""
    return own if key in visible or RANK[own] >= RANK[mark] else mark


def hidden(form: FormDefinition, values: Mapping[str, Any], reader: Reader) -> dict[str, str]:
    """The fields of ``values`` (any key of the form, filled or not) ``reader`` may not see → the reason."""
    mark = record_mark(form, values)
    personal = personal_fields(form) if in_masked_view(form, reader) else frozenset()
    # effective_class and may_read of every field, with the policy read once (not several times per field)
    classes = _policy(form).get("fields", {})
    visible = always_visible(form)
    readable = {level: may_read(form, level, reader) for level in RANK}
    out: dict[str, str] = {}
    for spec in form.fields:
        key = spec.key
        level = _raised(_class_in(classes, key), key, visible, mark)
        if not readable[level]:
            out[key] = level
        elif key in personal and not owns(form, reader, key):
            out[key] = PERSONAL
    return out


def placeholder_for(form: FormDefinition, key: str, reason: str) -> Any:
    spec = form.get(key)
    text = placeholder(reason)
    return [text] if spec is not None and spec.type in _LIST_TYPES else text


def masked(form: FormDefinition, values: Mapping[str, Any], reader: Reader) -> dict[str, Any]:
    """``values`` as ``reader`` may see them: each hidden value that is filled replaced by its placeholder
    (an empty one stays empty: that a value is missing tells nothing about it)."""
    gone = hidden(form, values, reader)
    if not gone:
        return dict(values)
    return {
        k: (placeholder_for(form, k, gone[k]) if k in gone and v not in (None, "", []) else v)
        for k, v in values.items()
    }


def policy_problems(form: FormDefinition) -> list[str]:
    """What is wrong with the form's ``meta.secrecy`` (empty: nothing), one English line each."""
    policy = _policy(form)
    problems: list[str] = []
    for key, level in (policy.get("fields") or {}).items():
        if key not in form:
            problems.append(f"secrecy.fields: {key!r} is not a field of the form")
        if level not in RANK:
            problems.append(f"secrecy.fields.{key}: {level!r} is not normal, secret or top_secret")
    for level, tokens in (policy.get("readers") or {}).items():
        if level not in (SECRET, TOP_SECRET):
            problems.append(f"secrecy.readers: {level!r} is not secret or top_secret")
        for token in tokens if isinstance(tokens, list) else [tokens]:
            if not _token_ok(token):
                problems.append(
                    f"secrecy.readers.{level}: {token!r} is not a role, a relation, user:<name> or integration:<name>"
                )
            elif level == TOP_SECRET and token == INTEGRATION:
                problems.append("secrecy.readers.top_secret: name the integration (integration:<name>), not every one")
    for token in policy.get("masked_roles") or ():
        department = token[11:] if isinstance(token, str) and token.startswith("department:") else None
        if not (token in ROLES or (department is not None and CODE_RE.fullmatch(department)) or _machine_ok(token)):
            problems.append(f"secrecy.masked_roles: {token!r} is not a role, department:<code> or integration:<name>")
    key = policy.get("record_field")
    if key is not None and key not in form:
        problems.append(f"secrecy.record_field: {key!r} is not a field of the form")
    problems += [f"secrecy.personal: {k!r} is not a field of the form" for k in _keys(policy.get("personal"), form)]
    return problems


def _keys(keys: Iterable[Any] | None, form: FormDefinition) -> list[Any]:
    return [k for k in keys or () if k not in form]


def _machine_ok(token: Any) -> bool:
    return isinstance(token, str) and token.startswith(INTEGRATION + ":") and bool(_NAME.fullmatch(token[12:]))


def _token_ok(token: Any) -> bool:
    return isinstance(token, str) and (
        token in ROLES or token in RELATIONS or (token.startswith("user:") and len(token) > 5) or _machine_ok(token)
    )

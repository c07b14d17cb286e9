"""The field catalogue: one declarative source of truth for every field of a form.

A form (``resources/forms/<form_id>.json``) lists groups and fields. Each field
says its key, group, zh_CN and en labels, type, required level (national ``*``,
provincial, optional), maintenance class, who may edit it, its change policy,
choices and help text. A deployment adapts it without code changes through an
override file (hide fields, require more fields).
"""

from __future__ import annotations

import enum
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.models.wire import UserRole
from app.paths import resource_dir


class FieldType(str, enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    BOOLEAN = "boolean"
    MOBILE_PHONE = "mobile_phone"
    LANDLINE = "landline"
    PHONE = "phone"  # a mobile, or a landline where the shop has no mobile
    ID_CARD = "id_card"
    USCC = "uscc"
    TOBACCO_LICENCE = "tobacco_licence"
    BANK_ACCOUNT = "bank_account"
    REGION_CODE = "region_code"
    POSTAL_CODE = "postal_code"
    EMAIL = "email"
    GPS = "gps"
    PHOTO = "photo"


class RequiredLevel(str, enum.Enum):
    NATIONAL = "national"  # 国家局必填, shown with *
    PROVINCIAL = "provincial"  # 省局必填
    OPTIONAL = "optional"

    @property
    def is_required(self) -> bool:
        return self is not RequiredLevel.OPTIONAL


class Maintenance(str, enum.Enum):
    STATIC = "static"  # 静态信息
    QUARTERLY = "quarterly"  # 动态信息, 季度调整
    REALTIME = "realtime"  # 动态信息, 实时调整
    SYSTEM = "system"  # 系统自动生成


class EditableBy(str, enum.Enum):
    COLLECTOR = "collector"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"


class ChangePolicy(str, enum.Enum):
    DIRECT = "direct"  # a collector's change to an approved record applies directly
    APPROVAL = "approval"  # a collector's change needs the market manager's approval
    ONBOARDING = "onboarding"  # a collector sets it on a new customer only; afterwards the system or a supervisor


class FillMethod(str, enum.Enum):
    """填写方式 (F3 L144): auto-import fields come from the systems; the manual ones the collector keeps monthly."""

    AUTO = "auto"  # 自动导入
    ENTRY = "entry"  # 人工录入
    SELECTION = "selection"  # 人工选择


class FieldRole(str, enum.Enum):
    """Roles tell the application which field plays a well-known part (list columns, search, duplicates)."""

    CUSTOMER_CODE = "customer_code"
    SHOP_NAME = "shop_name"
    CONTACT_NAME = "contact_name"
    CONTACT_PHONE = "contact_phone"
    ADDRESS = "address"
    LICENCE_NO = "licence_no"
    USCC = "uscc"
    ID_CARD = "id_card"
    LEGAL_PERSON = "legal_person"
    LICENCE_ISSUE_DATE = "licence_issue_date"
    LICENCE_EXPIRY_DATE = "licence_expiry_date"
    ANNUAL_REVIEW_DATE = "annual_review_date"
    BINDING_DATE = "binding_date"
    RETAIL_FORMAT = "retail_format"
    MARKET_TYPE = "market_type"
    BUSINESS_SCALE = "business_scale"
    CREDIT_GRADE = "credit_grade"
    CLASSIFICATION_CODE = "classification_code"
    LOCATION = "location"


#: Regulated fields never merge automatically in sync (licence number, credit grade, customer code, …).
REGULATED_ROLES = frozenset({FieldRole.CUSTOMER_CODE, FieldRole.LICENCE_NO, FieldRole.CREDIT_GRADE, FieldRole.LOCATION})


_ROLE_RANK: dict[str, int] = {UserRole.COLLECTOR: 0, UserRole.SUPERVISOR: 1, UserRole.ADMIN: 2, "system": 3}
_EDIT_RANK = {EditableBy.COLLECTOR: 0, EditableBy.SUPERVISOR: 1, EditableBy.SYSTEM: 3}


class CatalogueError(ValueError):
    """A form or override file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Choice:
    value: str
    label_zh: str
    label_en: str

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class Condition:
    """``field`` equals ``equals`` (a choice value, a boolean)."""

    field: str
    equals: Any

    def holds(self, values: Mapping[str, Any]) -> bool:
        v = values.get(self.field)
        if isinstance(v, list):
            return self.equals in v
        return bool(v == self.equals)


@dataclass(frozen=True)
class Group:
    key: str
    label_zh: str
    label_en: str

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class FieldSpec:
    key: str
    group: str
    label_zh: str
    label_en: str
    type: FieldType
    required: RequiredLevel = RequiredLevel.OPTIONAL
    maintenance: Maintenance = Maintenance.STATIC
    editable_by: EditableBy = EditableBy.COLLECTOR
    change: ChangePolicy = ChangePolicy.DIRECT
    choices: tuple[Choice, ...] = ()
    help_zh: str = ""
    help_en: str = ""
    unit_zh: str = ""
    unit_en: str = ""
    min: Any = None
    max: Any = None
    max_length: int | None = None
    decimals: int | None = None
    pattern: str | None = None
    not_future: bool = False
    default: Any = None
    role: FieldRole | None = None
    dedup: bool = False
    hidden: bool = False
    required_if: Condition | None = None
    #: Earlier labels, still read as column headers (a sheet made from an older template).
    aliases: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh

    def help(self, lang: str) -> str:
        return self.help_en if lang == "en" else self.help_zh

    def unit(self, lang: str) -> str:
        return self.unit_en if lang == "en" else self.unit_zh

    @property
    def regulated(self) -> bool:
        return self.role in REGULATED_ROLES

    def choice(self, value: str) -> Choice | None:
        for c in self.choices:
            if c.value == value:
                return c
        return None

    @property
    def fill_method(self) -> FillMethod:
        """How the field is filled (F3 L144): auto-import for system fields, selection for choices, else entry."""
        if self.editable_by is EditableBy.SYSTEM:
            return FillMethod.AUTO
        if self.type in (FieldType.CHOICE, FieldType.MULTICHOICE, FieldType.BOOLEAN):
            return FillMethod.SELECTION
        return FillMethod.ENTRY

    def editable_by_role(self, role: str) -> bool:
        """May a user with ``role`` (collector, supervisor, admin, system) edit this field?"""
        return _ROLE_RANK.get(role, -1) >= _EDIT_RANK[self.editable_by]


@dataclass(frozen=True)
class FormDefinition:
    form_id: str
    version: int
    title_zh: str
    title_en: str
    groups: tuple[Group, ...]
    fields: tuple[FieldSpec, ...]
    #: Free-form facts about the form, e.g. ``required_levels = "deployment_default"`` (where the
    #: national/provincial assignment comes from) and notes saying so in both languages.
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)
    _by_key: dict[str, FieldSpec] = field(default_factory=dict, compare=False, repr=False)

    _by_role: dict[FieldRole, FieldSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key.update({f.key: f for f in self.fields})
        self._by_role.update({f.role: f for f in self.fields if f.role is not None})

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def __getitem__(self, key: str) -> FieldSpec:
        return self._by_key[key]

    def get(self, key: str) -> FieldSpec | None:
        return self._by_key.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    @property
    def visible_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if not f.hidden)

    def fields_in(self, group: str) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.visible_fields if f.group == group)

    def new_customer_defaults(self) -> dict[str, Any]:
        """The values a new customer starts with, on every entry path (the form, the client's sheet import,
        the server's seeding import): weekly orders, online ordering, electronic settlement (F3 L10, L158)."""
        return {f.key: f.default for f in self.visible_fields if f.default is not None}

    def by_role(self, role: FieldRole) -> FieldSpec | None:
        return self._by_role.get(role)

    def retired_label(self, key: str, lang: str) -> str | None:
        """The label of a field an earlier version had and this one retired (``meta.retired``), for the values
        and history stored under it; None for a key the form never retired."""
        f = ((self.meta.get("retired") or {}).get("fields") or {}).get(key)
        return str(f.get("label_en" if lang == "en" else "label_zh") or key) if isinstance(f, Mapping) else None

    def group(self, key: str) -> Group | None:
        return next((g for g in self.groups if g.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "form_id": self.form_id,
            "version": self.version,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            **({"meta": dict(self.meta)} if self.meta else {}),
            "groups": [{"key": g.key, "label_zh": g.label_zh, "label_en": g.label_en} for g in self.groups],
            "fields": [field_to_dict(f) for f in self.fields],
        }


def field_to_dict(f: FieldSpec) -> dict[str, Any]:
    d: dict[str, Any] = {
        "key": f.key,
        "group": f.group,
        "label_zh": f.label_zh,
        "label_en": f.label_en,
        "type": f.type.value,
        "required": f.required.value,
        "maintenance": f.maintenance.value,
        "editable_by": f.editable_by.value,
        "change": f.change.value,
    }
    if f.choices:
        d["choices"] = [{"value": c.value, "zh": c.label_zh, "en": c.label_en} for c in f.choices]
    for name in (
        "help_zh",
        "help_en",
        "unit_zh",
        "unit_en",
        "min",
        "max",
        "max_length",
        "decimals",
        "pattern",
        "default",
    ):
        v = getattr(f, name)
        if v not in (None, ""):
            d[name] = v
    if f.not_future:
        d["not_future"] = True
    if f.role:
        d["role"] = f.role.value
    if f.dedup:
        d["dedup"] = True
    if f.hidden:
        d["hidden"] = True
    if f.required_if:
        d["required_if"] = {"field": f.required_if.field, "equals": f.required_if.equals}
    if f.aliases:
        d["aliases"] = list(f.aliases)
    return d


_FIELD_KEYS = {
    "key",
    "group",
    "label_zh",
    "label_en",
    "type",
    "required",
    "maintenance",
    "editable_by",
    "change",
    "choices",
    "help_zh",
    "help_en",
    "unit_zh",
    "unit_en",
    "min",
    "max",
    "max_length",
    "decimals",
    "pattern",
    "not_future",
    "default",
    "role",
    "dedup",
    "hidden",
    "required_if",
    "aliases",
}


def _enum(cls: type[enum.Enum], value: Any, where: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise CatalogueError(f"{where}: {value!r} is not one of {allowed}") from None


def field_from_dict(d: Mapping[str, Any], where: str = "form") -> FieldSpec:
    if not isinstance(d, Mapping):
        raise CatalogueError(f"{where}: a field must be an object")
    key = d.get("key")
    if not isinstance(key, str) or not key.isidentifier() or key == "id":
        raise CatalogueError(f"{where}: field key {key!r} must be an identifier other than 'id'")
    where = f"{where}, field {key}"
    unknown = set(d) - _FIELD_KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown attribute(s) {', '.join(sorted(unknown))}")
    for req in ("group", "label_zh", "label_en", "type"):
        if not isinstance(d.get(req), str) or not d.get(req):
            raise CatalogueError(f"{where}: {req} is required")
    ftype = _enum(FieldType, d["type"], where)
    choices = tuple(
        Choice(str(c["value"]), str(c.get("zh") or c["value"]), str(c.get("en") or c["value"]))
        for c in d.get("choices", [])
    )
    if ftype in (FieldType.CHOICE, FieldType.MULTICHOICE) and not choices:
        raise CatalogueError(f"{where}: a {ftype.value} field needs choices")
    if len({c.value for c in choices}) != len(choices):
        raise CatalogueError(f"{where}: duplicate choice values")
    cond = d.get("required_if")
    return FieldSpec(
        key=key,
        group=d["group"],
        label_zh=d["label_zh"],
        label_en=d["label_en"],
        type=ftype,
        required=_enum(RequiredLevel, d.get("required", "optional"), where),
        maintenance=_enum(Maintenance, d.get("maintenance", "static"), where),
        editable_by=_enum(EditableBy, d.get("editable_by", "collector"), where),
        change=_enum(ChangePolicy, d.get("change", "direct"), where),
        choices=choices,
        help_zh=d.get("help_zh", ""),
        help_en=d.get("help_en", ""),
        unit_zh=d.get("unit_zh", ""),
        unit_en=d.get("unit_en", ""),
        min=d.get("min"),
        max=d.get("max"),
        max_length=d.get("max_length"),
        decimals=d.get("decimals"),
        pattern=d.get("pattern"),
        not_future=bool(d.get("not_future", False)),
        default=d.get("default"),
        role=_enum(FieldRole, d["role"], where) if d.get("role") else None,
        dedup=bool(d.get("dedup", False)),
        hidden=bool(d.get("hidden", False)),
        required_if=Condition(cond["field"], cond["equals"]) if cond else None,
        aliases=tuple(str(a) for a in d.get("aliases", ())),
    )


def form_from_dict(data: Mapping[str, Any], where: str = "form") -> FormDefinition:
    if not isinstance(data, Mapping):
        raise CatalogueError(f"{where}: the form must be an object")
    try:
        groups = tuple(Group(g["key"], g["label_zh"], g["label_en"]) for g in data["groups"])
        fields = tuple(field_from_dict(f, where) for f in data["fields"])
        form = FormDefinition(
            form_id=str(data["form_id"]),
            version=int(data["version"]),
            title_zh=str(data.get("title_zh", data["form_id"])),
            title_en=str(data.get("title_en", data["form_id"])),
            groups=groups,
            fields=fields,
            meta=dict(data.get("meta") or {}),
        )
    except (KeyError, TypeError) as exc:
        raise CatalogueError(f"{where}: missing or malformed {exc}") from None
    _check_form(form, where)
    return form


def _check_form(form: FormDefinition, where: str) -> None:
    keys = [f.key for f in form.fields]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise CatalogueError(f"{where}: duplicate field keys {', '.join(sorted(dup))}")
    group_keys = {g.key for g in form.groups}
    for f in form.fields:
        if f.group not in group_keys:
            raise CatalogueError(f"{where}, field {f.key}: unknown group {f.group!r}")
        if f.required_if and f.required_if.field not in form:
            raise CatalogueError(f"{where}, field {f.key}: required_if names unknown field {f.required_if.field!r}")
    roles = [f.role for f in form.fields if f.role]
    if len(roles) != len(set(roles)):
        raise CatalogueError(f"{where}: a role is given to more than one field")


def load_form_file(path: Path) -> FormDefinition:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValueError as exc:
        raise CatalogueError(f"{path}: not valid JSON ({exc})") from None
    return form_from_dict(data, str(path.name))


def load_override(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValueError as exc:
        raise CatalogueError(f"{path}: malformed ({exc})") from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: must be an object")
    return data


def apply_override(form: FormDefinition, override: Mapping[str, Any], where: str = "override") -> FormDefinition:
    """Hide fields and set required levels, as a city or province configures its deployment.

    ``{"hide": ["pickup_point"], "require": {"email": "provincial"}}``: ``require`` only adds
    requirements, and a field the national bureau requires cannot be hidden. A province whose own
    table (表1) differs from this deployment's default assignment writes it in ``levels`` (any level,
    up or down: ``{"levels": {"uscc": "national", "gender": "optional"}}``) and, if a field sits in
    another of the bureau's groups, in ``groups`` (``{"groups": {"gender": "other"}}``). Unknown keys
    are errors, not silently ignored.
    """
    unknown = set(override) - {"hide", "require", "levels", "groups", "secrecy"}
    if unknown:
        raise CatalogueError(
            f"{where}: unknown section(s) {', '.join(sorted(unknown))}; "
            "use 'hide', 'require', 'levels', 'groups' and 'secrecy'"
        )
    secrecy = override.get("secrecy", {})  # replaces sections of meta.secrecy (app/validation/secrecy.py)
    if not isinstance(secrecy, dict):
        raise CatalogueError(f"{where}: 'secrecy' must be a table (fields, readers, masked_roles, personal)")
    hide = override.get("hide", [])
    require = override.get("require", {})
    levels = override.get("levels", {})
    moves = override.get("groups", {})
    if not isinstance(hide, list) or not all(isinstance(x, dict) for x in (require, levels, moves)):
        raise CatalogueError(
            f"{where}: 'hide' must be a list of field keys and 'require', 'levels' and 'groups' tables of key = value"
        )
    changed: dict[str, FieldSpec] = {}
    group_keys = {g.key for g in form.groups}
    for key, level in levels.items():
        f = form.get(key)
        if f is None:
            raise CatalogueError(f"{where}: cannot set the level of unknown field {key!r}")
        changed[key] = replace(f, required=_enum(RequiredLevel, level, f"{where}, field {key}"))
    for key, group in moves.items():
        f = changed.get(key) or form.get(key)
        if f is None:
            raise CatalogueError(f"{where}: cannot move unknown field {key!r}")
        if group not in group_keys:
            raise CatalogueError(f"{where}: field {key!r} cannot move to unknown group {group!r}")
        changed[key] = replace(f, group=group)
    for key in hide:
        f = changed.get(key) or form.get(key)
        if f is None:
            raise CatalogueError(f"{where}: cannot hide unknown field {key!r}")
        if f.required is RequiredLevel.NATIONAL or f.role in (FieldRole.CUSTOMER_CODE, FieldRole.SHOP_NAME):
            raise CatalogueError(f"{where}: field {key!r} is required nationally and cannot be hidden")
        changed[key] = replace(f, hidden=True)
    for key, level in require.items():
        f = changed.get(key) or form.get(key)
        if f is None:
            raise CatalogueError(f"{where}: cannot require unknown field {key!r}")
        lvl = _enum(RequiredLevel, level, f"{where}, field {key}")
        if f.hidden:
            raise CatalogueError(f"{where}: field {key!r} is hidden and cannot also be required")
        order = [RequiredLevel.OPTIONAL, RequiredLevel.PROVINCIAL, RequiredLevel.NATIONAL]
        if order.index(lvl) < order.index(f.required):
            raise CatalogueError(f"{where}: field {key!r} is {f.required.value}; an override can only add requirements")
        changed[key] = replace(f, required=lvl)
    fields = tuple(changed.get(f.key, f) for f in form.fields)
    meta = dict(form.meta)
    if levels or moves:
        meta["required_levels"] = "override"
    if secrecy:
        meta["secrecy"] = {**(meta.get("secrecy") or {}), **secrecy}
    return FormDefinition(form.form_id, form.version, form.title_zh, form.title_en, form.groups, fields, meta)


def default_form_path(form_id: str = "retail_customer") -> Path:

    return resource_dir() / "forms" / f"{form_id}.json"


def load_form(form_id: str = "retail_customer", overrides: Iterable[Path] = ()) -> FormDefinition:
    form = load_form_file(default_form_path(form_id))
    for path in overrides:
        form = apply_override(form, load_override(path), str(path))
    return form

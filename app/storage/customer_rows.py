"""How a customer lives in the archive's ``customer`` table: the columns that mirror its values (lists,
search, duplicate checks), the row read back as a ``Customer``, the insert statement, and the audit
entries of a change. Shared by the customers part (customers.py) and the sync tables (sync.py, incoming.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from app.models.catalogue import FieldRole, FormDefinition
from app.models.record import Customer, CustomerStatus, Provenance
from app.models.wire import canonical_json
from app.storage import schema
from app.storage.search import body

C = schema.customer.c
SORT_COLUMNS = {
    "code": C.code,
    "shop_name": C.shop_name,
    "contact_name": C.contact_name,
    "phone": C.phone,
    "address": C.address,
    "status": C.status,
    "completeness": C.completeness,
    "last_visit": C.last_visit,
    "updated_at": C.updated_at,
    "created_at": C.created_at,
    "owner": C.owner,
}
#: FieldRole → the customer column that mirrors it (for lists, search and duplicate checks), in table order.
ROLE_COLUMNS = {
    FieldRole.SHOP_NAME: "shop_name",
    FieldRole.CONTACT_NAME: "contact_name",
    FieldRole.CONTACT_PHONE: "phone",
    FieldRole.ADDRESS: "address",
    FieldRole.LICENCE_NO: "licence_no",
    FieldRole.USCC: "uscc",
    FieldRole.ID_CARD: "id_card",
    FieldRole.BINDING_DATE: "binding_date",
}
assert [c.name for c in schema.customer.columns][12:20] == list(ROLE_COLUMNS.values()), "insert tuple order"
INSERT = (
    f"INSERT INTO customer ({', '.join(c.name for c in schema.customer.columns)}) "
    f"VALUES ({', '.join('?' * len(schema.customer.columns))})"
)
SEARCH_ROLES = (
    FieldRole.SHOP_NAME,
    FieldRole.CONTACT_NAME,
    FieldRole.LEGAL_PERSON,
    FieldRole.CONTACT_PHONE,
    FieldRole.ADDRESS,
    FieldRole.LICENCE_NO,
)
DEDUP_ROLES = (FieldRole.LICENCE_NO, FieldRole.USCC, FieldRole.ID_CARD, FieldRole.CONTACT_PHONE)
#: The texts of a JSON array bound as ``values`` (SQLite's json_each): ``col IN`` it, through the column's index.


def dumps(values: dict[str, Any]) -> str:
    return canonical_json(values).decode("utf-8")


def role_keys(form: FormDefinition, roles: Iterable[FieldRole]) -> list[str]:
    """The field keys playing ``roles`` (a key that matches no field where the form lacks the role)."""
    return [spec.key if (spec := form.by_role(r)) else f"\0{r.value}" for r in roles]


def role_columns(form: FormDefinition, values: dict[str, Any]) -> dict[str, Any]:
    return dict(zip(ROLE_COLUMNS.values(), map(values.get, role_keys(form, ROLE_COLUMNS)), strict=True))


def search_body(form: FormDefinition, values: dict[str, Any], code: str | None) -> str:
    return body([code, *map(values.get, role_keys(form, SEARCH_ROLES))])


def to_customer(r: Any) -> Customer:
    return Customer(
        id=r["id"],
        code=r["code"],
        code_official=bool(r["code_official"]),
        status=CustomerStatus(r["status"]),
        form_id=r["form_id"],
        form_version=r["form_version"],
        values=json.loads(r["data"]),
        completeness=r["completeness"],
        missing_count=r["missing_count"],
        error_count=r["error_count"],
        warning_count=r["warning_count"],
        created_at=r["created_at"],
        created_by=r["created_by"],
        updated_at=r["updated_at"],
        updated_by=r["updated_by"],
        version=r["version"],
        last_visit=r["last_visit"],
        deleted=r["deleted_at"] is not None,
        sync_state=r["sync_state"],
        review=json.loads(r["review"]) if r["review"] else None,
        sync_errors=tuple(json.loads(r["sync_errors"])) if r["sync_errors"] else (),
        approved_values=json.loads(r["approved_data"]) if r["approved_data"] else None,
        owner=r["owner"],
        closure=json.loads(r["closure"]) if r["closure"] else None,
    )


def field_changes(
    record_id: str, old: dict[str, Any], new: dict[str, Any]
) -> list[tuple[str, str, str, str | None, Any, Any]]:
    """The audit entries of a customer's values going from ``old`` to ``new`` (one per changed field)."""
    return [
        ("customer", record_id, "update", k, old.get(k), new.get(k))
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]


def provenance(prov: Provenance) -> dict[str, Any]:
    return {"source": prov.source.value, "source_ref": prov.source_ref, "info_date": prov.info_date}

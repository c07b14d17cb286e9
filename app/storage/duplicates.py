"""The archive's duplicates part (``archive.duplicates``): live customers holding the same licence,
credit code, ID number or phone (``find`` for one customer, ``find_values`` for a sheet's batch), and
the official customer codes already in use."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, literal_column, select
from sqlalchemy.engine import Connection

from app.models.catalogue import FormDefinition
from app.models.record import Duplicate
from app.storage import schema
from app.storage.customer_rows import DEDUP_ROLES, ROLE_COLUMNS
from app.storage.db import Part
from app.validation.secrecy import is_masked

C = schema.customer.c
#: the values as one JSON array: one statement SQLAlchemy compiles once
_JSON_VALUES: Select[tuple[Any]] = select(literal_column("value")).select_from(func.json_each(bindparam("values")))


class Duplicates(Part):
    """``archive.duplicates``: who else holds a customer's identifying values."""

    def find_values(
        self, form: FormDefinition, wanted: dict[str, set[str]], tx: Connection | None = None
    ) -> dict[tuple[str, str], list[Duplicate]]:
        """Live customers holding any of ``wanted[field key]`` values, keyed by (field key, value)."""
        found: dict[tuple[str, str], list[Duplicate]] = {}
        with self.reading(tx) as c:
            for role in DEDUP_ROLES:
                spec = form.by_role(role)
                if spec is None:
                    continue
                values = {v for v in wanted.get(spec.key) or () if not is_masked(v)}
                if not values:
                    continue
                col = getattr(C, ROLE_COLUMNS[role])
                # the values as one JSON array: one statement SQLAlchemy compiles once, not an IN list of
                # hundreds of parameters rendered anew for every batch of a sheet
                q = select(col, C.id, C.code, C.shop_name).where(col.in_(_JSON_VALUES), C.deleted_at.is_(None))
                rows = c.execute(q, {"values": json.dumps(sorted(values), ensure_ascii=False)}).all()
                for value, cid, code, name in rows:
                    found.setdefault((spec.key, value), []).append(Duplicate(spec.key, cid, code, name))
        return found

    def codes_in_use(self, codes: Sequence[str], tx: Connection | None = None) -> dict[str, str]:
        """Official customer codes already used → the id of the customer using each."""
        out: dict[str, str] = {}
        with self.reading(tx) as c:
            for i in range(0, len(codes), 500):
                q = select(C.code, C.id).where(
                    C.code.in_(list(codes[i : i + 500])), C.code_official == 1, C.deleted_at.is_(None)
                )
                out.update(dict(c.execute(q).all()))
        return out

    def find(
        self, form: FormDefinition, values: dict[str, Any], exclude: Sequence[str] = (), tx: Connection | None = None
    ) -> list[Duplicate]:
        """Other live customers with the same licence, credit code, ID number or phone."""
        wanted = {
            spec.key: {str(values[spec.key])}
            for role in DEDUP_ROLES
            if (spec := form.by_role(role)) is not None and values.get(spec.key) and not is_masked(values[spec.key])
        }  # a value this user may not see (its placeholder) is nobody's duplicate
        found = self.find_values(form, wanted, tx)
        return [d for dups in found.values() for d in dups if d.customer_id not in exclude]

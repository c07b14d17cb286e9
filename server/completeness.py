"""A customer's completeness, stored with the customer when it is written (issue 21).

The monthly report's completeness table (档案完整率) and its overdue new customers ask, per customer,
which required fields a person keeps are empty and whether any value is invalid
(``app.validation.completeness``: one validation with the role ``KEEPER``). Doing that per customer
per report cost ~0.2 ms each (~100 s for an admin at 500,000 customers). So every writer of a
customer row (``server.records.UnitOfWork.flush``: pushes, system changes, imports, integrations,
admin commands) stores the answer in columns of ``customers`` (:func:`stamp`):

- ``cmp_form``: the form version it was computed with (NULL: not computed yet), ``cmp_day``: the day
  (China time) it was computed on;
- ``cmp_missing``: how many required values are empty; ``cmp_mask0``/``cmp_mask1``: which ones (bit
  ``i`` of the pair: the form's ``i``-th field, 62 bits a column), NULL when the form has more fields;
- ``cmp_ok``: complete and valid (what the new customer's deadline and approval ask);
- ``cmp_dated``: an error that the passing of time may clear (a date after the day it was computed);
- ``binding_on``: the binding day (绑定日期) as an ISO date, NULL without a valid one;
- ``shop_name``: the shop name (店铺名称) when it is text, NULL else (migration ``0032_report_shop_name``):
  the report's overdue rows name it without reading the row's JSON.

The stored answer is the validation's as long as the form is the same version, no error depends on
the day, and the report's day is not before ``cmp_day`` (:func:`fresh_clause`; a valid past date stays
valid later). Anything else is stale: the report computes it again in Python, and :func:`refresh`
rewrites stale rows in batches (after the upgrade that adds the columns, after a new form version is
published, before each report job).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.engine import Connection

from app.models.catalogue import FormDefinition
from app.validation import validate_values
from app.validation.compiled import compiled
from app.validation.completeness import KEEPER
from app.validation.report import Report
from server.schema import customers

BITS = 62  # bits a BIGINT column holds without its sign
COLUMNS = ("cmp_mask0", "cmp_mask1")
#: Errors that a later day may clear: a date (or an identity card's birth) after the day it was checked.
DATED_CODES = frozenset({"date.future", "id_card.birth_future"})
BATCH = 1000


def field_bits(form: FormDefinition) -> dict[str, int] | None:
    """Field key -> bit (its position in the form), or None when the form has more fields than the bits.
    Made once per form (every new customer of a push is stamped with it: issue 21); not to be changed."""

    def build() -> dict[str, int] | None:
        if len(form.fields) > BITS * len(COLUMNS):
            return None
        return {f.key: i for i, f in enumerate(form.fields)}

    return compiled(form).derived(("completeness_bits",), build)


def binding_day(values: dict[str, Any]) -> str | None:
    """The binding date as the report reads it (the first ten characters, an ISO date), or None."""
    v = values.get("binding_date")
    try:
        return dt.date.fromisoformat(str(v)[:10]).isoformat() if v else None
    except ValueError:
        return None


def shop_name(values: dict[str, Any]) -> str | None:
    """The shop name as the report's rows show it when it is text; None otherwise (the report then reads
    the value out of ``data``, as it did before the column)."""
    v = values.get("shop_name")
    return v if isinstance(v, str) else None


def evaluate(form: FormDefinition, values: dict[str, Any], today: dt.date) -> tuple[list[str], bool, bool]:
    """(required fields a person keeps that are empty, any value invalid, an error the day may clear)."""
    report = validate_values(form, values, today=today, role=KEEPER)
    dated = any(i.code in DATED_CODES for i in report.errors)
    return [i.field for i in report.missing], report.has_errors, dated


def stamp(form: FormDefinition, values: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The completeness columns of a customer holding ``values``, checked on ``today``."""
    return columns(form, values, today, *evaluate(form, values, today))


def from_report(form: FormDefinition, report: Report, values: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """:func:`stamp` from a validation of every value already made with the role ``KEEPER`` (the push's
    validation of a new customer), without validating again."""
    dated = any(i.code in DATED_CODES for i in report.errors)
    return columns(form, values, today, [i.field for i in report.missing], report.has_errors, dated)


def columns(
    form: FormDefinition, values: dict[str, Any], today: dt.date, missing: list[str], invalid: bool, dated: bool
) -> dict[str, Any]:
    """The stored columns of a validation's answer (:func:`evaluate`)."""
    bits = field_bits(form)
    masks: list[int | None] = [0] * len(COLUMNS)
    if bits is None:
        masks = [None] * len(COLUMNS)
    else:
        for key in missing:
            i = bits[key]
            masks[i // BITS] = (masks[i // BITS] or 0) | (1 << (i % BITS))
    return {
        "cmp_form": form.version,
        "cmp_day": today.isoformat(),
        "cmp_missing": len(missing),
        **dict(zip(COLUMNS, masks, strict=True)),
        "cmp_ok": not missing and not invalid,
        "cmp_dated": dated or bits is None,
        "binding_on": binding_day(values),
        "shop_name": shop_name(values),
    }


STAMP_KEYS = (
    "cmp_form",
    "cmp_day",
    "cmp_missing",
    *COLUMNS,
    "cmp_ok",
    "cmp_dated",
    "binding_on",
    "shop_name",
)


def fresh_clause(form: FormDefinition, today: dt.date) -> Any:
    """The customers whose stored completeness is the validation's on ``today`` with ``form``."""
    c = customers.c
    return and_(
        c.cmp_form == form.version,
        c.cmp_dated.is_(False),
        c.cmp_day <= today.isoformat(),
    )


def stale_clause(form: FormDefinition) -> Any:
    """Customers to compute again whatever the day: never computed, an older form, or a dated error."""
    c = customers.c
    return or_(c.cmp_form.is_(None), c.cmp_form != form.version, c.cmp_dated.is_(True))


def refresh(
    conn: Connection,
    form: FormDefinition,
    today: dt.date,
    after: str = "",
    batch: int = BATCH,
    never_computed: bool = False,
) -> str | None:
    """Compute again up to ``batch`` stale customers (:func:`stale_clause`) with ids after ``after`` and
    store it, each only if it has not changed since it was read (its version). The last id read, to go on
    from (keyset: a row that stays stale, a dated error, is not read twice), or None when none was left.
    ``never_computed``: only the rows that have no stored answer at all (what an upgrade fills)."""
    c = customers.c
    stale = c.cmp_form.is_(None) if never_computed else stale_clause(form)
    q = select(c.id, c.version, c.data).where(stale, c.id > after).order_by(c.id).limit(batch)
    rows = conn.execute(q).all()
    if not rows:
        return None
    params = []
    for r in rows:
        try:
            values = json.loads(r.data)
        except ValueError:
            values = {}
        values = values if isinstance(values, dict) else {}
        params.append({"b_id": r.id, "b_version": r.version, **stamp(form, values, today)})
    stmt = (
        update(customers)
        .where(c.id == bindparam("b_id"), c.version == bindparam("b_version"))
        .values({k: bindparam(k) for k in STAMP_KEYS})
    )
    conn.execute(stmt, params)
    return str(rows[-1].id)

"""The shop name as a column of the customer (migration ``0032_report_shop_name``, issue 21): filled on
upgrade for the rows already stored, kept by every writer with the stored completeness, what the monthly
report's overdue rows and category adjustments show (the row's JSON only where it is NULL), on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import time

from sqlalchemy import inspect, select, text, update

from app.models.workdays import WorkCalendar
from server.schema import customers
from tests.server.helpers import create, save
from tests.server.test_migrations import _to, raw_collector
from tests.server.test_reports import MONTH, TODAY, _report


def _shop(db, rid: str) -> str | None:
    with db.read() as conn:
        return conn.execute(select(customers.c.shop_name).where(customers.c.id == rid)).scalar_one()


def test_0032_fills_the_shop_name_of_the_rows_already_stored_and_goes_down(db):
    _to(db, "0031_access_guards", down=True)
    now = time.time()
    rows = {
        "r1": {"shop_name": "甲店", "contact_phone": "x"},
        "r2": {"shop_name": 12},  # not text: left to the JSON, as before
        "r3": {"address": "no shop name"},
    }
    with db.engine.begin() as conn:
        raw_collector(conn, now)
        for rid, values in rows.items():
            conn.execute(
                text(
                    "INSERT INTO customers (id, version, status, code_official, form_version, data, "
                    "field_versions, missing_photos, owner_id, created_by_id, deleted, created_at, updated_at) "
                    "VALUES (:id, 1, 'draft', false, 1, :data, '{}', '[]', 1, 1, false, :at, :at)"
                ),
                {"id": rid, "data": json.dumps(values, ensure_ascii=False), "at": now},
            )
    _to(db, "0032_report_shop_name")
    with db.engine.connect() as conn:
        got = dict(conn.execute(text("SELECT id, shop_name FROM customers")).all())
        indexes = {i["name"] for i in inspect(conn).get_indexes("customer_checks")}
    assert got == {"r1": "甲店", "r2": None, "r3": None}
    assert "ix_customer_checks_record_kind_day" in indexes
    _to(db, "0031_access_guards", down=True)
    with db.engine.connect() as conn:
        cols = {c["name"] for c in inspect(conn).get_columns("customers")}
        indexes = {i["name"] for i in inspect(conn).get_indexes("customer_checks")}
    assert "shop_name" not in cols and "ix_customer_checks_record_kind_day" not in indexes
    _to(db, "0032_report_shop_name")


def test_the_column_follows_every_write_and_the_report_shows_it(api, world, db):
    binding = WorkCalendar.load().add_workdays(TODAY, -8)  # its 5 working days are over: overdue
    rec = create(api, world["c1"], {"shop_name": "甲店", "binding_date": binding.isoformat()})
    rid = rec["id"]
    assert _shop(db, rid) == "甲店"
    r = api.push1(world["c1"], save(rid, {"shop_name": ("甲店", "乙店")}, base=rec["version"]))
    assert r["status"] in ("applied", "merged"), r
    assert _shop(db, rid) == "乙店"

    def overdue_shops() -> set:
        rep = _report(api, world["s1"], MONTH).json()
        return {(x["record_id"], x["kind"], x["shop_name"]) for x in rep["overdue"]}

    assert (rid, "new", "乙店") in overdue_shops()
    # a row whose column is empty (written before the column by some other way): the JSON, as before
    db.write(lambda tx: tx.conn.execute(update(customers).where(customers.c.id == rid).values(shop_name=None)))
    assert (rid, "new", "乙店") in overdue_shops()
    # the column is what the report reads when it is set
    db.write(lambda tx: tx.conn.execute(update(customers).where(customers.c.id == rid).values(shop_name="丙店")))
    assert (rid, "new", "丙店") in overdue_shops()
    r = api.push1(world["c1"], save(rid, {"shop_name": ("乙店", None)}, base=r["record"]["version"]))
    assert r["status"] in ("applied", "merged"), r
    assert _shop(db, rid) is None
    assert (rid, "new", None) in overdue_shops()

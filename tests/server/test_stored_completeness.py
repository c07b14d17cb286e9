"""The completeness stored with each customer (server.completeness) is the catalogue's validation after
every kind of write (a push's new customer, edit, submit and approval; a system change; a new form version
published on the server, then a report job), and the monthly report gives the same contents from the
stored columns (SQL) as from validating every customer (Python) (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import time

from sqlalchemy import select, update

from app.validation.validator import counts_for
from server import completeness
from server.config import CHINA_TZ
from server.forms import current_form, publish
from server.schema import customers
from server.system import apply_system_changes
from tests.server.helpers import complete_values, create, decide, demo_values, save, submit
from tests.server.test_report_jobs import _wait
from tests.server.test_reports import MONTH, _check

DAY = 86400.0


def _today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


def _assert_stored_is_validation(db) -> int:
    """Every customer's stored columns against a validation now, with the current form; how many."""
    with db.read() as conn:
        form = current_form(conn)
        rows = conn.execute(select(customers)).all()
    bits = completeness.field_bits(form)
    assert bits is not None
    for r in rows:
        values = json.loads(r.data)
        missing, invalid, dated = completeness.evaluate(form, values, _today())
        masks = (r.cmp_mask0, r.cmp_mask1)
        held = {k for k, b in bits.items() if masks[b // completeness.BITS] >> (b % completeness.BITS) & 1}
        assert r.cmp_form == form.version, r.id
        assert (r.cmp_missing, held) == (len(missing), set(missing)), r.id
        assert r.cmp_ok is (not missing and not invalid), r.id
        assert r.cmp_dated is dated, r.id
        assert r.binding_on == completeness.binding_day(values), r.id
    return len(rows)


def _report(api, token: str) -> dict:
    r = api.call("GET", f"/reports/monthly?month={MONTH}", token)
    assert r.status_code == 200, r.text
    rep = r.json()
    rep.pop("generated_at")
    return rep


def _world(api, world, db) -> dict[str, dict]:
    """Customers of every kind the report tells apart, each written through the protocol."""
    vals = demo_values(8, seed=21)
    vals[0] = complete_values(api, world["c1"], seed=21)  # with its photos: it may be approved
    old = (_today() - dt.timedelta(days=40)).isoformat()
    for v in vals[:4]:
        v["binding_date"] = old  # its 5 working days are over
    vals[1].pop("contact_phone", None)  # incomplete
    vals[2].pop("contact_phone", None)
    vals[2].pop("owner_name", None)
    recs = {f"r{i}": create(api, world["c1" if i < 5 else "c3"], v) for i, v in enumerate(vals)}
    # an edit that empties a required value, and one that fills one
    for key, change in (("r3", {"contact_phone": (vals[3]["contact_phone"], None)}), ("r1", {"shop_name": ("", "甲")})):
        res = api.push1(world["c1"], save(recs[key]["id"], change, base=recs[key]["version"]))
        assert res["status"] in ("applied", "merged"), res
        recs[key] = res["record"]
    # submitted and approved (complete): not late; another only submitted
    for key, approve in (("r0", True), ("r4", False)):
        res = api.push1(world["c1"], submit(recs[key]["id"], recs[key]["version"]))
        assert res["status"] == "applied", res
        recs[key] = res["record"]
        if approve:
            res = api.push1(world["s1"], decide(recs[key]["id"], recs[key]["version"]))
            assert res["status"] == "applied", res
            recs[key] = res["record"]
    # on the books for a year; one of them checked this quarter and half year
    ids = [recs[k]["id"] for k in ("r0", "r1", "r5", "r6")]
    db.write(
        lambda tx: tx.conn.execute(
            update(customers).where(customers.c.id.in_(ids)).values(created_at=time.time() - 370 * DAY)
        )
    )
    res = api.push(
        world["c1"], _check(recs["r0"]["id"], "quarterly", _today()), _check(recs["r0"]["id"], "static", _today())
    )
    assert [r["status"] for r in res] == ["applied"] * 2, res
    return recs


def test_stored_completeness_follows_every_write_and_a_new_form(api, world, db, tmp_path):
    recs = _world(api, world, db)
    assert _assert_stored_is_validation(db) == 8

    # system changes: a required value emptied, and a binding day after today (an error the day will clear)
    tomorrow = (_today() + dt.timedelta(days=1)).isoformat()
    changes = {recs["r5"]["id"]: {"contact_phone": None}, recs["r6"]["id"]: {"binding_date": tomorrow}}
    db.write(lambda tx: apply_system_changes(tx, changes, "test", "t1"))
    assert _assert_stored_is_validation(db) == 8
    with db.read() as conn:
        dated = conn.execute(select(customers.c.id).where(customers.c.cmp_dated.is_(True))).scalars().all()
    assert dated == [recs["r6"]["id"]]  # left to the report's validation

    before = _report(api, world["admin"])
    # a new form version on the server: an optional field a person keeps becomes required
    with db.read() as conn:
        form = current_form(conn)
        held = [json.loads(d) for d in conn.execute(select(customers.c.data)).scalars()]
    key = next(
        f.key
        for f in form.fields
        if not f.required.is_required
        and f.required_if is None
        and counts_for(f, "system")
        and any(v.get(f.key) in (None, "", []) for v in held)
    )
    doc = form.to_dict()
    doc["version"] = form.version + 1
    field = next(f for f in doc["fields"] if f["key"] == key)
    field["required"] = "provincial"
    path = tmp_path / "form.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    db.write(lambda tx: publish(tx, path, "admin"))
    with db.read() as conn:
        stale = conn.execute(select(customers.c.id).where(completeness.stale_clause(current_form(conn)))).all()
    assert len(stale) == 8  # every stored answer is the old form's now

    after = _report(api, world["admin"])  # computed from the values, with the new form
    assert after != before
    empty = sum(1 for v in held if v.get(key) in (None, "", []))
    assert (
        empty
        and sum(m["count"] for c in after["completeness"] for m in c["missing_by_field"] if m["field"] == key) == empty
    )

    # a report job stores the new form's answer first, then sums it
    r = api.call("POST", f"/reports/monthly/jobs?month={MONTH}", world["admin"])
    assert r.status_code == 202, r.text
    job = _wait(api, world["admin"], r.json())
    assert job["state"] == "done", job
    assert _assert_stored_is_validation(db) == 8
    got = api.call("GET", f"/reports/monthly/jobs/{job['id']}/result", world["admin"]).json()
    got.pop("generated_at")
    assert got == after


def test_the_report_from_stored_completeness_is_the_report_from_validation(api, world, db):
    _world(api, world, db)
    stored = {who: _report(api, world[who]) for who in ("admin", "s1", "s2", "c1")}
    rows = stored["admin"]["overdue"]
    assert {x["kind"] for x in rows} == {"new", "quarterly", "static"}
    assert any(c["incomplete"] for c in stored["admin"]["completeness"])
    # forget every stored answer: the report validates each customer, as before
    db.write(lambda tx: tx.conn.execute(update(customers).values(cmp_form=None)))
    for who, rep in stored.items():
        assert _report(api, world[who]) == rep, who


def test_stored_completeness_after_the_customer_import_and_an_owner_change(api, world, db, tmp_path):
    """The seeding import (``import-customers``) and the owner's change (``assign``) write through the same
    unit of work: each stored answer is the validation's."""
    from server.admin import assign, import_customers
    from tests.server.test_cli import write_xlsx

    rows = demo_values(12, seed=5)
    for i, r in enumerate(rows[:4]):
        r["customer_code"] = f"6101020{i:05d}"
    keys = ["customer_code", "shop_name", "licence_no", "contact_phone", "region_code", "address", "binding_date"]
    sheet = tmp_path / "seed.xlsx"
    write_xlsx(sheet, rows, keys)
    report = db.write(lambda tx: import_customers(tx, sheet, "c1"))
    assert not report.problems and report.created == 12
    assert _assert_stored_is_validation(db) == 12
    db.write(lambda tx: assign(tx, "610102000001", "c2"))
    assert _assert_stored_is_validation(db) == 12
    stored = _report(api, world["s1"])
    db.write(lambda tx: tx.conn.execute(update(customers).values(cmp_form=None)))
    assert _report(api, world["s1"]) == stored

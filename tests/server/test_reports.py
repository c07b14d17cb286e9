"""The monthly reports, on a known data set built through the protocol (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import insert, update

from app.models.catalogue import load_form
from app.models.workdays import WorkCalendar, half_year_start, quarter_start
from server.config import CHINA_TZ
from server.schema import complaint_steps, complaints, customers
from tests.server.helpers import create, demo_values, mid, save

TODAY = dt.datetime.now(CHINA_TZ).date()  # the server counts days in China
MONTH = TODAY.strftime("%Y-%m")
FORM = load_form()


def _visit(rid: str, day: dt.date, anomaly: str = "") -> dict:
    return {
        "mutation_id": mid(),
        "kind": "visit.create",
        "record_id": rid,
        "base_version": 0,
        "visit": {
            "id": str(uuid.uuid4()),
            "visited_on": day.isoformat(),
            "purpose": "routine",
            "notes": "",
            "sales_anomaly": anomaly,
            "photos": [],
        },
    }


def _check(rid: str, kind: str, day: dt.date) -> dict:
    return {
        "mutation_id": mid(),
        "kind": "customer.check",
        "record_id": rid,
        "base_version": 0,
        "check": {"kind": kind, "day": day.isoformat()},
    }


def _report(api, token: str, month: str = MONTH):
    return api.call("GET", f"/reports/monthly?month={month}", token)


def _label(key: str, value: str) -> str:
    return FORM.get(key).choice(value).label("zh_CN")


def test_monthly_report_on_a_known_team(api, world, db):
    cal = WorkCalendar.load()
    binding = cal.add_workdays(TODAY, -8)  # five working days have passed: overdue unless approved
    a_vals, b_vals, c_vals, d_vals = demo_values(4, seed=7)
    a_vals.update(market_type="urban", retail_format="grocery", binding_date=binding.isoformat(), shop_name="甲店")
    b_vals.update(binding_date=TODAY.isoformat(), shop_name="乙店")
    c_vals.pop("contact_phone", None)
    c_vals.update(binding_date=TODAY.isoformat(), shop_name="丙店")
    a = create(api, world["c1"], a_vals)
    b = create(api, world["c1"], b_vals)
    c = create(api, world["c2"], c_vals)
    d = create(api, world["c3"], d_vals)

    # a category adjustment of A this month: market type and retail format
    res = api.push1(
        world["c1"],
        save(a["id"], {"market_type": ("urban", "rural"), "retail_format": ("grocery", "mall")}, base=a["version"]),
    )
    assert res["status"] in ("applied", "merged"), res
    # B has been on the books for a year and had no check this quarter or half year; A had both
    year_ago = dt.datetime.now(dt.UTC).timestamp() - 370 * 86400
    db.write(
        lambda tx: tx.conn.execute(
            update(customers).where(customers.c.id.in_([a["id"], b["id"]])).values(created_at=year_ago)
        )
    )
    first = TODAY.replace(day=1)
    results = api.push(
        world["c1"],
        _visit(a["id"], TODAY, anomaly="销量下降"),
        _visit(a["id"], first),
        _visit(b["id"], TODAY),
        _visit(b["id"], first - dt.timedelta(days=1)),
        _check(a["id"], "quarterly", TODAY),
        _check(a["id"], "static", TODAY),
    )
    assert [r["status"] for r in results] == ["applied"] * 6, results
    api.push(world["c3"], _visit(d["id"], TODAY))

    r = _report(api, world["s1"])
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["month"] == MONTH and rep["as_of"] == TODAY.isoformat()
    assert rep["scope"]["collectors"] == ["c1", "c2", "s1"]

    adj = rep["category_adjustments"]
    assert [(x["code"], x["field"], x["old"], x["new"], x["by"], x["owner"]) for x in adj] == [
        (a["code"], "market_type", _label("market_type", "urban"), _label("market_type", "rural"), "c1", "c1"),
        (a["code"], "retail_format", _label("retail_format", "grocery"), _label("retail_format", "mall"), "c1", "c1"),
    ]
    assert all(x["changed_on"] == TODAY.isoformat() and x["shop_name"] == "甲店" for x in adj)
    assert {x["field_label_zh"] for x in adj} == {FORM.get("market_type").label_zh, FORM.get("retail_format").label_zh}

    comp = {x["collector"]: x for x in rep["completeness"]}
    assert set(comp) == {"c1", "c2"}  # the supervisor has no customers of their own
    assert comp["c1"]["customers"] == 2 and comp["c1"]["complete"] + comp["c1"]["incomplete"] == 2
    assert comp["c2"] == {**comp["c2"], "customers": 1, "complete": 0, "incomplete": 1}
    assert comp["c2"]["missing_total"] >= 1
    assert "contact_phone" in [m["field"] for m in comp["c2"]["missing_by_field"]]

    overdue = {(x["shop_name"], x["kind"]): x for x in rep["overdue"]}
    due_new = cal.add_workdays(binding, 5)
    assert overdue[("甲店", "new")]["due"] == due_new.isoformat()
    assert overdue[("甲店", "new")]["workdays_overdue"] == cal.workdays_between(due_new, TODAY) > 0
    assert ("乙店", "quarterly") in overdue and ("乙店", "static") in overdue
    assert overdue[("乙店", "quarterly")]["due"] == (quarter_start(TODAY) - dt.timedelta(days=1)).isoformat()
    assert overdue[("乙店", "static")]["due"] == (half_year_start(TODAY) - dt.timedelta(days=1)).isoformat()
    assert ("甲店", "quarterly") not in overdue and ("甲店", "static") not in overdue  # checked this month
    assert ("乙店", "new") not in overdue and ("丙店", "new") not in overdue  # bound today
    assert not any(x["record_id"] == d["id"] for x in rep["overdue"])  # another team's

    visits = {x["collector"]: x for x in rep["visits"]}
    assert visits["c1"] == {**visits["c1"], "visits": 3, "customers_visited": 2, "customers": 2, "with_anomaly": 1}
    assert visits["c2"] == {**visits["c2"], "visits": 0, "customers_visited": 0, "customers": 1, "with_anomaly": 0}
    assert "c3" not in visits

    # a collector's report covers their own customers only; the other supervisor sees none of s1's team
    mine = _report(api, world["c2"]).json()
    assert [x["collector"] for x in mine["completeness"]] == ["c2"]
    assert mine["category_adjustments"] == [] and all(x["owner"] == "c2" for x in mine["overdue"])
    other = _report(api, world["s2"]).json()
    assert {x["collector"] for x in other["completeness"]} == {"c3"}
    assert not any(x["record_id"] in (a["id"], b["id"], c["id"]) for x in other["overdue"])
    assert {x["collector"]: x["visits"] for x in other["visits"]} == {"c3": 1}


def test_month_must_be_a_real_past_or_current_month(api, world):
    assert _report(api, world["s1"], "2026-13").status_code == 422
    nxt = (TODAY.replace(day=28) + dt.timedelta(days=4)).strftime("%Y-%m")
    r = _report(api, world["s1"], nxt)
    assert r.status_code == 422 and "not begun" in r.text
    assert api.call("GET", "/reports/monthly?month=10-2026", world["s1"]).status_code == 422
    assert api.call("GET", f"/reports/monthly?month={MONTH}").status_code == 401


def test_a_check_in_the_future_or_without_details_is_refused(api, world):
    a = create(api, world["c1"])
    bad = api.push(world["c1"], _check(a["id"], "quarterly", TODAY + dt.timedelta(days=5)))
    assert bad[0]["status"] == "rejected" and bad[0]["errors"][0]["code"] == "check.date"
    other = api.push1(world["c3"], _check(a["id"], "quarterly", TODAY))
    assert other["status"] == "rejected" and other["errors"][0]["code"] == "not_found"


def _complaint_at(api, token: str, rid: str, received: str, deadline: str, answered: str | None, closed: str | None):
    """A complaint opened through the protocol, then given a known history: its deadline, the day of its
    answer step (China time) and the day it was closed."""
    cid = str(uuid.uuid4())
    body = {"id": cid, "channel": "phone", "received_on": received, "content": "价格不明示"}
    m = {"mutation_id": mid(), "kind": "complaint.open", "record_id": rid, "base_version": 1, "complaint": body}
    assert api.push1(token, m)["status"] == "applied"
    status = "closed" if closed else "answered" if answered else "assigned"

    def history(tx) -> None:
        tx.conn.execute(
            update(complaints).where(complaints.c.id == cid).values(status=status, deadline=deadline, closed_on=closed)
        )
        if answered:
            at = dt.datetime.fromisoformat(answered).replace(hour=23, tzinfo=CHINA_TZ).timestamp()
            step = {"complaint_id": cid, "revision": 4, "action": "answer", "data": "{}", "by_id": 1, "at": at}
            tx.conn.execute(insert(complaint_steps).values(**step))

    return history


def test_complaints_in_the_monthly_report_per_collector_and_in_total(api, world, db):
    a = create(api, world["c1"], {"shop_name": "甲店"})["id"]
    b = create(api, world["c2"], {"shop_name": "乙店"})["id"]
    d = create(api, world["c3"], {"shop_name": "丁店"})["id"]
    histories = [
        # c1: received in March, answered and closed in time
        _complaint_at(api, world["c1"], a, "2025-03-03", "2025-03-10", "2025-03-07", "2025-03-08"),
        # c1: received in March, answered a day after its deadline, closed in April: overdue
        _complaint_at(api, world["c1"], a, "2025-03-20", "2025-03-27", "2025-03-28", "2025-04-02"),
        # c1: received in February, never answered: overdue in March (not received then)
        _complaint_at(api, world["c1"], a, "2025-02-20", "2025-02-27", None, None),
        # c1: answered in time in February, closed in March after its deadline: closed, not in time
        _complaint_at(api, world["c1"], a, "2025-02-10", "2025-02-17", "2025-02-15", "2025-03-02"),
        # c2: received in March, due in April: not overdue yet at the month's end
        _complaint_at(api, world["c2"], b, "2025-03-25", "2025-04-01", None, None),
        # c2: all over by February
        _complaint_at(api, world["c2"], b, "2025-01-05", "2025-01-10", "2025-01-08", "2025-02-01"),
        # another team's
        _complaint_at(api, world["c3"], d, "2025-03-05", "2025-03-06", None, None),
    ]
    for h in histories:
        db.write(h)
    rep = _report(api, world["s1"], "2025-03").json()
    rows = {x["collector"]: x for x in rep["complaints"]}
    keys = ("received", "closed", "closed_in_time", "overdue")
    assert set(rows) == {"c1", "c2"}  # the supervisor keeps no customers and has no complaints
    assert tuple(rows["c1"][k] for k in keys) == (2, 2, 1, 2)
    assert tuple(rows["c2"][k] for k in keys) == (1, 0, 0, 0)
    assert tuple(rep["complaints_total"][k] for k in keys) == (3, 2, 1, 2)
    # in April: the never-answered one still overdue, c2's past its deadline now; another team: its own
    april = _report(api, world["s1"], "2025-04").json()
    assert tuple(april["complaints_total"][k] for k in keys) == (0, 1, 0, 2)
    other = _report(api, world["s2"], "2025-03").json()
    assert [(x["collector"], x["received"], x["overdue"]) for x in other["complaints"]] == [("c3", 1, 1)]
    assert tuple(other["complaints_total"][k] for k in keys) == (1, 0, 0, 1)

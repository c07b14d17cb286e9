"""The monthly filings (issue 17; audit RP1–RP5, N8), on SQLite and PostgreSQL: order collection recorded on
visits and summed per customer manager and per market manager's team, each filing filed by its owner over a
real server process with its content frozen, refused when not the owner's, too early, twice, or with bad
rows; the states due / overdue / filed / late, the due day moved by the calendar when the kind says so, the
reminder's window, and the list of what is overdue."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from sqlalchemy import select, update

from server import filings
from server.accounts import get_user
from server.config import CHINA_TZ
from server.errors import ApiError
from server.schema import admin_log, users
from server.schema_filings import filing_kinds
from tests.server.helpers import PROTO, logins, save


def china(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ).timestamp()


def months_ago(n: int) -> str:
    today = dt.datetime.now(CHINA_TZ).date()
    y, m = today.year, today.month
    for _ in range(n):
        y, m = filings.prev_month(y, m)
    return filings.month_text(y, m)


def people(run: Any, db: Any) -> None:
    """s1 leads c1 and c2; cty is placed in the county's 营销部 (the 内管联系人's filings); everyone has been
    a user since 2025 (set in the table: accounts are dated when added)."""
    assert run("user", "add", "s1", "--role", "supervisor")[0] == 0
    for name in ("c1", "c2"):
        assert run("user", "add", name, "--role", "collector", "--supervisor", "s1")[0] == 0
    assert run("user", "add", "cty", "--role", "collector")[0] == 0
    assert run("user", "add", "admin", "--role", "admin")[0] == 0
    assert run("place", "cty", "--department", "county")[0] == 0
    db.write(lambda tx: tx.conn.execute(update(users).values(created_at=china("2025-01-01T00:00"))))


def a_visit(rid: str, day: str, orders: dict[str, Any] | None) -> dict[str, Any]:
    v = {"id": str(uuid.uuid4()), "visited_on": day, "purpose": "routine", "notes": "", **(orders or {})}
    return {"mutation_id": str(uuid.uuid4()), "kind": "visit.create", "record_id": rid, "base_version": 0, "visit": v}


def test_filings_over_a_real_server(server_process, db, run) -> None:
    people(run, db)
    server_process.start()
    m2, m1, m0 = months_ago(2), months_ago(1), months_ago(0)
    day = f"{m2}-15"
    with httpx.Client(base_url=server_process.url + "/api/v1", headers=PROTO, timeout=30) as c:
        as_ = logins(c)

        def push(name: str, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
            r = c.post("/sync/push", headers=as_(name), json={"mutations": list(mutations)})
            assert r.status_code == 200, r.text
            return list(r.json()["results"])

        shops = {}
        for name, shop in (("c1", "东关烟酒店"), ("c2", "西门便利店")):
            rid = str(uuid.uuid4())
            assert push(name, save(rid, {"shop_name": shop}))[0]["status"] == "applied"
            shops[name] = rid
        order = {"orders": 1, "order_quantity": 30, "order_amount": "1234.5"}
        results = push(
            "c1",
            a_visit(shops["c1"], day, order),
            a_visit(shops["c1"], f"{m2}-20", {"orders": 2, "order_quantity": 12, "order_amount": "600.25"}),
            a_visit(shops["c1"], f"{m2}-21", None),  # a visit without an order
        )
        assert [r["status"] for r in results] == ["applied"] * 3
        assert push("c2", a_visit(shops["c2"], day, {"orders": 1, "order_quantity": 5, "order_amount": "99"}))
        bad = c.post(
            "/sync/push",
            headers=as_("c1"),
            json={"mutations": [a_visit(shops["c1"], day, {"orders": 1, "order_amount": "12.345"})]},
        )
        assert bad.status_code == 422  # three decimal places: refused before anything is written

        # what c1 owes: the month just ended, and the month before it still unfiled past its day
        mine = c.get("/filings/mine", headers=as_("c1")).json()
        assert mine["month"] == m1 and mine["remind_workdays"] == filings.REMIND_WORKDAYS
        assert [(f["kind"], f["month"]) for f in mine["current"]] == [("collector_orders", m1)]
        assert ("collector_orders", m2, "overdue") in [(f["kind"], f["month"], f["state"]) for f in mine["overdue"]]

        draft = c.get(f"/filings/collector_orders/{m2}/draft", headers=as_("c1")).json()["content"]
        assert draft["total"] == {
            "visits": 3,
            "visits_with_orders": 2,
            "customers_ordering": 1,
            "orders": 3,
            "quantity": 42,
            "amount": "1834.75",
        }
        assert [(x["day"], x["shop_name"], x["amount"]) for x in draft["lines"]] == [
            (day, "东关烟酒店", "1234.50"),
            (f"{m2}-20", "东关烟酒店", "600.25"),
        ]
        filed = c.post(f"/filings/collector_orders/{m2}", headers=as_("c1"), json={"note": "已报县级内管股"})
        assert filed.status_code == 200, filed.text
        assert filed.json()["state"] == "late" and filed.json()["content"]["total"]["amount"] == "1834.75"
        again = c.post(f"/filings/collector_orders/{m2}", headers=as_("c1"), json={})
        assert (again.status_code, again.json()["code"]) == (409, "filing.already")
        early = c.post(f"/filings/collector_orders/{m0}", headers=as_("c1"), json={})
        assert (early.status_code, early.json()["code"]) == (409, "filing.too_early")
        wrong = c.post(f"/filings/supervisor_orders/{m2}", headers=as_("c1"), json={})
        assert (wrong.status_code, wrong.json()["code"]) == (403, "filing.not_owner")
        unknown = c.post(f"/filings/weekly/{m2}", headers=as_("c1"), json={})
        assert (unknown.status_code, unknown.json()["code"]) == (404, "filing.unknown_kind")

        # a later visit does not change what was filed
        assert push("c1", a_visit(shops["c1"], f"{m2}-22", order))[0]["status"] == "applied"
        shown = c.get(f"/filings/collector_orders/{m2}", headers=as_("c1")).json()
        assert shown["state"] == "late" and shown["note"] == "已报县级内管股" and shown["filed_by"] == "c1"
        assert shown["content"]["total"]["visits"] == 3

        team = c.get(f"/filings/supervisor_orders/{m2}/draft", headers=as_("s1")).json()["content"]
        assert [(r["collector"], r["visits"], r["orders"], r["amount"]) for r in team["rows"]] == [
            ("c1", 4, 4, "3069.25"),
            ("c2", 1, 1, "99.00"),
        ]
        assert (team["total"]["visits"], team["total"]["quantity"], team["total"]["amount"]) == (5, 77, "3168.25")

        # the special-use form and the self-inspection documents, filed by the county's 营销部
        row = {"day": f"{m2}-10", "purpose": "接待", "brand": "中华(硬)", "quantity": 2, "amount": "900"}
        outside = {**row, "day": f"{m1}-01"}
        r = c.post(f"/filings/special_use/{m2}", headers=as_("cty"), json={"rows": [outside]})
        assert (r.status_code, r.json()["code"]) == (422, "filing.rows")
        r = c.post(f"/filings/special_use/{m2}", headers=as_("cty"), json={"note": "备\x00案", "rows": [row]})
        assert r.status_code == 422  # a NUL never reaches the database
        r = c.post(f"/filings/special_use/{m2}", headers=as_("cty"), json={"rows": [row]})
        assert r.status_code == 200 and r.json()["content"]["rows"][0]["brand"] == "中华(硬)"
        r = c.post(f"/filings/self_inspection/{m2}", headers=as_("cty"), json={"note": "x"})
        assert (r.status_code, r.json()["code"]) == (422, "filing.documents")
        docs = {"plan": "自查方案……", "report": "自查报告……", "rectification": "整改报告……"}
        r = c.post(f"/filings/self_inspection/{m2}", headers=as_("cty"), json={"documents": docs})
        assert r.status_code == 200 and r.json()["content"]["documents"] == docs

        # who sees what: the market manager their team's, a collector their own, the admin all
        seen = c.get(f"/filings?month={m2}", headers=as_("s1")).json()["filings"]
        assert {(f["owner"], f["kind"], f["state"]) for f in seen} == {
            ("s1", "supervisor_orders", "overdue"),
            ("c1", "collector_orders", "late"),
            ("c2", "collector_orders", "overdue"),
        }
        own = c.get(f"/filings?month={m2}", headers=as_("c2")).json()["filings"]
        assert [(f["owner"], f["kind"]) for f in own] == [("c2", "collector_orders")]
        overdue = c.get(f"/filings?month={m2}&state=overdue", headers=as_("admin")).json()["filings"]
        assert {(f["owner"], f["kind"]) for f in overdue if f["kind"] != "annual_check"} == {
            ("s1", "supervisor_orders"),
            ("c2", "collector_orders"),
            ("cty", "category_adjustment"),
            ("cty", "collector_orders"),  # a department's people hold a role too (here: collector)
        }
        hidden = c.get(f"/filings/collector_orders/{m2}?owner=c1", headers=as_("c2"))
        assert (hidden.status_code, hidden.json()["code"]) == (404, "filing.not_found")
        assert c.get(f"/filings/collector_orders/{m2}?owner=c1", headers=as_("s1")).json()["state"] == "late"
        assert c.get("/filings?month=2026-13", headers=as_("s1")).status_code == 422
    with db.read() as conn:
        logged = conn.execute(select(admin_log.c.actor, admin_log.c.target).where(admin_log.c.action == "filing.file"))
        assert sorted(logged.all()) == [
            ("c1", f"collector_orders/{m2}"),
            ("cty", f"self_inspection/{m2}"),
            ("cty", f"special_use/{m2}"),
        ]


def test_states_due_days_and_the_reminder(db, run) -> None:
    people(run, db)
    with db.read() as conn:
        c1 = get_user(conn, "c1")
    assert c1 is not None

    def state(month: str, now: str) -> tuple[str, bool, str]:
        (f,) = [f for f in filings.listing(db, c1, month, None, now=china(now)) if f["kind"] == "collector_orders"]
        return f["state"], f["remind"], f["due"]

    # November 2026 is due on Thursday 3 December; the reminder starts two working days before: 1 December
    assert state("2026-11", "2026-11-30T18:00") == ("due", False, "2026-12-03")
    assert state("2026-11", "2026-12-01T09:00") == ("due", True, "2026-12-03")
    assert state("2026-11", "2026-12-03T23:59") == ("due", True, "2026-12-03")
    assert state("2026-11", "2026-12-04T00:00") == ("overdue", False, "2026-12-03")
    # July is due on Monday 3 August: two working days before is 30 July, but a month is filed from the 1st
    assert filings.listing(db, c1, "2026-07", None, now=china("2026-08-01T08:00"))[0]["remind_from"] == "2026-08-01"

    # September is due on 3 October, inside the National Day holiday; a kind that shifts is due on the 8th
    assert state("2026-09", "2026-10-05T12:00") == ("overdue", False, "2026-10-03")
    db.write(lambda tx: tx.conn.execute(update(filing_kinds).values(shift=True)))
    assert state("2026-09", "2026-10-05T12:00") == ("due", True, "2026-10-08")

    # filed on the due day: filed; a minute after its end: late
    done = filings.file(db, c1, "collector_orders", "2026-11", filings.FileIn(), now=china("2026-12-03T23:59"))
    assert done["state"] == "filed"
    late = filings.file(db, c1, "collector_orders", "2026-10", filings.FileIn(), now=china("2026-12-04T00:01"))
    assert late["state"] == "late"
    assert state("2026-11", "2027-01-10T00:00")[0] == "filed" and state("2026-10", "2027-01-10T00:00")[0] == "late"

    # the annual full check of the archive: owed by the admins once a year, as December's, due 31 January
    with db.read() as conn:
        admin = get_user(conn, "admin")
    assert admin is not None
    unshifted = update(filing_kinds).where(filing_kinds.c.code == "annual_check").values(shift=False)
    db.write(lambda tx: tx.conn.execute(unshifted))  # (31 January 2027 is a Sunday)

    def yearly(month: str) -> list[tuple[str, str, str]]:
        got = filings.listing(db, admin, month, None, now=china("2027-01-20T10:00"))
        return [(f["kind"], f["due"], f["state"]) for f in got if f["kind"] == "annual_check"]

    assert yearly("2026-12") == [("annual_check", "2027-01-31", "due")] and yearly("2026-11") == []
    wrong = filings.FileIn(note="全面检查完成")
    try:
        filings.file(db, admin, "annual_check", "2026-11", wrong, now=china("2027-01-20T10:00"))
        raise AssertionError("a yearly filing for November was accepted")
    except ApiError as exc:
        assert exc.code == "filing.month"
    done = filings.file(db, admin, "annual_check", "2026-12", wrong, now=china("2027-01-20T10:00"))
    assert done["state"] == "filed"

    # a user owes nothing for the months before they joined
    db.write(lambda tx: tx.conn.execute(update(users).values(created_at=china("2026-11-15T00:00"))))
    assert filings.listing(db, c1, "2026-10", None, now=china("2026-12-10T00:00")) == []
    mine = filings.mine(db, c1, now=china("2026-12-10T00:00"))
    assert [(f["month"], f["state"]) for f in mine["current"]] == [("2026-11", "filed")] and mine["overdue"] == []


def test_the_command_line(db, run) -> None:
    people(run, db)
    m2 = months_ago(2)
    code, out, _err = run("filings", "kinds")
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == [
        "category_adjustment",
        "special_use",
        "supervisor_orders",
        "collector_orders",
        "self_inspection",
        "annual_check",
    ]
    assert "department:county\tday 3\tno shift\t县级卷烟营销部特殊用烟统计备案表" in out
    code, out, _err = run("filings", "kind", "special_use", "--shift", "yes", "--owner", "department:market")
    assert code == 0 and "special_use\tdepartment:market\tday 3\tshift\t" in out
    code, _out, err = run("filings", "kind", "special_use", "--owner", "department:nowhere")
    assert code != 0 and "there is no department 'nowhere'" in err
    assert run("filings", "kind", "weekly", "--due-day", "5")[0] != 0
    with db.read() as conn:
        logged = conn.execute(
            select(admin_log.c.target, admin_log.c.outcome).where(admin_log.c.action == "filing.kind")
        )
        assert logged.all() == [("special_use", "ok")]
    code, out, _err = run("filings", "list", "--month", m2, "--state", "overdue")
    owners = sorted((line.split("\t")[1], line.split("\t")[2]) for line in out.splitlines())
    assert code == 0 and owners == [
        ("category_adjustment", "cty"),
        ("collector_orders", "c1"),
        ("collector_orders", "c2"),
        ("collector_orders", "cty"),
        ("self_inspection", "cty"),
        ("supervisor_orders", "s1"),
    ]
    code, out, _err = run("filings", "owed", "--user", "c1")
    assert code == 0 and f"{m2}\tcollector_orders\tc1\t" in out
    assert run("filings", "owed")[0] != 0

"""Change requests (issue 17; audit CH1–CH5, EM1, BK1, N5–N7), on SQLite and PostgreSQL: an emergency change,
a city task order, a county-initiated change and a bulk batch walked end to end over a real server process by a
collector, a market-department user and county users (the own path through a real server: tests/ui), each
step's phone call and the customer notice recorded, the change applied as a versioned system change that
reaches the collector by sync and the modification ledger with its path and approver; refusals; deadlines
across the National Day holiday and overdue steps; bulk maintenance signed once for a batch; the collector's
own fields the same day; a destroyed customer's requests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from server import administration as adm
from server.config import CHINA_TZ
from server.schema import customer_versions, customers
from server.schema_onboarding import onboarding_case_steps
from tests.server.helpers import PROTO, logins, people, save
from tests.server.test_lifecycle import close
from tests.server.test_outbound import approved_customers

PHONE = {"party": "县区营销部 王科长", "number": "029-87654321", "outcome": "已接听，同意办理"}


def unlike(db: Any, rid: str, key: str, options: list[Any]) -> Any:
    """The first of ``options`` the customer does not hold already (demo values are random: an equal value is
    no change, and writes no version)."""
    with db.read() as conn:
        values = json.loads(conn.execute(select(customers.c.data).where(customers.c.id == rid)).scalar_one())
    return next(o for o in options if values.get(key) != o)


FORMATS = ["supermarket", "grocery", "convenience"]


def called(**kw: Any) -> dict[str, Any]:
    return PHONE | {"at": dt.datetime.now(CHINA_TZ).isoformat()} | kw


def test_emergency_and_city_paths_through_a_real_server(server_process, db, run) -> None:
    people(run)
    server_process.start()
    with httpx.Client(base_url=server_process.url + "/api/v1", headers=PROTO, timeout=30) as c:
        as_ = logins(c)

        rid = approved_customers(db, "c1", 1)[0]
        draft = str(uuid.uuid4())
        r = c.post("/sync/push", headers=as_("c1"), json={"mutations": [save(draft, {"shop_name": "草稿店"})]})
        assert r.json()["results"][0]["status"] == "applied", r.text
        cursor = c.get("/sync/pull", headers=as_("c1"), params={"cursor": 0}).json()["cursor"]

        def opened(name: str, path: str, changes: dict[str, Any]) -> httpx.Response:
            return c.post(
                "/changes", headers=as_(name), json={"path": path, "items": [{"record": rid, "changes": changes}]}
            )

        def step(name: str, cid: str, code: str, rev: int, **extra: Any) -> httpx.Response:
            return c.post(f"/changes/{cid}/steps", headers=as_(name), json={"step": code, "revision": rev} | extra)

        def waiting(name: str) -> list[tuple[str, str]]:
            return [
                (w["path"], w["step"]["code"]) for w in c.get("/changes/waiting", headers=as_(name)).json()["steps"]
            ]

        refused = c.post(
            "/changes",
            headers=as_("cty"),
            json={"path": "county", "items": [{"record": draft, "changes": {"retail_format": "grocery"}}]},
        )
        assert (refused.status_code, refused.json()["code"]) == (409, "change.not_onboarded")
        # refusals when opening: a bad value (the catalogue's validator), fields of two departments, a manager
        bad = opened("mkt", "emergency", {"contact_phone": "not a phone"})
        assert (bad.status_code, bad.json()["code"]) == (422, "change.invalid")
        assert bad.json()["fields"][0]["field"] == "contact_phone"
        mixed = opened("mkt", "emergency", {"contact_phone": "13912345678", "shop_name": "新名"})
        assert (mixed.status_code, mixed.json()["code"]) == (422, "change.mixed_owners")
        assert opened("cty2", "county", {"retail_format": "grocery"}).status_code == 404  # another county's customer
        assert opened("c1", "city", {"retail_format": "grocery"}).json()["code"] == "change.wrong_role"

        # the emergency path: 市场部 fills in on the customer's behalf, the county reviews, 市场部 applies (EM1)
        r = opened("mkt", "emergency", {"contact_phone": "13912345678"})
        assert r.status_code == 200, r.text
        case = r.json()
        cid = case["id"]
        assert [(s["code"], s["owner"], s["hours"]) for s in case["steps"]] == [
            ("fill", "department:market", 0.5),
            ("review", "department:county", 0.5),
            ("apply", "department:market", 0.5),  # contact_phone belongs to the market department
        ]
        assert case["items"][0]["changes"] == {"contact_phone": "13912345678"}
        assert waiting("mkt") == [("emergency", "fill")] and waiting("cty") == [] and waiting("c1") == []
        no_call = step("mkt", cid, "fill", 1)
        assert (no_call.status_code, no_call.json()["code"]) == (422, "change.phone_required")
        assert step("mkt", cid, "fill", 1, phone=called(), note="客户来电").status_code == 200
        assert waiting("cty") == [("emergency", "review")] and waiting("cty2") == []
        wrong = step("mkt", cid, "review", 2, phone=called())
        assert (wrong.status_code, wrong.json()["code"]) == (403, "change.wrong_role")
        assert step("cty", cid, "review", 2, phone=called(party="市场部 李管理员")).status_code == 200
        stale = step("mkt", cid, "apply", 2, phone=called())
        assert (stale.status_code, stale.json()["code"]) == (409, "change.stale")
        done = step("mkt", cid, "apply", 3, phone=called(outcome="已修改并通知县区"))
        assert done.status_code == 200, done.text
        shown = c.get(f"/changes/{cid}", headers=as_("s1")).json()
        assert (shown["status"], shown["revision"]) == ("done", 4)
        assert [s["done_by"] for s in shown["steps"]] == ["mkt", "cty", "mkt"]
        assert [n["position"] for n in shown["notices"]] == [1, 2, 3] and {n["kind"] for n in shown["notices"]} == {
            "phone"
        }
        assert shown["notices"][1]["party"] == "市场部 李管理员" and shown["notices"][0]["number"] == "029-87654321"
        assert all(0 < s["hours"] <= 0.5 for s in shown["steps"]) and shown["items"][0]["applied_version"] == 2
        closed = step("mkt", cid, "apply", 4, phone=called())
        assert (closed.status_code, closed.json()["code"]) == (409, "change.closed")

        # the collector receives it by sync, as a system change naming the path and who did each step
        pulled = c.get("/sync/pull", headers=as_("c1"), params={"cursor": cursor}).json()
        mine = [x["record"] for x in pulled["changes"] if x["record_id"] == rid and x["record"]]
        assert mine and mine[-1]["values"]["contact_phone"] == "13912345678", pulled
        assert mine[-1]["version"] == 2
        with db.read() as conn:
            v = conn.execute(
                select(customer_versions).where(customer_versions.c.record_id == rid, customer_versions.c.version == 2)
            ).one()
        prov = json.loads(v.provenance)
        assert v.kind == "system.change" and (prov["source"], prov["source_ref"], prov["path"]) == (
            "change",
            cid,
            "emergency",
        )
        assert [s["by"] for s in prov["steps"]] == ["mkt", "cty", "mkt"]

        # the city's task order of the order days: the market centre, the collector's visit, the county (which
        # owns the field) applies it with the customer told, then the county's final review without a limit
        r = opened("mkt", "city", {"order_cycle": unlike(db, rid, "order_cycle", [["mon", "thu"], ["tue", "fri"]])})
        assert r.status_code == 200, r.text
        city = r.json()
        assert [(s["code"], s["owner"], s["hours"]) for s in city["steps"]] == [
            ("order", "department:market", 8.0),
            ("verify", "role:collector", 4.0),
            ("apply", "department:county", 8.0),
            ("final", "department:county", None),
        ]  # 1 + 0.5 + 1 = 2.5 working days (F3 L400–406)
        assert city["notify_customer"] is True
        cc = city["id"]
        assert step("mkt", cc, "order", 1).status_code == 200
        assert waiting("c1") == [("city", "verify")]
        assert step("c1", cc, "verify", 2, note="已走访核实").status_code == 200
        untold = step("cty", cc, "apply", 3)
        assert (untold.status_code, untold.json()["code"]) == (422, "change.customer_notice_required")
        told = {"party": "店主 张三", "number": "13800000000", "outcome": "已告知新订货日", "at": called()["at"]}
        assert step("cty", cc, "apply", 3, customer_notice=told).status_code == 200
        final = c.get("/changes/waiting", headers=as_("cty")).json()["steps"]
        assert [(w["step"]["code"], w["step"]["deadline"], w["step"]["overdue"]) for w in final] == [
            ("final", None, False)
        ]
        assert step("cty", cc, "final", 4, note="审核无误").status_code == 200
        city = c.get(f"/changes/{cc}", headers=as_("c1")).json()
        assert city["status"] == "done" and [n["kind"] for n in city["notices"]] == ["customer"]
        # the county's path (《客户信息修改维护表》): the customer manager takes the request, the county verifies and
        # fills the form, the market department (which owns the retail format) applies it, the county files it
        r = opened("c1", "county", {"retail_format": unlike(db, rid, "retail_format", FORMATS)})
        assert r.status_code == 200, r.text
        county = r.json()
        assert [(s["owner"], s["hours"]) for s in county["steps"]] == [
            ("department:county", 8.0),
            ("department:market", 8.0),
            ("department:county", 8.0),
        ]  # 1 + 1 + 1 = 3 working days (F3 L407–414)
        kc = county["id"]
        assert waiting("cty") == [("county", "fill")] and waiting("cty2") == []
        nul = step("cty", kc, "fill", 1, note="bad\u0000note")
        assert nul.status_code == 422  # refused before the database
        assert step("cty", kc, "fill", 1, note="已核实，填表上报").status_code == 200
        assert waiting("mkt") == [("county", "apply")]
        assert step("mkt", kc, "apply", 2).status_code == 200
        assert step("cty", kc, "review", 3, note="审核无误，已存档").status_code == 200
        assert c.get(f"/changes/{kc}", headers=as_("s1")).json()["status"] == "done"
        listed = c.get(f"/records/{rid}/changes", headers=as_("c1")).json()["cases"]
        assert [x["path"] for x in listed] == ["county", "city", "emergency"]

        # bulk maintenance: the county's batch, one signature of the market department, the county's check
        batch = approved_customers(db, "c1", 2)
        items = [{"record": x, "changes": {"retail_format": unlike(db, x, "retail_format", FORMATS)}} for x in batch]
        r = c.post("/changes", headers=as_("cty"), json={"path": "bulk", "items": items})
        assert r.status_code == 200, r.text
        bc = r.json()["id"]
        assert step("cty", bc, "supply", 1).status_code == 200
        # only the market department's manager signs (F3 L417 市场部经理); a plain member of 市场部 is refused
        assert [w["step"]["code"] for w in c.get("/changes/waiting", headers=as_("mkt")).json()["steps"]] == []
        refused = step("mkt", bc, "sign", 2)
        assert (refused.status_code, refused.json()["code"]) == (403, "change.wrong_role")
        assert "manager of" in refused.json()["message"] and "manager:market" in refused.json()["message"]
        assert run("place", "mkt", "--department", "market", "--manager")[0] == 0  # the admin names the post
        assert [w["step"]["code"] for w in c.get("/changes/waiting", headers=as_("mkt")).json()["steps"]] == ["sign"]
        assert step("mkt", bc, "sign", 2, note="审核签名").status_code == 200
        signed = c.get(f"/changes/{bc}", headers=as_("s1")).json()
        assert [i["applied_version"] for i in signed["items"]] == [2, 2] and signed["steps"][2]["hours"] == 8.0
        assert step("cty", bc, "check", 3, note="已审核留档").status_code == 200

        # the modification ledger lists them with their paths and approvers
        today = dt.datetime.now(CHINA_TZ).date().isoformat()
        rows = c.get("/reports/ledger", headers=as_("s1"), params={"start": today, "end": today}).json()["rows"]
        got = {(x["field"], x["path"], x["approved_by"]) for x in rows if x["record_id"] in (rid, *batch)}
        assert {
            ("contact_phone", "emergency", "cty"),
            ("order_cycle", "city", "c1"),
            ("retail_format", "county", "cty"),
            ("retail_format", "bulk", "mkt"),
        } <= got, rows


def deadlines(db: Any, case_id: str) -> list[float | None]:
    with db.read() as conn:
        q = select(onboarding_case_steps.c.deadline_at).where(onboarding_case_steps.c.case_id == case_id)
        return list(conn.execute(q.order_by(onboarding_case_steps.c.position)).scalars())


def china(*args: int) -> float:
    return dt.datetime(*args, tzinfo=CHINA_TZ).timestamp()


def test_deadlines_across_national_day_overdue_steps_and_bulk(db, run, api, tmp_path) -> None:
    """Requests that arrived on 2026-09-30, the eve of the National Day holiday (Oct 1–7): the county's
    working day runs 14:00–17:00 and on to Oct 8 14:00; an emergency's half hour that arrived at 16:45 ends
    at Oct 8 09:15. Both are long overdue. A batch is signed once and applied to all its customers; the
    county's check then has 1 working day."""
    people(run)
    c1 = api.token("c1")
    ids = approved_customers(db, "c1", 3)
    code, out, err = run(
        "change",
        "open",
        ids[0],
        "--path",
        "county",
        "--set",
        "retail_format=grocery",
        "--received",
        "2026-09-30T14:00",
        "--user",
        "cty",
    )
    assert code == 0, err
    county = out.split("\t")[0]
    assert deadlines(db, county) == [china(2026, 10, 8, 14), None, None]
    code, out, err = run(
        "change",
        "open",
        ids[1],
        "--path",
        "emergency",
        "--set",
        "contact_phone=13912345670",
        "--received",
        "2026-09-30T16:45",
        "--user",
        "mkt",
    )
    assert code == 0, err
    emergency = out.split("\t")[0]
    assert deadlines(db, emergency) == [china(2026, 10, 8, 9, 15), None, None]
    code, out, _ = run("change", "waiting", "--user", "cty")
    assert code == 0 and out.count("OVERDUE") == 1 and county in out
    code, out, _ = run("change", "waiting", "--user", "mkt")
    assert code == 0 and "OVERDUE" in out and emergency in out
    listed = api.call("GET", "/changes/waiting", api.token("mkt")).json()["steps"]
    assert [(w["case_id"], w["step"]["overdue"]) for w in listed] == [(emergency, True)]
    assert listed[0]["step"]["hours_left"] < 0
    code, _, err = run("change", "do", emergency, "--step", "fill", "--revision", "1", "--user", "mkt")
    assert code == 2 and "change.phone_required" in err
    code, out, err = run(
        "change",
        "do",
        emergency,
        "--step",
        "fill",
        "--revision",
        "1",
        "--user",
        "mkt",
        "--phone",
        "王科长|029-1|已通知",
    )
    assert code == 0 and "revision 2" in out, err
    shown = api.call("GET", f"/changes/{emergency}", c1).json()
    assert shown["steps"][0]["overdue"] is True and shown["steps"][0]["done_by"] == "mkt"  # done, but late
    assert shown["steps"][1]["overdue"] is False and 0 < shown["steps"][1]["hours_left"] <= 0.5
    code, _, err = run("change", "open", ids[0], "--path", "county", "--received", "2099-01-01T09:00", "--user", "cty")
    assert code == 2  # --set missing
    code, _, err = run(
        "change", "open", ids[0], "--path", "county", "--set", "retail_format=grocery", "--received", "2099-01-01T09:00"
    )
    assert code == 2 and "--user" in err

    # bulk maintenance: the county's batch, the market department's one signature, the county's 1-wd check
    wanted = {i: unlike(db, i, "retail_format", FORMATS) for i in ids}
    batch = tmp_path / "batch.json"
    batch.write_text(
        json.dumps([{"record": i, "changes": {"retail_format": wanted[i]}} for i in ids], ensure_ascii=False),
        encoding="utf-8",
    )
    code, out, err = run("change", "open", "--path", "bulk", "--file", str(batch), "--user", "cty")
    assert code == 0 and "3 customer(s)" in out, err
    bulk = out.split("\t")[0]
    code, _, err = run("change", "do", bulk, "--step", "supply", "--revision", "1", "--user", "mkt")
    assert code == 2 and "change.wrong_role" in err
    assert run("change", "do", bulk, "--step", "supply", "--revision", "1", "--user", "cty")[0] == 0
    code, out, err = run("change", "do", bulk, "--step", "sign", "--revision", "2", "--user", "mkt", "--note", "同意")
    assert code == 2 and "change.wrong_role" in err and "manager of" in err  # mkt is not the manager yet
    code, _, err = run("place", "mkt", "--manager")
    assert code == 2 and "choose the department" in err
    assert run("place", "mkt", "--department", "market", "--manager")[0] == 0
    code, _, err = run("place", "dlv", "--department", "market", "--manager")  # one manager a department
    assert code == 2 and "'mkt' is already the manager of" in err
    code, out, _ = run("place", "dlv", "--department", "market")  # a plain member: still cannot sign
    code, _, err = run("change", "do", bulk, "--step", "sign", "--revision", "2", "--user", "dlv")
    assert code == 2 and "change.wrong_role" in err
    code, out, err = run("change", "do", bulk, "--step", "sign", "--revision", "2", "--user", "mkt", "--note", "同意")
    assert code == 0, err
    shown = api.call("GET", f"/changes/{bulk}", c1).json()
    assert all(i["applied_version"] == 2 for i in shown["items"]) and len(shown["items"]) == 3
    assert shown["steps"][2]["hours"] == 8.0 and shown["steps"][2]["deadline"] is not None
    pulled = {x["record_id"]: x["record"] for x in api.pull_all(c1)[0] if x["record"]}
    assert all(pulled[i]["values"]["retail_format"] == wanted[i] for i in ids)
    with db.read() as conn:
        q = select(customer_versions.c.provenance).where(customer_versions.c.kind == "system.change")
        provs = [json.loads(p) for p in conn.execute(q).scalars()]
    assert [p["path"] for p in provs].count("bulk") == 3 and len({p["source_ref"] for p in provs}) == 1

    # the collector's own field, the same day; another path's field is refused on this one
    mine = {"path": "own", "items": [{"record": ids[2], "changes": {"contact_name": "李四五六"}}]}
    own = api.call("POST", "/changes", c1, json=mine)
    assert own.status_code == 200, own.text
    body = own.json()
    assert [s["owner"] for s in body["steps"]] == ["role:collector"] and 0 < body["steps"][0]["hours"] <= 8
    not_own = api.call(
        "POST",
        "/changes",
        c1,
        json={"path": "own", "items": [{"record": ids[2], "changes": {"retail_format": "grocery"}}]},
    )
    assert not_own.json()["code"] == "change.not_own"
    manager = api.call(
        "POST",
        "/changes",
        api.token("s1"),  # the market manager sees the customer; it is not theirs to keep
        json={"path": "own", "items": [{"record": ids[2], "changes": {"contact_name": "x"}}]},
    )
    assert (manager.status_code, manager.json()["code"]) == (403, "change.wrong_role")
    done = api.call("POST", f"/changes/{body['id']}/steps", c1, json={"step": "apply", "revision": 1})
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert {x["record_id"]: x["record"] for x in api.pull_all(c1)[0]}[ids[2]]["values"]["contact_name"] == "李四五六"


def test_a_destroyed_customer_takes_its_change_requests_with_it(db, run, api, settings) -> None:
    """Audit LC3: the approved destruction of a closed customer removes its change requests, their steps,
    customers' rows and the phone calls recorded (they name the outlet's people); another customer's stay."""
    people(run)
    assert run("user", "add", "boss", "--role", "admin")[0] == 0
    rid, other = approved_customers(db, "c1", 2)
    mkt = api.token("mkt")
    cases = []
    for record in (rid, other):
        body = {"path": "emergency", "items": [{"record": record, "changes": {"contact_phone": "13912345679"}}]}
        case = api.call("POST", "/changes", mkt, json=body).json()
        done = api.call(
            "POST", f"/changes/{case['id']}/steps", mkt, json={"step": "fill", "revision": 1, "phone": called()}
        )
        assert done.status_code == 200, done.text
        cases.append(case["id"])
    assert api.push1(api.token("s1"), close(rid, 1))["status"] == "applied"
    due = dataclasses.replace(settings, retention_closed_days=0)
    done = adm.destroy_records(db, adm.Actor("boss", "api"), due, [rid], "boss", "2031 年度销毁决定")
    removed = done[0]["removed"]
    assert (removed["case_notices"], removed["change_items"], removed["onboarding_cases"]) == (1, 1, 1)
    assert removed["onboarding_steps"] == 3
    kept = api.call("GET", f"/changes/{cases[1]}", api.token("s1")).json()
    assert kept["items"][0]["record_id"] == other and len(kept["notices"]) == 1

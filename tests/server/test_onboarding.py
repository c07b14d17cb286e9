"""Onboarding cases (issue 17; audit ON1–ON4, ON6, N2–N4), on SQLite and PostgreSQL: a case opened by a
collector's new customer walked through its seven steps over a real server process, each by a person of the
owning role or department and territory; refusals out of order, by the wrong role or department, on a stale
revision and once finished; deadlines across the National Day holiday and a day the server's calendar makes
a holiday; an overdue step; the step table as the deployment sets it; import and inbound sources."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from server.config import CHINA_TZ
from server.schema_onboarding import onboarding_case_steps, onboarding_cases
from tests.server.helpers import PROTO, create, demo_values, logins, people, save
from tests.server.test_cli import write_xlsx


def at(text: str) -> str:
    """A China time as the wire's UTC ISO form."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


def test_a_case_walked_through_a_real_server(server_process, db, run) -> None:
    people(run)
    server_process.start()
    with httpx.Client(base_url=server_process.url + "/api/v1", headers=PROTO, timeout=30) as c:
        as_ = logins(c)

        rid = str(uuid.uuid4())
        r = c.post("/sync/push", headers=as_("c1"), json={"mutations": [save(rid, {"shop_name": "新入网测试店"})]})
        assert r.json()["results"][0]["status"] == "applied", r.text
        cases = c.get(f"/records/{rid}/onboarding", headers=as_("c1")).json()["cases"]
        assert len(cases) == 1
        case = cases[0]
        assert (case["status"], case["current"], case["revision"], case["source"]) == ("open", 1, 1, "collector")
        codes = ["forward", "visit", "apply", "maintain", "locate", "quota", "close"]
        assert [s["code"] for s in case["steps"]] == codes
        assert sum(s["hours"] for s in case["steps"]) == 40  # 5 working days of 8 hours (F3 L383–397)
        first = case["steps"][0]
        assert first["owner"] == "department:monopoly" and first["deadline"] > first["started_at"]
        assert first["overdue"] is False and 0 < first["hours_left"] <= 4
        cid = case["id"]

        def step(name: str, code: str, revision: int, note: str = "", call: bool = True) -> httpx.Response:
            body: dict[str, Any] = {"step": code, "revision": revision, "note": note}
            if call:  # the phone notice to the next owner (F3 L379–380), dated a minute ago
                ago = (dt.datetime.now(CHINA_TZ) - dt.timedelta(minutes=1)).isoformat()
                body["phone"] = {"party": f"{code}的下一环节", "number": "029-87654321", "at": ago, "outcome": "已告知"}
            return c.post(f"/onboarding/cases/{cid}/steps", headers=as_(name), json=body)

        def waiting(name: str) -> list[str]:
            return [w["step"]["code"] for w in c.get("/onboarding/waiting", headers=as_(name)).json()["steps"]]

        assert waiting("mono") == ["forward"] and waiting("c1") == [] and waiting("mkt") == []
        refused = step("c1", "visit", 1)  # the collector's step, before the monopoly office forwarded it
        assert (refused.status_code, refused.json()["code"]) == (409, "onboarding.out_of_order")
        refused = step("mkt", "forward", 1)  # the market department doing the monopoly office's step
        assert (refused.status_code, refused.json()["code"]) == (403, "onboarding.wrong_role")
        assert c.get(f"/onboarding/cases/{cid}", headers=as_("c3")).status_code == 404  # another team's customer
        assert [s["phone"] for s in case["steps"]] == [True] * 6 + [False]  # the hand-overs are told by phone
        refused = step("mono", "forward", 1, call=False)
        assert (refused.status_code, refused.json()["code"]) == (422, "onboarding.phone_required")
        assert step("mono", "forward", 1, "许可证已办结，转营销科").status_code == 200
        again = step("mono", "forward", 1)
        assert (again.status_code, again.json()["code"]) == (409, "onboarding.stale")
        assert waiting("mono") == [] and waiting("c1") == ["visit"]
        assert step("c1", "visit", 2, "已走访，线路 3").status_code == 200
        assert waiting("cty") == ["apply"] and waiting("cty2") == []  # another county's 营销部 does not see it
        refused = step("cty2", "apply", 3)  # outside their territory the case does not exist for them
        assert (refused.status_code, refused.json()["code"]) == (404, "onboarding.not_found")
        for n, (name, code) in enumerate(
            [("cty", "apply"), ("mkt", "maintain"), ("dlv", "locate"), ("sal", "quota"), ("sal", "close")], start=3
        ):
            assert step(name, code, n, call=code != "close").status_code == 200, (name, code)
        done = c.get(f"/onboarding/cases/{cid}", headers=as_("s1")).json()
        assert (done["status"], done["current"], done["revision"]) == ("done", None, 8)
        assert done["closed_at"] is not None
        assert [s["done_by"] for s in done["steps"]] == ["mono", "c1", "cty", "mkt", "dlv", "sal", "sal"]
        assert [s["note"] for s in done["steps"][:2]] == ["许可证已办结，转营销科", "已走访，线路 3"]
        calls = done["notices"]  # who was called, when, the number, the outcome, and who recorded it
        assert [(n["position"], n["kind"], n["recorded_by"]) for n in calls] == [
            (1, "phone", "mono"),
            (2, "phone", "c1"),
            (3, "phone", "cty"),
            (4, "phone", "mkt"),
            (5, "phone", "dlv"),
            (6, "phone", "sal"),
        ]
        assert calls[0]["party"] == "forward的下一环节" and calls[0]["number"] == "029-87654321"
        assert calls[0]["outcome"] == "已告知" and calls[0]["at"] < done["steps"][0]["done_at"]
        times = [s["done_at"] for s in done["steps"]]
        assert times == sorted(times) and all(s["overdue"] is False for s in done["steps"])
        for s, nxt in zip(done["steps"], done["steps"][1:], strict=False):
            assert nxt["started_at"] == s["done_at"]  # each step's clock starts when the one before is done
        closed = step("sal", "close", 8)
        assert (closed.status_code, closed.json()["code"]) == (409, "onboarding.closed")


def first_step(db: Any, case_id: str) -> Any:
    with db.read() as conn:
        q = select(onboarding_case_steps).where(
            onboarding_case_steps.c.case_id == case_id, onboarding_case_steps.c.position == 1
        )
        return conn.execute(q).one()


def test_deadlines_across_a_holiday_and_an_overdue_step(db, run, api, tmp_path) -> None:
    """Licensees whose information arrived on 2026-09-30 at 14:00, the eve of the National Day holiday
    (Oct 1–7): the monopoly office's half day is 3 hours that afternoon and 1 hour on Oct 8; once the server's
    calendar makes Oct 8 a holiday too, a case opened then runs to Oct 9. Both are long overdue; an imported
    new customer without a code opens its own case, existing customers (with a code) none."""
    people(run)
    rows = demo_values(3, seed=7)
    for i, r in enumerate(rows[:2]):
        r["customer_code"] = f"61010200{i:04d}"
    path = tmp_path / "licensees.xlsx"
    write_xlsx(path, rows, ["customer_code", "shop_name", "licence_no", "contact_phone", "region_code", "address"])
    assert run("import-customers", str(path), "--owner", "c1")[0] == 0
    with db.read() as conn:
        assert [r.source for r in conn.execute(select(onboarding_cases))] == ["import"]
    code, out, _ = run("onboarding", "open", "610102000000", "--received", "2026-09-30T14:00", "--user", "mono")
    assert code == 0
    before = first_step(db, out.strip())
    assert before.deadline_at == dt.datetime(2026, 10, 8, 10, tzinfo=CHINA_TZ).timestamp()
    assert run("calendar", "set", "2026-10-08", "holiday")[0] == 0
    code, out, _ = run("onboarding", "open", "610102000001", "--received", "2026-09-30T14:00")
    after = first_step(db, out.strip())
    assert after.deadline_at == dt.datetime(2026, 10, 9, 10, tzinfo=CHINA_TZ).timestamp()
    code, _, err = run("onboarding", "open", "610102000001")
    assert code == 2 and "already has an open onboarding case" in err
    code, _, err = run("onboarding", "open", "610102000000", "--received", "2099-01-01T09:00")
    assert code == 2 and "future" in err
    mono = api.token("mono")
    listed = api.call("GET", "/onboarding/waiting", mono).json()["steps"]
    office = [w for w in listed if w["source"] == "office"]
    assert [w["customer_code"] for w in office] == ["610102000000", "610102000001"]  # the oldest deadline first
    assert all(w["step"]["overdue"] and w["step"]["hours_left"] < 0 for w in office)
    assert [w["step"]["overdue"] for w in listed if w["source"] == "import"] == [False]
    code, out, _ = run("onboarding", "waiting", "--user", "mono")
    assert code == 0 and out.count("OVERDUE") == 2
    cid = office[0]["case_id"]
    code, _, err = run("onboarding", "do", cid, "--step", "forward", "--revision", "1", "--user", "mono")
    assert code == 2 and "onboarding.phone_required" in err
    call = "营销科王某|029-88886666|已电话告知"
    do = ("onboarding", "do", cid, "--step", "forward", "--revision", "1", "--user", "mono")
    code, out, _ = run(*do, "--phone", call)
    assert code == 0 and "revision 2" in out
    shown = api.call("GET", f"/onboarding/cases/{cid}", api.token("c1")).json()
    assert shown["steps"][0]["overdue"] is True and shown["steps"][0]["done_by"] == "mono"  # done, but late
    assert shown["steps"][1]["overdue"] is False and shown["steps"][1]["hours_left"] > 0
    code, _, err = run("onboarding", "do", cid, "--step", "apply", "--revision", "2", "--user", "cty")
    assert code == 2 and "onboarding.out_of_order" in err


def test_the_step_table_is_the_deployments(db, run, api, tmp_path) -> None:
    """The table is replaced as a whole and checked; open cases keep their steps; an empty table turns
    onboarding off."""
    people(run)
    c1 = api.token("c1")
    create(api, c1, {"shop_name": "旧表店"})
    bad = [
        ({"code": "x"}, "a step has code, name, owner and hours"),
        ({"code": "visit", "name": "走访", "owner": "role:collector", "hours": 8, "phone": "yes"}, "phone is true"),
        ({"code": "visit", "name": "走访", "owner": "role:collector", "hours": 8, "fax": True}, "may have phone"),
        ({"code": "Visit", "name": "走访", "owner": "role:collector", "hours": 8}, "lower-case"),
        ({"code": "visit", "name": "走访", "owner": "department:nowhere", "hours": 8}, "no department"),
        ({"code": "visit", "name": "走访", "owner": "role:admin", "hours": 8}, "role:collector"),
        ({"code": "visit", "name": "走访", "owner": "role:collector", "hours": 0.3}, "half hours"),
        ({"code": "visit", "name": "走访", "owner": "role:collector", "hours": 200}, "half hours"),
    ]
    for step, message in bad:
        f = tmp_path / "steps.json"
        f.write_text(json.dumps([step]), encoding="utf-8")
        code, _, err = run("onboarding", "steps", "--file", str(f))
        assert code == 2 and message in err, err
    county_path = [
        {"code": "collect", "name": "统计分析员查收新入网户信息", "owner": "department:county", "hours": 8},
        {"code": "visit", "name": "客户经理当日或次日走访", "owner": "role:collector", "hours": 8, "phone": True},
        {"code": "bank", "name": "银行账号维护到V6", "owner": "role:collector", "hours": 8},
    ]
    f = tmp_path / "county.json"
    f.write_text(json.dumps(county_path, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run("onboarding", "steps", "--file", str(f))
    assert code == 0 and [line.split("\t")[1] for line in out.splitlines()] == ["collect", "visit", "bank"]
    create(api, c1, {"shop_name": "新表店"})
    with db.read() as conn:
        counts = [
            len(conn.execute(select(onboarding_case_steps).where(onboarding_case_steps.c.case_id == cid)).all())
            for cid in conn.execute(select(onboarding_cases.c.id).order_by(onboarding_cases.c.opened_at)).scalars()
        ]
    assert counts == [7, 3]
    with db.read() as conn:
        q = select(onboarding_case_steps.c.phone).order_by(
            onboarding_case_steps.c.case_id, onboarding_case_steps.c.position
        )
        assert sorted(conn.execute(q).scalars()) == [False] * 3 + [True] * 7  # the old table's six, the new one's
    f.write_text("[]", encoding="utf-8")
    assert run("onboarding", "steps", "--file", str(f))[0] == 0
    create(api, c1, {"shop_name": "无流程店"})
    with db.read() as conn:
        assert len(conn.execute(select(onboarding_cases)).all()) == 2

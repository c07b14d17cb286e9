"""Department users (部门人员, issue 17; audit R3, R4), on SQLite and PostgreSQL over a real server process: an
admin creates a user of a department in one call (the admin API, the command line); signed in, they see in
their to-do the onboarding and change steps their department owns and do them, and write nothing else: no
customer saved, none pulled, no step of another department, no step at all for a viewer placed in none."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from server.config import CHINA_TZ
from tests.server.helpers import PROTO, logins, people, save
from tests.server.test_outbound import approved_customers


def called() -> dict[str, str]:
    at = (dt.datetime.now(CHINA_TZ) - dt.timedelta(minutes=2)).isoformat()
    return {"party": "营销科 李某", "number": "029-88886666", "at": at, "outcome": "已电话告知"}


def test_a_department_user_works_their_departments_steps_and_nothing_else(server_process, db, run) -> None:
    people(run)
    assert run("user", "add", "adm", "--role", "admin")[0] == 0
    code, _, err = run("user", "add", "zmx", "--role", "viewer", "--department", "monopoly")
    assert code == 0, err
    code, _, err = run("user", "add", "ghost", "--role", "viewer", "--department", "nowhere")
    assert code == 2 and "there is no department 'nowhere'" in err
    assert run("user", "add", "v1", "--role", "viewer")[0] == 0  # a territory viewer in no department
    server_process.start()
    with httpx.Client(base_url=server_process.url + "/api/v1", headers=PROTO, timeout=30) as c:
        as_ = logins(c)

        # the admin area creates a 市场部 user in one call, placed in the department at once
        body = {"name": "scb", "role": "viewer", "department": "market"}
        r = c.post("/admin/users", headers=as_("adm"), json=body)
        assert r.status_code == 201, r.text
        assert r.json()["code"]  # the one-time code they choose their password with
        r = c.post("/admin/users", headers=as_("adm"), json=body | {"name": "scb2", "department": "nowhere"})
        assert r.status_code == 404 and "nowhere" in r.json()["message"]
        places = {p["user"]: p for p in c.get("/admin/territories", headers=as_("adm")).json()["places"]}
        assert places["scb"]["department"] == "market" and places["zmx"]["department"] == "monopoly"
        assert "scb2" not in places and "ghost" not in places

        # a new licensee's case: the monopoly office's user sees and does its step, with the phone notice
        rid = str(uuid.uuid4())
        r = c.post("/sync/push", headers=as_("c1"), json={"mutations": [save(rid, {"shop_name": "部门测试店"})]})
        assert r.json()["results"][0]["status"] == "applied", r.text
        waiting = c.get("/onboarding/waiting", headers=as_("zmx")).json()["steps"]
        assert [(w["step"]["code"], w["shop_name"]) for w in waiting] == [("forward", "部门测试店")]
        cid = waiting[0]["case_id"]
        assert c.get("/onboarding/waiting", headers=as_("v1")).json()["steps"] == []
        step = {"step": "forward", "revision": 1, "note": "已转营销科", "phone": called()}
        refused = c.post(f"/onboarding/cases/{cid}/steps", headers=as_("v1"), json=step)
        assert (refused.status_code, refused.json()["code"]) == (403, "read_only")  # a viewer in no department
        done = c.post(f"/onboarding/cases/{cid}/steps", headers=as_("zmx"), json=step)
        assert done.status_code == 200, done.text
        assert done.json()["steps"][0]["done_by"] == "zmx" and done.json()["notices"][0]["recorded_by"] == "zmx"
        later = {"step": "visit", "revision": 2, "phone": called()}  # the customer manager's step, not theirs
        refused = c.post(f"/onboarding/cases/{cid}/steps", headers=as_("zmx"), json=later)
        assert refused.status_code in (403, 404) and refused.json()["code"] in (
            "onboarding.wrong_role",
            "onboarding.not_found",
        )

        # they write no customer and pull none: their department's fields change only through the paths
        mine = str(uuid.uuid4())
        r = c.post("/sync/push", headers=as_("zmx"), json={"mutations": [save(mine, {"shop_name": "越权店"})]})
        assert (r.status_code, r.json()["code"]) == (403, "read_only")
        pulled = c.get("/sync/pull", headers=as_("zmx"), params={"cursor": 0}).json()
        assert [x for x in pulled["changes"] if x.get("record")] == []

        # a change request: 市场部's own user fills an emergency change of a field 市场部 keeps, and applies it
        cust = approved_customers(db, "c1", 1)[0]
        assert run("user", "add", "scm", "--role", "viewer", "--department", "market")[0] == 0
        item = {"record": cust, "changes": {"contact_phone": "13912345678"}}
        r = c.post("/changes", headers=as_("scm"), json={"path": "emergency", "items": [item]})
        assert r.status_code == 200, r.text
        ch = r.json()
        assert [s["owner"] for s in ch["steps"]] == ["department:market", "department:county", "department:market"]
        waiting_changes = c.get("/changes/waiting", headers=as_("scm")).json()["steps"]
        assert [(w["case_id"], w["step"]["code"]) for w in waiting_changes] == [(ch["id"], "fill")]
        r = c.post(
            f"/changes/{ch['id']}/steps", headers=as_("scm"), json={"step": "fill", "revision": 1, "phone": called()}
        )
        assert r.status_code == 200, r.text
        r = c.post(
            f"/changes/{ch['id']}/steps", headers=as_("cty"), json={"step": "review", "revision": 2, "phone": called()}
        )
        assert r.status_code == 200, r.text
        refused = c.post(
            f"/changes/{ch['id']}/steps", headers=as_("zmx"), json={"step": "apply", "revision": 3, "phone": called()}
        )
        assert refused.status_code in (403, 404)  # 专卖管理所 does not keep the phone number
        r = c.post(
            f"/changes/{ch['id']}/steps", headers=as_("scm"), json={"step": "apply", "revision": 3, "phone": called()}
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "done" and r.json()["items"][0]["applied_version"] == 2
        assert c.get(f"/changes/{ch['id']}", headers=as_("scm")).json()["steps"][2]["done_by"] == "scm"

"""Inbound feeds (issue 19) against a real server process on SQLite and PostgreSQL: licensees from the
licence system become draft customers of the owner the deployment's rule names, reach that collector's
client at the next sync, and are updated by later versions; staff assignments fill customer_manager and
the other system fields on every client; a replay changes nothing and gets the same answer; an older
version is refused; bad items are answered per item with field and message; a token outside its
territory or scope is refused; every change names the integration."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import func, select

from server.schema import customer_versions, customers
from server.schema_integrations import inbound_messages
from tests.server.helpers import PROTO, Api, create, decide, submit
from tests.server.test_outbound import FAST_ENV, add, changes, people

LICENSEE = {
    "licence_no": "610111100123",
    "licence_type": "individual",
    "shop_name": "惠民便利店",
    "legal_person": "李四",
    "address": "陕西省西安市灞桥区建设路12号",
    "region_code": "610111",
    "location": "34.27,108.95",
    "licence_issue_date": "2026-01-15",
    "contact_phone": "13062979298",
}


def post(client: httpx.Client, token: str, what: str, *items: object) -> httpx.Response:
    return client.post(
        f"/api/v1/integrations/{what}",
        json={"items": list(items)},
        headers={**PROTO, "Authorization": f"Bearer {token}"},
    )


def versions(db, rid: str) -> list:  # noqa: ANN001
    with db.read() as conn:
        q = select(customer_versions).where(customer_versions.c.record_id == rid).order_by(customer_versions.c.version)
        return conn.execute(q).all()


def count(db, table) -> int:  # noqa: ANN001
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def in_pull(api: Api, token: str, rid: str) -> dict | None:
    found, _ = api.pull_all(token)
    records = [c["record"] for c in found if c.get("record") and c["record"]["id"] == rid]
    return records[-1] if records else None


def test_licensees_become_drafts_of_the_rules_owner_idempotently(server_process, db, run):
    people(db)
    assert run("licensee-rule", "set", "6101", "c1")[0] == 0
    assert run("licensee-rule", "set", "610113", "c3")[0] == 0  # the longest prefix wins
    code, _out, err = run("licensee-rule", "set", "61x", "c1")
    assert code == 2 and "not a region code prefix" in err
    code, out, _ = run("licensee-rule", "list")
    assert json.loads(out) == [{"region_prefix": "6101", "owner": "c1"}, {"region_prefix": "610113", "owner": "c3"}]
    server_process.start(env=FAST_ENV)
    lic = add(run, "zm", "--department", "专卖局", "--scope", "licensees:write", "--team", "s1")
    other = add(run, "dist", "--department", "营销中心", "--scope", "assignments:write")
    with httpx.Client(base_url=server_process.url, timeout=60) as client:
        api = Api(client)
        c1, c3 = api.token("c1"), api.token("c3")
        item = {"external_id": "XK-2026-0001", "version": 1, "values": LICENSEE}
        r = post(client, lic, "licensees", item)
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["accepted"] == 1 and answer["rejected"] == 0
        first = answer["items"][0]
        assert first["status"] == "accepted" and first["created"] and "shop_name" in first["changed"]
        rid = first["record_id"]
        # the collector of the region gets a draft at the next sync, with the licence system's values
        rec = in_pull(api, c1, rid)
        assert rec is not None and rec["status"] == "draft" and rec["values"]["shop_name"] == "惠民便利店"
        assert rec["values"]["location"] == "34.270000,108.950000"
        assert in_pull(api, c3, rid) is None
        made = versions(db, rid)
        assert len(made) == 1 and made[0].kind == "system.licensee"
        assert json.loads(made[0].provenance)["source"] == "integration:zm"
        # and an onboarding case (issue 17): the city procedure's first step waits for the monopoly office
        cases = client.get(f"/api/v1/records/{rid}/onboarding", headers={**PROTO, "Authorization": f"Bearer {c1}"})
        case = cases.json()["cases"][0]
        assert (case["source"], case["current"], case["steps"][0]["code"]) == ("integration:zm", 1, "forward")

        # the same message again: the same answer, nothing changes
        again = post(client, lic, "licensees", item)
        assert again.status_code == 200 and again.json()["items"][0] == first
        assert len(versions(db, rid)) == 1 and count(db, customers) == 1
        # a newer version changes the customer as a system change; the older one is then refused
        newer = {"external_id": "XK-2026-0001", "version": 3, "values": {"shop_name": "惠民超市", "address": None}}
        res = post(client, lic, "licensees", newer).json()["items"][0]
        assert res["status"] == "accepted" and not res["created"] and res["changed"] == ["address", "shop_name"]
        assert in_pull(api, c1, rid)["values"]["shop_name"] == "惠民超市"
        stale = post(client, lic, "licensees", {**item, "version": 2}).json()["items"][0]
        assert stale["status"] == "rejected" and stale["errors"][0]["code"] == "version.stale"
        assert stale["errors"][0]["field"] == "version" and "older than version 3" in stale["errors"][0]["message"]
        assert len(versions(db, rid)) == 2

        # bad items: each answered with its fields; the good one in the same call goes in
        bad = [
            {"external_id": "XK-2", "version": 1, "values": {**LICENSEE, "contact_phone": "123", "bank_account": "1"}},
            {
                "external_id": "XK-3",
                "version": 1,
                "values": {**LICENSEE, "licence_no": "610111100003", "region_code": "320102"},
            },  # no rule
            {
                "external_id": "XK-4",
                "version": 1,
                "values": {**LICENSEE, "licence_no": "610111100004", "region_code": "610113"},
            },  # c3: s2's team
            {"external_id": "has space", "version": 0, "values": {}},
            "not an object",
            {"external_id": "XK-5", "version": 1, "values": {"shop_name": "只有名字"}},
            {"external_id": "XK-6", "version": 1, "values": {**LICENSEE, "licence_no": "610111100456"}},
        ]
        res = post(client, lic, "licensees", *bad).json()
        assert [a["status"] for a in res["items"]] == ["rejected"] * 6 + ["accepted"]
        fields = [sorted((e["field"] or "", e["code"]) for e in a["errors"]) for a in res["items"]]
        assert fields[0] == [("bank_account", "field.not_owned"), ("contact_phone", "phone.format")]
        assert fields[1] == [("region_code", "assign.no_rule")]
        assert fields[2] == [("region_code", "assign.outside_territory")]
        assert [code for _, code in fields[3]] == ["external_id.invalid", "values.invalid", "version.invalid"]
        assert fields[4] == [("", "item.invalid")]
        assert fields[5] == [("licence_no", "required"), ("region_code", "required")]
        assert all(e["message"] for a in res["items"] for e in a["errors"])
        assert count(db, customers) == 2 and count(db, inbound_messages) == 2

        # scope: the distribution system may not send licensees; a person may not call the endpoint
        r = post(client, other, "licensees", item)
        assert r.status_code == 403 and "licensees:write" in r.json()["message"]
        r = post(client, c1, "licensees", item)
        assert r.status_code == 403
        r = post(client, lic, "licensees", *[item] * 501)
        assert r.status_code == 413 and "500" in r.json()["message"]


def test_assignments_fill_the_staff_fields_on_every_client(server_process, db, run):
    people(db)
    server_process.start(env=FAST_ENV)
    dist = add(run, "dist", "--department", "营销中心", "--scope", "assignments:write", "--team", "s1")
    crm = add(run, "crm", "--department", "营销中心", "--scope", "feed:read", "--field", "customer_manager")
    with httpx.Client(base_url=server_process.url, timeout=60) as client:
        api = Api(client)
        c1, s1, c3 = api.token("c1"), api.token("s1"), api.token("c3")
        a = create(api, c1)
        api.push1(c1, submit(a["id"], 1))
        a = api.push1(s1, decide(a["id"], 2))["record"]
        b = create(api, c3)  # s2's team: outside the distribution system's territory
        cursor = changes(client, crm).json()["cursor"]
        values = {"customer_manager": "王经理", "delivery_person": "赵师傅", "delivery_sequence": 12}
        item = {"external_id": "FP-1", "version": 1, "customer": a["code"], "values": values}
        res = post(client, dist, "assignments", item).json()["items"][0]
        assert res["status"] == "accepted" and res["record_id"] == a["id"]
        assert res["changed"] == ["customer_manager", "delivery_person", "delivery_sequence"]
        for token in (c1, s1):  # every client that holds the customer gets the values at its next sync
            got = in_pull(api, token, a["id"])
            assert got["values"]["customer_manager"] == "王经理" and got["values"]["delivery_sequence"] == 12
            assert got["status"] == "approved"
        assert post(client, dist, "assignments", item).json()["items"][0] == res  # a replay
        out = changes(client, crm, cursor).json()["changes"]
        assert [(c["kind"], c["changed"], c["values"]) for c in out] == [
            ("changed", ["customer_manager"], {"customer_manager": "王经理"})
        ]
        bad = [
            {"external_id": "FP-2", "version": 1, "customer": b["id"], "values": {"customer_manager": "x"}},
            {"external_id": "FP-3", "version": 1, "customer": "nope", "values": {"customer_manager": "x"}},
            {"external_id": "FP-1", "version": 2, "customer": b["id"], "values": {"customer_manager": "x"}},
            {"external_id": "FP-4", "version": 1, "customer": a["id"], "values": {"shop_name": "x"}},
            {"external_id": "FP-5", "version": 1, "customer": a["id"], "values": {"delivery_sequence": "第一"}},
            {"external_id": "FP-1", "version": 3, "customer": a["id"].upper(), "values": {"customer_manager": "x"}},
            {"external_id": "FP-6", "version": 1, "customer": b["code"] or "none", "values": {"inspector": "x"}},
        ]
        res = post(client, dist, "assignments", *bad).json()["items"]
        assert [(e["field"], e["code"]) for r in res for e in r["errors"]] == [
            ("customer", "not_found"),
            ("customer", "not_found"),
            ("customer", "not_found"),  # FP-1 names another customer, but that one is outside: not found
            ("shop_name", "field.not_owned"),
            ("delivery_sequence", "integer.invalid"),
            ("customer", "not_found"),
        ]
        assert res[5]["status"] == "accepted" and res[5]["changed"] == ["customer_manager"]
        assert len(versions(db, a["id"])) == 5 and len(versions(db, b["id"])) == 1

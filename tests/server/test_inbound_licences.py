"""The licence side of the licensee feed (issue 19) against a real server process on SQLite and PostgreSQL:
a licensee whose licence number a customer keyed by hand already has is linked to it, not duplicated (two
such customers: refused); a cancelled licence closes the outlet as a system change every client receives,
a replay or an older message changes nothing, a cancellation of an unknown licence is refused per item; a
call above the deployment's maximum is refused and a large load goes in pages, each record once; the
onboarding case counts its first step from the licence's issue and flags a feed later than 0.5 working day."""

from __future__ import annotations

import datetime as dt
import json

import httpx
from sqlalchemy import select

from server.schema import customers
from server.schema_integrations import inbound_messages
from tests.server.helpers import PROTO, Api, complete_values, create, decide, submit
from tests.server.test_inbound import LICENSEE, count, in_pull, post, versions
from tests.server.test_outbound import FAST_ENV, add, people


def _hand_keyed(api: Api, token: str, licence_no: str) -> dict:
    """A customer a collector keyed by hand with this licence number (no link to the licence system)."""
    return create(api, token, {**complete_values(api, token), "licence_no": licence_no})


def test_hand_keyed_customers_are_linked_and_cancelled_licences_close_the_outlet(server_process, db, run):
    people(db)
    assert run("licensee-rule", "set", "6101", "c1")[0] == 0
    server_process.start(env=FAST_ENV)
    lic = add(run, "zm", "--department", "专卖局", "--scope", "licensees:write", "--team", "s1")
    with httpx.Client(base_url=server_process.url, timeout=60) as client:
        api = Api(client)
        c1, s1 = api.token("c1"), api.token("s1")
        a = _hand_keyed(api, c1, "610111100901")
        a = api.push1(c1, submit(a["id"], a["version"]))["record"]
        a = api.push1(s1, decide(a["id"], a["version"]))["record"]
        assert a["status"] == "approved"
        before = count(db, customers)

        # the licence system's message for the same licence: linked to the customer, not a second one
        item = {"external_id": "XK-901", "version": 1, "values": {**LICENSEE, "licence_no": "610111100901"}}
        first = post(client, lic, "licensees", item).json()["items"][0]
        assert first["status"] == "accepted", first
        assert (first["record_id"], first["created"], first["linked"]) == (a["id"], False, True)
        assert "shop_name" in first["changed"] and count(db, customers) == before
        got = in_pull(api, c1, a["id"])
        assert got["values"]["shop_name"] == LICENSEE["shop_name"] and got["status"] == "approved"
        assert json.loads(versions(db, a["id"])[-1].provenance)["source"] == "integration:zm"
        assert post(client, lic, "licensees", item).json()["items"][0] == first  # a replay

        # another external id with the same number: refused, it belongs to XK-901's customer
        other = {"external_id": "XK-902", "version": 1, "values": {**LICENSEE, "licence_no": "610111100901"}}
        res = post(client, lic, "licensees", other).json()["items"][0]
        assert res["status"] == "rejected" and res["errors"][0]["code"] == "licence.linked"
        assert "XK-901" in res["errors"][0]["message"]
        # two customers keyed by hand with one number: ambiguous, refused with the reason; nothing is made
        _hand_keyed(api, c1, "610111100903")
        _hand_keyed(api, c1, "610111100903")
        twice = {"external_id": "XK-903", "version": 1, "values": {**LICENSEE, "licence_no": "610111100903"}}
        res = post(client, lic, "licensees", twice).json()["items"][0]
        assert res["status"] == "rejected" and [e["code"] for e in res["errors"]] == ["licence.ambiguous"]
        assert "2 customers have licence number 610111100903" in res["errors"][0]["message"]
        assert count(db, customers) == before + 2
        # the customer with the number is another team's (outside the licence system's territory): refused
        _hand_keyed(api, api.token("c3"), "610111100908")
        outside = {"external_id": "XK-908", "version": 1, "values": {**LICENSEE, "licence_no": "610111100908"}}
        res = post(client, lic, "licensees", outside).json()["items"][0]
        assert [e["code"] for e in res["errors"]] == ["licence.outside_territory"] and res["record_id"] is None
        before += 1

        # the licence is cancelled: the outlet is closed (销户) as a system change every client receives
        n = len(versions(db, a["id"]))
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
        cancel = {"external_id": "XK-901", "version": 2, "cancellation": {"kind": "revoked", "reason": "违法经营"}}
        res = post(client, lic, "licensees", cancel).json()["items"][0]
        assert (res["status"], res["closed"], res["record_id"]) == ("accepted", True, a["id"]), res
        for token in (c1, s1):
            got = in_pull(api, token, a["id"])
            assert got["closure"]["state"] == "closed" and got["closure"]["day"] == today
            assert (
                got["closure"]["reason"].startswith("许可证吊销（licensee XK-901 v2）")
                and "违法经营" in got["closure"]["reason"]
            )
            assert got["values"]["customer_status"] == "cancelled"
        made = versions(db, a["id"])
        assert len(made) == n + 1 and made[-1].kind == "system.licence_cancelled"
        assert json.loads(made[-1].provenance) == {
            "source": "integration:zm",
            "source_ref": "licensee XK-901 v2",
            "department": "专卖局",
        }
        with db.read() as conn:
            assert conn.execute(select(customers.c.closed_at).where(customers.c.id == a["id"])).scalar() is not None
        # replayed and older messages change nothing; a newer cancellation of a closed outlet neither
        assert post(client, lic, "licensees", cancel).json()["items"][0] == res
        stale = post(client, lic, "licensees", item).json()["items"][0]
        assert stale["errors"][0]["code"] == "version.stale"
        again = post(client, lic, "licensees", {**cancel, "version": 3}).json()["items"][0]
        assert (again["status"], again["closed"], again["changed"]) == ("accepted", False, [])
        assert len(versions(db, a["id"])) == n + 1
        # values for a closed outlet are refused
        late = post(client, lic, "licensees", {**item, "version": 4, "values": {"shop_name": "新名"}}).json()
        assert late["items"][0]["errors"][0]["code"] == "closed"

        # a cancellation of a licence nobody has, a bad one, and one of a customer waiting for review
        unknown = {"external_id": "XK-404", "version": 1, "cancellation": {"day": today}}
        bad = {"external_id": "XK-405", "version": 1, "cancellation": {"kind": "paused", "day": "2026-13-01"}}
        future = {"external_id": "XK-406", "version": 1, "cancellation": {"day": "2999-01-01"}}
        p = _hand_keyed(api, c1, "610111100907")
        api.push1(c1, submit(p["id"], p["version"]))
        pending = {
            "external_id": "XK-907",
            "version": 1,
            "values": {"licence_no": "610111100907"},
            "cancellation": {"kind": "cancelled"},
        }
        out = post(client, lic, "licensees", unknown, bad, future, pending).json()
        codes = [[(e["field"], e["code"]) for e in r["errors"]] for r in out["items"]]
        assert codes == [
            [("external_id", "not_found")],
            [("cancellation", "cancellation.invalid")],
            [("cancellation", "cancellation.day")],
            [("cancellation", "closure.pending")],
        ]
        assert out["accepted"] == 0 and all(e["message"] for r in out["items"] for e in r["errors"])
        assert in_pull(api, c1, p["id"])["closure"] is None
        assert count(db, customers) == before + 3


def test_a_large_load_in_pages_and_the_maximum_per_call(server_process, db, run):
    people(db)
    assert run("licensee-rule", "set", "6101", "c1")[0] == 0
    server_process.start(env={**FAST_ENV, "FIELDARCHIVE_INBOUND_MAX_ITEMS": "10"})
    lic = add(run, "zm", "--department", "专卖局", "--scope", "licensees:write")
    items = [
        {
            "external_id": f"XK-L{n:03d}",
            "version": 1,
            "values": {**LICENSEE, "licence_no": f"6101111{n:05d}", "shop_name": f"店{n}"},
        }
        for n in range(34)
    ]
    with httpx.Client(base_url=server_process.url, timeout=60) as client:
        api = Api(client)
        r = post(client, lic, "licensees", *items[:11])
        assert r.status_code == 413 and r.json()["code"] == "too_large"
        assert r.json()["fields"][0] == {"field": "items", "code": "items.too_many", "message": "10"}
        assert "At most 10 items a call" in r.json()["message"] and count(db, customers) == 0
        nul = {"external_id": "XK-N", "version": 1, "cancellation": {"reason": "注\x00销"}}
        r = post(client, lic, "licensees", nul)  # refused at the wire, before the database
        assert r.status_code == 422 and r.json()["fields"][0]["code"] == "text.nul"
        answers = []
        for start in range(0, len(items), 10):  # pages of at most 10: 10, 10, 10, 4
            page = post(client, lic, "licensees", *items[start : start + 10])
            assert page.status_code == 200 and page.json()["accepted"] == len(items[start : start + 10])
            answers += page.json()["items"]
        assert post(client, lic, "licensees", *items[10:20]).json()["items"] == answers[10:20]  # a page sent again
        assert [a["external_id"] for a in answers] == [i["external_id"] for i in items]
        ids = [a["record_id"] for a in answers]
        assert len(set(ids)) == 34 and all(a["created"] for a in answers)
        assert count(db, customers) == 34 and count(db, inbound_messages) == 34
        found, _ = api.pull_all(api.token("c1"))
        held = [c["record"]["id"] for c in found if c.get("record")]
        assert sorted(set(held)) == sorted(ids)
        with db.read() as conn:
            numbers = sorted(conn.execute(select(customers.c.licence_no)).scalars())
        assert numbers == sorted(f"6101111{n:05d}" for n in range(34))


def test_the_onboarding_clock_runs_from_the_licences_issue(server_process, db, run):
    people(db)
    assert run("licensee-rule", "set", "6101", "c1")[0] == 0
    server_process.start(env=FAST_ENV)
    lic = add(run, "zm", "--department", "专卖局", "--scope", "licensees:write")
    just_now = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    items = [
        {
            "external_id": "XK-T1",
            "version": 1,
            "issued_at": just_now,
            "values": {**LICENSEE, "licence_no": "610111200001"},
        },
        # Monday 2 March 2026, 09:00 in China: due 13:00 that day; it arrives months later
        {
            "external_id": "XK-T2",
            "version": 1,
            "issued_at": "2026-03-02T09:00:00+08:00",
            "values": {**LICENSEE, "licence_no": "610111200002"},
        },
        # a date alone: the end of that working day, 17:00; half a working day runs to 13:00 the next
        {
            "external_id": "XK-T3",
            "version": 1,
            "values": {**LICENSEE, "licence_no": "610111200003", "licence_issue_date": "2026-03-02"},
        },
        {"external_id": "XK-T4", "version": 1, "issued_at": "2999-01-01T00:00:00Z", "values": LICENSEE},
        {"external_id": "XK-T5", "version": 1, "issued_at": "yesterday", "values": LICENSEE},
    ]
    with httpx.Client(base_url=server_process.url, timeout=60) as client:
        api = Api(client)
        c1 = api.token("c1")
        res = post(client, lic, "licensees", *items).json()["items"]
        assert [r["status"] for r in res] == ["accepted"] * 3 + ["rejected"] * 2
        assert [r["errors"][0]["code"] for r in res[3:]] == ["issued_at.future", "issued_at.invalid"]

        def case(rid: str) -> dict:
            got = client.get(f"/api/v1/records/{rid}/onboarding", headers={**PROTO, "Authorization": f"Bearer {c1}"})
            assert got.status_code == 200, got.text
            return got.json()["cases"][0]

        fresh, late, dated = (case(r["record_id"]) for r in res[:3])
        assert fresh["late_feed"] is False and fresh["received_at"] is not None
        assert fresh["steps"][0]["started_at"] == fresh["issued_at"]
        assert late["late_feed"] is True and late["issued_at"] == "2026-03-02T01:00:00.000000Z"
        assert late["steps"][0]["started_at"] == late["issued_at"]
        assert late["steps"][0]["deadline"] == "2026-03-02T05:00:00.000000Z" and late["steps"][0]["overdue"]
        assert dated["late_feed"] is True and dated["issued_at"] == "2026-03-02T09:00:00.000000Z"
        assert dated["steps"][0]["deadline"] == "2026-03-03T05:00:00.000000Z"
        assert [s["started_at"] for s in late["steps"][1:]] == [None] * (len(late["steps"]) - 1)

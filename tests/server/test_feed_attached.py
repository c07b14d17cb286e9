"""A pull page carries each customer's integrity file, signatures and service records, found by one look
per 200 customers (``server.feed._attached``) and read only for those that have any: customers with none
get empty ones, as before, and a page of more than 200 customers misses nothing past the first 200."""

from __future__ import annotations

import datetime as dt
import uuid

from app.validation.consent import signed_values
from tests.server.helpers import TODAY, demo_values, save
from tests.server.test_integrity import complaint, entry
from tests.server.test_service import add
from tests.server.test_signatures import signature


def test_a_page_of_230_customers_carries_what_each_has_and_empty_files_for_the_rest(api, world) -> None:
    token = world["c1"]
    muts = [save(str(uuid.uuid4()), v) for v in demo_values(230, seed=21)]
    for i in range(0, len(muts), 200):
        assert {r["status"] for r in api.push(token, *muts[i : i + 200])} == {"applied"}
    rids = [m["record_id"] for m in muts]
    changes, _ = api.pull_all(token)
    values = {c["record_id"]: c["record"]["values"] for c in changes if c["record"]}
    png = api.upload(token, b"\x89PNG signature " + uuid.uuid4().bytes)
    attach = [
        entry(rids[3]),
        complaint(rids[210]),
        add(rids[120], "plan", (TODAY + dt.timedelta(days=3)).isoformat(), {"purpose": "季度走访"}),
        add(rids[225], "care", "1980-05-12", {"occasion": "birthday", "yearly": True, "note": "店主生日"}),
        signature(rids[225], signed_values(values[rids[225]]), png),
        signature(rids[4], signed_values(values[rids[4]]), png),
    ]
    assert [r["status"] for r in api.push(token, *attach)] == ["applied"] * len(attach), attach
    for who in ("c1", "s1"):
        changes, _ = api.pull_all(world[who], limit=1000)
        got = {c["record_id"]: c["record"] for c in changes if c["record"]}
        assert set(rids) <= set(got), who
        ids = {
            rid: (
                [e["id"] for e in got[rid]["integrity"]["entries"]],
                [c["id"] for c in got[rid]["integrity"]["complaints"]],
                [s["id"] for s in got[rid]["signatures"]],
                [s["id"] for s in got[rid]["service"]],
            )
            for rid in rids
        }
        want = {rid: ([], [], [], []) for rid in rids}
        want[rids[3]] = ([attach[0]["entry"]["id"]], [], [], [])
        want[rids[210]] = ([], [attach[1]["complaint"]["id"]], [], [])
        want[rids[120]] = ([], [], [], [attach[2]["service"]["id"]])
        want[rids[225]] = ([], [], [attach[4]["signature"]["id"]], [attach[3]["service"]["id"]])
        want[rids[4]] = ([], [], [attach[5]["signature"]["id"]], [])
        assert ids == want, who

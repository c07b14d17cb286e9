"""A viewer's scope follows the territory tree (issue 17), through the API on SQLite and PostgreSQL: a
county viewer's monthly report and ledger hold exactly their county's teams, a city viewer's both of its
counties, never a neighbour's; moving a team or a viewer counts at the next request; a viewer pulls no
customer, opens none and writes nothing (403 ``read_only``); a collector's, a market manager's and an
admin's reports are what they were."""

from __future__ import annotations

from typing import Any

from tests.server.helpers import add_user, complete_values, create, decide, save, submit
from tests.server.test_report_jobs import _wait
from tests.server.test_reports import MONTH, TODAY

A = "/admin"
DAY = TODAY.isoformat()


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def node(api: Any, token: str, name: str, level: str, parent: int | None = None, **kw: Any) -> int:
    body = {"name": name, "level": level, "parent": parent, **kw}
    return int(ok(api.call("POST", A + "/territories", token, json=body), 201)["id"])


def place(api: Any, token: str, user: str, territory: int | None) -> None:
    ok(api.call("PUT", A + f"/users/{user}/place", token, json={"territory": territory, "department": None}))


def changed_customer(api: Any, world: Any, collector: str, supervisor: str, seed: int) -> str:
    """A customer of ``collector``, approved, then changed by them: one ledger row; returns its id."""
    rec = create(api, world[collector], complete_values(api, world[collector], seed=seed))
    assert api.push1(world[collector], submit(rec["id"], 1))["record"]["status"] == "pending"
    rec = api.push1(world[supervisor], decide(rec["id"], 2))["record"]
    assert rec["status"] == "approved", rec
    res = api.push1(
        world[collector], save(rec["id"], {"contact_name": (rec["values"].get("contact_name"), "王小明")}, 3)
    )
    assert res["status"] == "applied", res
    return str(rec["id"])


def collectors(api: Any, token: str) -> list[str]:
    report = ok(api.call("GET", f"/reports/monthly?month={MONTH}", token))
    names = {row["collector"] for row in report["completeness"]} | {row["collector"] for row in report["visits"]}
    assert names <= set(report["scope"]["collectors"])
    return sorted(report["scope"]["collectors"])


def ledger_records(api: Any, token: str) -> set[str]:
    page = ok(api.call("GET", f"/reports/ledger?start={DAY}&end={DAY}", token))
    summary = ok(api.call("GET", f"/reports/ledger/summary?start={DAY}&end={DAY}", token))
    assert summary["total"] == len(page["rows"])
    return {row["record_id"] for row in page["rows"]}


def test_a_viewers_reports_follow_the_tree_and_they_write_nothing(api, world, db, settings):
    t = world["admin"]
    add_user(db, settings, "s3", "supervisor")
    add_user(db, settings, "c4", "collector", "s3")
    for name in ("v_county", "v_city", "v_province", "v_nowhere"):
        add_user(db, settings, name, "viewer")
    tokens = {n: api.token(n) for n in ("s3", "c4", "v_county", "v_city", "v_province", "v_nowhere")}
    world.tokens.update(tokens)

    shaanxi = node(api, t, "陕西省", "province")
    xian, baoji = node(api, t, "西安市", "city", shaanxi), node(api, t, "宝鸡市", "city", shaanxi)
    yanta, changan = node(api, t, "雁塔区营销部", "county", xian), node(api, t, "长安区营销部", "county", xian)
    weibin = node(api, t, "渭滨区营销部", "county", baoji)
    node(api, t, "雁塔一组", "team", yanta, supervisor="s1")
    team2 = node(api, t, "长安一组", "team", changan, supervisor="s2")
    node(api, t, "渭滨一组", "team", weibin, supervisor="s3")
    place(api, t, "v_county", yanta)
    place(api, t, "v_city", xian)
    place(api, t, "v_province", shaanxi)

    a = changed_customer(api, world, "c1", "s1", seed=41)
    b = changed_customer(api, world, "c3", "s2", seed=42)
    c = changed_customer(api, world, "c4", "s3", seed=43)

    # the county sees its one team, the city both counties, the province everything; nobody a neighbour's
    assert collectors(api, world["v_county"]) == ["c1", "c2", "s1"]
    assert collectors(api, world["v_city"]) == ["c1", "c2", "c3", "s1", "s2"]
    assert collectors(api, world["v_province"]) == ["c1", "c2", "c3", "c4", "s1", "s2", "s3"]
    assert ledger_records(api, world["v_county"]) == {a}
    assert ledger_records(api, world["v_city"]) == {a, b}
    assert ledger_records(api, world["v_province"]) == {a, b, c}
    # the ledger's collector filter stays inside the subtree
    r = api.call("GET", f"/reports/ledger?start={DAY}&end={DAY}&collector=c4", world["v_city"])
    assert r.status_code == 422 and r.json()["fields"][0]["code"] == "collector.scope", r.text
    # personal numbers stay masked for a viewer, as for everyone but an admin
    assert ok(api.call("GET", f"/reports/ledger?start={DAY}&end={DAY}", world["v_city"]))["masked"] is True

    # the collectors', market managers' and admin's reports are unchanged by the tree
    assert collectors(api, world["c1"]) == ["c1"]
    assert collectors(api, world["s2"]) == ["c3", "s2"]
    assert ledger_records(api, world["s1"]) == {a} and ledger_records(api, t) == {a, b, c}

    # moving a team to another county moves it in the reports at once (no cache)
    ok(api.call("PUT", A + f"/territories/{team2}/parent", t, json={"parent": yanta}))
    assert collectors(api, world["v_county"]) == ["c1", "c2", "c3", "s1", "s2"]
    assert ledger_records(api, world["v_county"]) == {a, b}
    ok(api.call("PUT", A + f"/territories/{team2}/parent", t, json={"parent": weibin}))
    assert collectors(api, world["v_city"]) == ["c1", "c2", "s1"]
    assert ledger_records(api, world["v_city"]) == {a}
    # so does moving the viewer
    place(api, t, "v_county", weibin)
    assert ledger_records(api, world["v_county"]) == {b, c}

    # a background job covers the same subtree, resolved when it runs
    job = _wait(
        api, world["v_city"], ok(api.call("POST", f"/reports/monthly/jobs?month={MONTH}", world["v_city"]), 202)
    )
    assert job["state"] == "done", job
    got = ok(api.call("GET", f"/reports/monthly/jobs/{job['id']}/result", world["v_city"]))
    assert got["scope"]["collectors"] == ["c1", "c2", "s1"] and got["scope"]["role"] == "viewer"

    # a viewer not placed in the tree is told so
    for path in (f"/reports/monthly?month={MONTH}", f"/reports/ledger?start={DAY}&end={DAY}"):
        r = api.call("GET", path, world["v_nowhere"])
        assert r.status_code == 403 and "not placed in the territory tree" in r.json()["message"], r.text
    r = api.call("POST", f"/reports/monthly/jobs?month={MONTH}", world["v_nowhere"])
    assert r.status_code == 403 and r.json()["fields"][0]["code"] == "territory.unplaced", r.text

    # no customer reaches a viewer: not by the pull, not by id
    v = world["v_province"]
    changes, _ = api.pull_all(v)
    assert [ch for ch in changes if ch["kind"] == "record"] == []
    assert {a, b, c} <= {ch["record_id"] for ch in api.pull_all(t)[0] if ch["kind"] == "record"}
    assert api.call("GET", f"/records/{a}", v).status_code == 404
    assert ok(api.call("GET", "/me", v))["role"] == "viewer"

    # every write is refused with its own code; the customer is untouched
    r = api.call("POST", "/sync/push", v, json={"mutations": [save(a, {"contact_name": ("王小明", "李四")}, 4)]})
    assert r.status_code == 403 and r.json()["code"] == "read_only", r.text
    assert "cannot change anything" in r.json()["message"]
    r = api.call("POST", "/export-requests", v, json={"target": "x", "purpose": "y", "reason": "z"})
    assert r.status_code == 403 and r.json()["code"] == "read_only", r.text
    kept = ok(api.call("GET", f"/records/{a}", world["c1"]))
    assert (kept["version"], kept["values"]["contact_name"]) == (4, "王小明")
    # the admin area refuses and logs them as anyone else who is not an admin
    r = api.call("POST", A + "/territories", v, json={"name": "x", "level": "province", "parent": None})
    assert r.status_code == 403 and r.json()["code"] == "forbidden", r.text
    # signing out is no change to the archive
    ok(api.call("POST", "/auth/logout", world["v_nowhere"]))


def test_a_viewer_keeps_no_customer_and_joins_no_team(api, world, db, settings):
    t = world["admin"]
    create(api, world["c2"])
    r = api.call("PUT", A + "/users/c2/role", t, json={"role": "viewer"})
    assert r.status_code in (409, 422) and "a viewer sees no customer" in r.json()["message"], r.text
    add_user(db, settings, "v", "viewer")
    r = api.call("PUT", A + "/users/v/team", t, json={"supervisor": "s1"})
    assert r.status_code in (409, 422) and "a viewer joins no team" in r.json()["message"], r.text
    # a customer manager without customers may become one, and back
    add_user(db, settings, "c9", "collector", "s1")
    ok(api.call("PUT", A + "/users/c9/role", t, json={"role": "viewer"}))
    users = {u["name"]: u for u in ok(api.call("GET", A + "/users", t))}
    assert users["c9"]["role"] == "viewer" and users["c9"]["supervisor"] is None
    ok(api.call("PUT", A + "/users/c9/role", t, json={"role": "collector"}))

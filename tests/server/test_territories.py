"""The territory tree, the departments and where users stand (server/territories.py) through the admin API
and the command line, on SQLite and PostgreSQL: each call works and is in the admin log; the tree's rules
(levels, unique names among siblings, no cycle, nothing removed that still holds nodes or users); bad
input gets a clear message; a collector placed in a team joins its market manager's team, customers too."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from server.schema import admin_log, customers, users
from tests.server.helpers import create

A = "/admin"


def ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def refused(r, status=422):
    assert r.status_code == status, r.text
    return r.json()["message"]


def actions(db):
    with db.read() as conn:
        rows = conn.execute(select(admin_log).order_by(admin_log.c.id)).all()
    return [(r.action, r.target, r.outcome, json.loads(r.detail)) for r in rows]


def add(api, token, name, level, parent=None, **kw):
    return ok(
        api.call("POST", A + "/territories", token, json={"name": name, "level": level, "parent": parent, **kw}), 201
    )


def test_build_rename_move_and_remove_the_tree(api, world, db):
    t = world["admin"]
    shaanxi = add(api, t, "陕西省", "province")["id"]
    xian = add(api, t, " 西安市 ", "city", shaanxi)
    assert xian["name"] == "西安市"  # trimmed
    baoji = add(api, t, "宝鸡市", "city", shaanxi)["id"]
    yanta = add(api, t, "雁塔区营销部", "county", xian["id"])["id"]
    team = add(api, t, "雁塔一组", "team", yanta, supervisor="s1")
    assert team["supervisor"] == "s1"

    tree = ok(api.call("GET", A + "/territories", t))
    assert [(n["name"], n["level"]) for n in tree["nodes"]] == [
        ("陕西省", "province"),
        ("宝鸡市", "city"),
        ("西安市", "city"),
        ("雁塔区营销部", "county"),
        ("雁塔一组", "team"),
    ]
    assert [d["code"] for d in tree["departments"]] == [
        "monopoly",
        "county",
        "market",
        "delivery",
        "sales",
        "it",
        "service",  # 客服部, seeded by 0028_filings for the spot audits
    ]
    fields = {d["code"]: d["fields"] for d in tree["departments"]}
    assert fields["monopoly"] > 0 and fields["it"] == 0  # the catalogue's owners

    ok(api.call("PUT", A + f"/territories/{yanta}/name", t, json={"name": "雁塔区"}))
    ok(api.call("PUT", A + f"/territories/{yanta}/parent", t, json={"parent": baoji}))
    by_id = {n["id"]: n for n in ok(api.call("GET", A + "/territories", t))["nodes"]}
    assert by_id[yanta]["name"] == "雁塔区" and by_id[yanta]["parent"] == baoji

    # the rules, each with its reason
    assert "cannot sit under" in refused(
        api.call("POST", A + "/territories", t, json={"name": "x", "level": "team", "parent": shaanxi})
    )
    assert "belongs to a county" in refused(
        api.call("POST", A + "/territories", t, json={"name": "x", "level": "team"})
    )
    assert "already a node" in refused(
        api.call("POST", A + "/territories", t, json={"name": "宝鸡市", "level": "city", "parent": shaanxi})
    )
    assert "under itself" in refused(api.call("PUT", A + f"/territories/{shaanxi}/parent", t, json={"parent": yanta}))
    assert "under itself" in refused(api.call("PUT", A + f"/territories/{baoji}/parent", t, json={"parent": baoji}))
    assert "cannot sit under" in refused(
        api.call("PUT", A + f"/territories/{yanta}/parent", t, json={"parent": shaanxi})
    )
    assert "already leads" in refused(
        api.call(
            "POST", A + "/territories", t, json={"name": "二组", "level": "team", "parent": yanta, "supervisor": "s1"}
        )
    )
    assert "not an active market manager" in refused(
        api.call(
            "POST", A + "/territories", t, json={"name": "二组", "level": "team", "parent": yanta, "supervisor": "c1"}
        )
    )
    assert "still has 1 nodes" in refused(api.call("DELETE", A + f"/territories/{yanta}", t))
    assert "market manager" in refused(api.call("DELETE", A + f"/territories/{team['id']}", t))
    assert "no territory node 999" in refused(api.call("PUT", A + "/territories/999/name", t, json={"name": "x"}), 404)
    ok(api.call("PUT", A + f"/territories/{team['id']}/supervisor", t, json={"supervisor": None}))
    ok(api.call("DELETE", A + f"/territories/{team['id']}", t))
    ok(api.call("DELETE", A + f"/territories/{yanta}", t))
    assert [n["name"] for n in ok(api.call("GET", A + "/territories", t))["nodes"]] == ["陕西省", "宝鸡市", "西安市"]

    done = [(a, o) for a, _t, o, _d in actions(db) if a.startswith("territories.") and a != "territories.list"]
    assert ("territories.add", "ok") in done and ("territories.move", "refused") in done
    assert done[-2:] == [("territories.remove", "ok"), ("territories.remove", "ok")]
    # someone who is not an admin is refused, and that is logged too
    assert api.call("POST", A + "/territories", world["s1"], json={"name": "x", "level": "province"}).status_code == 403
    assert actions(db)[-1][:3] == ("denied:add_node", "", "refused")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("西安\n市", "control character"),
        ("西安\u200b市", "control character"),
        ("x" * 101, "at most 100"),
        ("x\x00", None),  # NUL: refused by the body's shape
        ("\ud800", None),  # a lone surrogate: refused by the body's checks
    ],
)
def test_bad_names_are_refused_with_a_clear_message(api, world, db, name, reason):
    r = api.call(
        "POST",
        A + "/territories",
        world["admin"],
        content=json.dumps({"name": name, "level": "province"}),
        headers={"Content-Type": "application/json"},
    )
    message = refused(r)
    assert message and (reason is None or reason in message), message
    assert ok(api.call("GET", A + "/territories", world["admin"]))["nodes"] == []


def test_departments_and_placing_users(api, world, db):
    t = world["admin"]
    rec = create(api, world["c3"])  # c3 is in s2's team, with one customer
    county = add(api, t, "长安区", "county")["id"]
    team = add(api, t, "长安一组", "team", county, supervisor="s1")["id"]

    ok(api.call("POST", A + "/departments", t, json={"code": "quality", "name": "质量管理部"}), 201)
    assert "already a department" in refused(
        api.call("POST", A + "/departments", t, json={"code": "qa", "name": "质量管理部"})
    )
    assert "lower-case" in refused(api.call("POST", A + "/departments", t, json={"code": "Bad Code", "name": "x"}))
    ok(api.call("PUT", A + "/departments/it/name", t, json={"name": "信息中心"}))

    # c3 placed in s1's team joins it: the customer moves with them (and leaves s2's view)
    moved = ok(api.call("PUT", A + "/users/c3/place", t, json={"territory": team, "department": "county"}))
    assert moved == {"customers": 1}
    with db.read() as conn:
        sup = conn.execute(select(users.c.supervisor_id).where(users.c.name == "c3")).scalar_one()
        s1 = conn.execute(select(users.c.id).where(users.c.name == "s1")).scalar_one()
        assert sup == s1
        assert conn.execute(select(customers.c.owner_id).where(customers.c.id == rec["id"])).scalar_one() is not None
    tree = ok(api.call("GET", A + "/territories", t))
    assert {"user": "c3", "territory": team, "department": "county", "manager": False} in tree["places"]
    assert next(n for n in tree["nodes"] if n["id"] == team)["users"] == ["c3"]
    assert next(d for d in tree["departments"] if d["code"] == "county")["users"] == 1
    assert next(d for d in tree["departments"] if d["code"] == "it")["name"] == "信息中心"

    assert "still has 1 users (c3)" in refused(api.call("DELETE", A + f"/territories/{team}", t))
    assert "users still belong" in refused(api.call("DELETE", A + "/departments/county", t))
    assert "owns" in refused(api.call("DELETE", A + "/departments/monopoly", t))
    assert "no department 'nope'" in refused(
        api.call("PUT", A + "/users/c3/place", t, json={"department": "nope"}), 404
    )
    assert refused(api.call("PUT", A + "/users/ghost/place", t, json={}), 404)
    ok(api.call("DELETE", A + "/departments/quality", t))
    ok(api.call("PUT", A + "/users/c3/place", t, json={"territory": None, "department": None}))
    assert ok(api.call("GET", A + "/territories", t))["places"] == []
    log = [(a, tg, o) for a, tg, o, _d in actions(db) if a in ("users.place", "departments.add", "departments.remove")]
    assert log[:2] == [("departments.add", "quality", "ok"), ("departments.add", "qa", "refused")]
    assert ("users.place", "c3", "ok") in log and ("departments.remove", "county", "refused") in log


def test_the_command_line_shares_the_service_and_the_log(api, world, db, run):
    code, out, err = run("territory", "add", "陕西省", "--level", "province")
    assert code == 0, err
    root = int(out.strip())
    code, out, err = run("territory", "add", "西安市", "--level", "city", "--parent", str(root))
    city = int(out.strip())
    assert run("territory", "add", "灞桥区", "--level", "county", "--parent", str(city))[0] == 0
    code, out, _err = run("territory", "list")
    assert code == 0 and out.splitlines()[0].endswith("province\t陕西省") and "    " in out.splitlines()[2]
    code, _out, err = run("territory", "remove", str(root))
    assert code == 2 and "still has 1 nodes under it" in err
    code, _out, err = run("territory", "move", "abc", "--parent", "-")
    assert code == 2 and "not a node number" in err
    assert run("department", "rename", "sales", "营销中心销售部")[0] == 0
    code, out, _err = run("department", "list")
    assert "sales\t营销中心销售部" in out
    assert run("place", "c1", "--node", str(city), "--department", "market")[0] == 0
    code, _out, err = run("place", "c1", "--department", "nope")
    assert code == 2 and "no department 'nope'" in err
    cli = [(a, o) for a, _t, o, _d in actions(db)]
    assert ("territories.add", "ok") in cli and ("territories.remove", "refused") in cli
    assert ("departments.rename", "ok") in cli and ("users.place", "ok") in cli
    with db.read() as conn:
        vias = set(conn.execute(select(admin_log.c.via).where(admin_log.c.action.like("territories.%"))).scalars())
    assert vias == {"cli"}
    assert ok(api.call("GET", A + "/territories", world["admin"]))["places"] == [
        {"user": "c1", "territory": city, "department": "market", "manager": False}
    ]

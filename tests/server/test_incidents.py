"""Incident records (a leak, a lost laptop; issue 18) through the admin API and the command line, on SQLite
and PostgreSQL: opened with the customers affected, the lost device revoked as a step (its token stops
working at once), the remedy and who was told recorded, closed only once both are; each step dated with who
took it; bad input refused with the reason; every call in the admin log; other roles refused."""

from __future__ import annotations

import json

from sqlalchemy import select

from server.schema import admin_log
from tests.server.helpers import create

A = "/admin/incidents"


def ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def refused(r, status=422):
    assert r.status_code == status, r.text
    return r.json()["message"]


def test_a_lost_laptop_from_report_to_closing(api, world, db):
    t = world["admin"]
    a = create(api, world["c1"])
    b = create(api, world["c1"])
    assert api.call("GET", "/sync/pull?cursor=0", world["c1"]).status_code == 200
    inc = ok(
        api.call(
            "POST",
            A,
            t,
            json={
                "kind": "lost_device",
                "occurred_on": "2026-12-01",
                "summary": "c1 的笔记本在公交车上丢失",
                "customers": [a["id"], b["id"]],
            },
        ),
        201,
    )
    assert inc["state"] == "open" and sorted(inc["customers"]) == sorted([a["id"], b["id"]])
    assert [s["action"] for s in inc["steps"]] == ["opened"] and inc["steps"][0]["by"] == "admin"

    # the laptop's device revoked as a step: c1's token from it stops working at once
    inc = ok(api.call("POST", f"{A}/{inc['id']}/revoke", t, json={"user": "c1", "device_id": "dev-c1"}))
    assert inc["steps"][-1]["action"] == "revoked" and inc["steps"][-1]["detail"] == {"user": "c1", "device": "dev-c1"}
    assert api.call("GET", "/sync/pull?cursor=0", world["c1"]).status_code == 401

    # not closed before the remedy and who was told are recorded
    msg = refused(api.call("POST", f"{A}/{inc['id']}/close", t))
    assert "remedy and who was told" in msg
    ok(api.call("PUT", f"{A}/{inc['id']}/remedy", t, json={"text": "远程吊销设备令牌；档案为加密存储"}))
    assert "who was told" in refused(api.call("POST", f"{A}/{inc['id']}/close", t))
    ok(api.call("PUT", f"{A}/{inc['id']}/notified", t, json={"text": "市局信息科、受影响的 2 户客户"}))
    inc = ok(api.call("POST", f"{A}/{inc['id']}/close", t))
    assert inc["state"] == "closed" and inc["closed_at"] and inc["remedy"].startswith("远程吊销")
    assert [s["action"] for s in inc["steps"]] == ["opened", "revoked", "remedy", "notified", "closed"]
    assert "is closed" in refused(api.call("PUT", f"{A}/{inc['id']}/remedy", t, json={"text": "again"}))

    rows = ok(api.call("GET", A + "?state=closed", t))
    assert [(r["id"], r["customers"], r["state"]) for r in rows] == [(inc["id"], 2, "closed")]
    assert ok(api.call("GET", A + "?state=open", t)) == []
    with db.read() as conn:
        log = [(r.action, r.outcome) for r in conn.execute(select(admin_log).order_by(admin_log.c.id))]
    assert ("incidents.open", "ok") in log and ("incidents.revoke", "ok") in log
    assert ("incidents.close", "refused") in log and ("incidents.close", "ok") in log


def test_bad_input_and_other_roles_are_refused(api, world, db):
    t = world["admin"]
    base = {"kind": "leak", "occurred_on": "2026-11-30", "summary": "导出文件误发"}
    assert "No such customer: NOPE-1." == refused(api.call("POST", A, t, json={**base, "customers": ["NOPE-1"]}))
    assert "not a date" in refused(api.call("POST", A, t, json={**base, "occurred_on": "2026-13-40"}))
    assert "not a day an incident" in refused(api.call("POST", A, t, json={**base, "occurred_on": "2099-01-01"}))
    body = json.dumps({**base, "summary": "泄露\ud800"})  # a lone surrogate, escaped as a client would send it
    assert refused(api.call("POST", A, t, content=body, headers={"Content-Type": "application/json"}))
    assert refused(api.call("POST", A, t, json={**base, "summary": "a\x00b"}))  # NUL: refused at the wire
    assert refused(api.call("POST", A, t, json={**base, "summary": "   "})).endswith("is empty.")
    assert api.call("POST", A, t, json={**base, "kind": "fire"}).status_code == 422
    inc = ok(api.call("POST", A, t, json=base), 201)
    assert "no device 'dev-x'" in refused(
        api.call("POST", f"{A}/{inc['id']}/revoke", t, json={"user": "c1", "device_id": "dev-x"})
    )
    assert api.call("GET", f"{A}/99999", t).status_code == 404
    for who in ("c1", "s1"):
        assert api.call("GET", A, world[who]).status_code == 403
        assert api.call("POST", A, world[who], json=base).status_code == 403
    with db.read() as conn:
        opened = conn.execute(select(admin_log.c.detail).where(admin_log.c.action == "incidents.open")).scalars()
        details = [json.loads(d) for d in opened]
    assert any("error" in d for d in details) and any("error" not in d for d in details)


def test_the_command_line_shares_the_service(api, world, db, run):
    a = create(api, world["c2"])
    code, out, err = run(
        "incident",
        "open",
        "--kind",
        "disclosure",
        "--day",
        "2026-12-02",
        "--text",
        "电话号码误告他人",
        "--customer",
        a["id"],
    )
    assert code == 0, err
    number = out.split("\t")[0].split()[1]
    assert "customers affected: 1" in out
    code, _out, err = run("incident", "close", number)
    assert code == 2 and "cannot close before the remedy and who was told" in err
    assert run("incident", "remedy", number, "--text", "已致歉并更正")[0] == 0
    assert run("incident", "notified", number, "--text", "客户本人")[0] == 0
    code, out, err = run("incident", "close", number)
    assert code == 0 and "\tclosed" in out.splitlines()[0]
    code, out, _err = run("incident", "list")
    assert out.startswith(f"{number}\tdisclosure\t2026-12-02\tclosed\t1 customers")
    code, _out, err = run("incident", "show", "abc")
    assert code == 2 and "not an incident number" in err
    with db.read() as conn:
        vias = set(conn.execute(select(admin_log.c.via).where(admin_log.c.action.like("incidents.%"))).scalars())
    assert vias == {"cli"}

"""The admin API (/api/v1/admin, server/admin_api.py) on SQLite and PostgreSQL: each call works, is in the
admin log (who, through what, what, on what, how it ended), is refused to anyone but an admin, and bad input
gets a clear message; the one-time reset code works once and expires. The command line writes the same
log through the same service functions."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from server.schema import admin_log, audit_entries, customers, password_resets, users
from tests.server.helpers import PASSWORD, create
from tests.server.test_audit import chain, up
from tests.server.test_classify import HEADER, seed, sheet

A = "/admin"


def log_of(db, action=None):
    with db.read() as conn:
        q = select(admin_log).order_by(admin_log.c.id)
        if action:
            q = q.where(admin_log.c.action == action)
        return [dict(r._mapping, detail=json.loads(r.detail)) for r in conn.execute(q).all()]


def ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


CALLS = [
    ("GET", "/users", None),
    ("POST", "/users", {"name": "x1", "role": "collector"}),
    ("POST", "/users/c1/disable", None),
    ("POST", "/users/c1/enable", None),
    ("POST", "/users/c1/reset", None),
    ("PUT", "/users/c1/role", {"role": "admin"}),
    ("PUT", "/users/c1/team", {"supervisor": "s2"}),
    ("GET", "/devices", None),
    ("POST", "/devices/revoke", {"user": "c1", "device_id": "dev-c1"}),
    ("POST", "/handovers", {"to": "c3", "from_user": "c1"}),
    ("GET", "/handovers", None),
    ("GET", "/calendar", None),
    ("PUT", "/calendar", {"holidays": {"2031": ["2031-01-01"]}}),
    ("PUT", "/calendar/days/2031-01-02", {"kind": "holiday"}),
    ("POST", "/classify", {"period": "2026-07"}),
    ("GET", "/audit", None),
    ("POST", "/audit/verify", None),
    ("GET", "/audit/export", None),
    ("GET", "/log", None),
    ("GET", "/retention/due", None),
    ("POST", "/retention/destroy", {"records": ["x"], "reason": "年度销毁"}),
    ("GET", "/territories", None),
    ("POST", "/territories", {"name": "陕西省", "level": "province"}),
    ("PUT", "/territories/1/name", {"name": "x"}),
    ("PUT", "/territories/1/parent", {"parent": None}),
    ("PUT", "/territories/1/supervisor", {"supervisor": "s1"}),
    ("DELETE", "/territories/1", None),
    ("POST", "/departments", {"code": "svc", "name": "客户服务部"}),
    ("PUT", "/departments/it/name", {"name": "x"}),
    ("DELETE", "/departments/it", None),
    ("PUT", "/users/c1/place", {"department": "market"}),
]


def test_only_admins_get_in_and_each_refusal_is_logged(api, world, db):
    before = len(log_of(db))
    for who in ("c1", "s1"):
        for method, path, body in CALLS:
            r = api.call(method, A + path, world[who], json=body)
            assert r.status_code == 403, (who, path, r.text)
            assert r.json()["code"] == "forbidden" and r.json()["message"] == "Only administrators may do this."
        r = api.call("POST", A + "/purchases", world[who], content=b"x")
        assert r.status_code == 403
    for method, path, body in CALLS:
        assert api.call(method, A + path, None, json=body).status_code == 401
    rows = log_of(db)[before:]
    assert len(rows) == 2 * (len(CALLS) + 1)
    assert {(r["actor"], r["outcome"], r["via"]) for r in rows} == {("c1", "refused", "api"), ("s1", "refused", "api")}
    assert all(r["action"].startswith("denied:") for r in rows)
    with db.read() as conn:  # nothing changed
        assert conn.execute(select(users.c.role, users.c.disabled).where(users.c.name == "c1")).one() == (
            "collector",
            False,
        )
        assert conn.execute(select(users.c.id).where(users.c.name == "x1")).first() is None


def test_add_a_user_who_sets_their_password_with_the_code(api, world, db):
    out = ok(
        api.call(
            "POST",
            A + "/users",
            world["admin"],
            json={"name": "c9", "role": "collector", "supervisor": "s1", "display_name": "小九"},
        ),
        201,
    )
    assert out["name"] == "c9" and len(out["code"]) == 19 and out["code_expires_at"] > 0
    assert api.login("c9").status_code == 401  # no password yet
    assert ok(
        api.call(
            "POST",
            "/auth/reset",
            json={"username": "c9", "code": out["code"].lower().replace("-", ""), "new_password": PASSWORD},
        )
    )
    assert api.login("c9").status_code == 200
    listed = {u["name"]: u for u in ok(api.call("GET", A + "/users", world["admin"]))}
    assert listed["c9"] == {
        **listed["c9"],
        "role": "collector",
        "supervisor": "s1",
        "display_name": "小九",
        "disabled": False,
        "devices": 1,
    }
    add = log_of(db, "users.add")[-1]
    assert (add["actor"], add["via"], add["target"], add["outcome"]) == ("admin", "api", "c9", "ok")
    assert out["code"] not in json.dumps(log_of(db))  # the code is never logged
    redeem = log_of(db, "password.redeem")[-1]
    assert (redeem["actor"], redeem["outcome"]) == ("c9", "ok")


def test_disable_enable_role_and_team(api, world, db):
    h = world["admin"]
    ok(api.call("POST", A + "/users/c1/disable", h))
    assert api.call("GET", "/me", world["c1"]).status_code == 401 and api.login("c1").status_code == 401
    ok(api.call("POST", A + "/users/c1/enable", h))
    c1 = api.token("c1")
    rec = create(api, c1)
    # c1 moves to s2's team: s1 loses sight of c1's customer, s2 gains it
    assert ok(api.call("PUT", A + "/users/c1/team", h, json={"supervisor": "s2"})) == {"customers": 1}
    s1_changes, _ = api.pull_all(world["s1"])
    assert {"kind": "revoke", "record_id": rec["id"]}.items() <= next(
        c for c in s1_changes if c["record_id"] == rec["id"] and c["kind"] == "revoke"
    ).items()
    assert api.call("GET", f"/records/{rec['id']}", world["s2"]).status_code == 200
    assert api.call("GET", f"/records/{rec['id']}", world["s1"]).status_code == 404
    # a supervisor who still leads a team keeps the role, with the reason
    r = api.call("PUT", A + "/users/s2/role", h, json={"role": "collector"})
    assert (
        r.status_code == 422
        and r.json()["message"] == "'s2' leads a team (c1, c3): move its members to another team first."
    )
    # c3 becomes an admin: sees everything, their feed brings c1's customer
    assert ok(api.call("PUT", A + "/users/c3/role", h, json={"role": "admin"}))["customers"] >= 1
    changes, _ = api.pull_all(world["c3"])
    assert rec["id"] in {c["record_id"] for c in changes if c["kind"] == "record"}
    # and back: the customer is revoked from their copy
    ok(api.call("PUT", A + "/users/c3/role", h, json={"role": "collector"}))
    changes, _ = api.pull_all(world["c3"])
    assert rec["id"] in {c["record_id"] for c in changes if c["kind"] == "revoke"}
    actions = [(r["action"], r["target"], r["outcome"]) for r in log_of(db) if r["actor"] == "admin"]
    assert actions == [
        ("users.disable", "c1", "ok"),
        ("users.enable", "c1", "ok"),
        ("users.team", "c1", "ok"),
        ("users.role", "s2", "refused"),
        ("users.role", "c3", "ok"),
        ("users.role", "c3", "ok"),
    ]
    assert log_of(db, "users.role")[0]["detail"]["error"].startswith("'s2' leads a team")


def test_bad_input_has_a_clear_message(api, world, db):
    h = world["admin"]
    r = api.call("POST", A + "/users", h, json={"name": "c1", "role": "collector"})
    assert r.status_code == 422 and r.json()["message"] == "The user 'c1' already exists."
    r = api.call("POST", A + "/users", h, json={"name": "z", "role": "boss"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "role"
    r = api.call("POST", A + "/users", h, json={"name": "a b", "role": "collector"})
    assert r.status_code == 422 and "without spaces" in r.json()["message"]
    r = api.call("POST", A + "/users/nobody/disable", h)
    assert r.status_code == 404 and r.json()["message"] == "There is no user 'nobody'."
    r = api.call("PUT", A + "/users/c1/team", h, json={"supervisor": "c2"})
    assert r.status_code == 422 and r.json()["message"] == "'c2' is not a supervisor."
    r = api.call("PUT", A + "/calendar/days/2031-13-01", h, json={"kind": "holiday"})
    assert r.status_code == 422 and "is not a date" in r.json()["message"]
    r = api.call("PUT", A + "/calendar/days/2031-01-06", h, json={"kind": "workday"})  # a Monday
    assert r.status_code == 422 and "a make-up working day is a Saturday or a Sunday" in r.json()["message"]
    r = api.call("POST", A + "/classify", h, json={"period": "2026-13"})
    assert r.status_code == 422 and "is not a month" in r.json()["message"]
    r = api.call("POST", A + "/handovers", h, json={"to": "c3", "customers": ["999999999999"]})
    assert r.status_code == 422 and r.json()["message"] == "There is no customer '999999999999'."
    r = api.call("POST", A + "/users", h, json={"name": "z\u0000", "role": "collector"})
    assert r.status_code == 422
    refused = [r for r in log_of(db) if r["outcome"] == "refused"]
    assert {r["action"] for r in refused} >= {
        "users.add",
        "users.disable",
        "users.team",
        "calendar.set",
        "classify.run",
        "customers.handover",
    }


def test_reset_code_works_once_and_expires(api, world, db):
    h = world["admin"]
    code = ok(api.call("POST", A + "/users/c1/reset", h))["code"]
    assert api.login("c1").status_code == 200  # the old password works until the code is used
    wrong = api.call(
        "POST", "/auth/reset", json={"username": "c1", "code": "AAAA-AAAA-AAAA-AAAA", "new_password": "new-pass-123"}
    )
    assert wrong.status_code == 401 and "ask an administrator" in wrong.json()["message"]
    short = api.call("POST", "/auth/reset", json={"username": "c1", "code": code, "new_password": "short"})
    assert short.status_code == 422 and "at least 8 characters" in short.json()["message"]
    ok(api.call("POST", "/auth/reset", json={"username": "c1", "code": code, "new_password": "new-pass-123"}))
    assert api.call("GET", "/me", world["c1"]).status_code == 401  # every session ended
    assert api.login("c1").status_code == 401 and api.login("c1", "new-pass-123").status_code == 200
    again = api.call("POST", "/auth/reset", json={"username": "c1", "code": code, "new_password": "other-pass-1"})
    assert again.status_code == 401  # once
    # expired
    code = ok(api.call("POST", A + "/users/c1/reset", h))["code"]
    db.write(lambda tx: tx.conn.execute(update(password_resets).values(expires_at=1.0)))
    assert (
        api.call(
            "POST", "/auth/reset", json={"username": "c1", "code": code, "new_password": "other-pass-1"}
        ).status_code
        == 401
    )
    # five wrong tries kill it
    code = ok(api.call("POST", A + "/users/c1/reset", h))["code"]
    for _ in range(5):
        assert (
            api.call(
                "POST", "/auth/reset", json={"username": "c1", "code": "BBBB", "new_password": "other-pass-1"}
            ).status_code
            == 401
        )
    assert (
        api.call(
            "POST", "/auth/reset", json={"username": "c1", "code": code, "new_password": "other-pass-1"}
        ).status_code
        == 401
    )
    # an unknown user answers the same as a wrong code
    r = api.call("POST", "/auth/reset", json={"username": "nobody", "code": code, "new_password": "other-pass-1"})
    assert r.status_code == 401 and r.json()["message"] == wrong.json()["message"]
    assert [r["outcome"] for r in log_of(db, "users.reset")] == ["ok", "ok", "ok"]


def test_devices_list_and_revoke(api, world, db):
    h = world["admin"]
    devices = ok(api.call("GET", A + "/devices?user=c1", h))
    assert devices == [
        {
            "user": "c1",
            "device_id": "dev-c1",
            "device_name": "laptop",
            "last_login_at": devices[0]["last_login_at"],
            "revoked": False,
        }
    ]
    ok(api.call("POST", A + "/devices/revoke", h, json={"user": "c1", "device_id": "dev-c1"}))
    assert api.call("GET", "/me", world["c1"]).status_code == 401
    assert ok(api.call("GET", A + "/devices?user=c1", h))[0]["revoked"] is True
    r = api.call("POST", A + "/devices/revoke", h, json={"user": "c1", "device_id": "nope"})
    assert r.status_code == 422 and r.json()["message"] == "The user 'c1' has no device 'nope'."
    assert [(r["action"], r["target"], r["outcome"]) for r in log_of(db) if r["action"].startswith("devices")] == [
        ("devices.list", "c1", "ok"),
        ("devices.revoke", "c1/dev-c1", "ok"),
        ("devices.list", "c1", "ok"),
        ("devices.revoke", "c1/nope", "refused"),
    ]


def test_handover_moves_every_customer_with_its_record(api, world, db):
    h = world["admin"]
    recs = [create(api, world["c1"]) for _ in range(2)]
    other = create(api, world["c2"])
    out = ok(api.call("POST", A + "/handovers", h, json={"to": "c3", "from_user": "c1", "note": "c1 离职"}))
    assert out["to"] == "c3" and out["note"] == "c1 离职"
    assert sorted(m["record_id"] for m in out["moved"]) == sorted(r["id"] for r in recs)
    assert {m["old_owner"] for m in out["moved"]} == {"c1"}
    with db.read() as conn:
        owners = dict(conn.execute(select(customers.c.id, customers.c.owner_id)).all())
        c3 = conn.execute(select(users.c.id).where(users.c.name == "c3")).scalar_one()
    assert [owners[r["id"]] for r in recs] == [c3, c3] and owners[other["id"]] != c3
    for r in recs:  # c3's supervisor sees them now, c1's does not (c1 created them: they still see them)
        assert api.call("GET", f"/records/{r['id']}", world["s2"]).status_code == 200
        assert api.call("GET", f"/records/{r['id']}", world["s1"]).status_code == 404
    history = ok(api.call("GET", f"/records/{recs[0]['id']}", world["c3"]))
    assert history["owner"] == "c3"
    listed = ok(api.call("GET", A + "/handovers", h))
    assert listed[0]["actor"] == "admin" and listed[0]["detail"]["note"] == "c1 离职"
    assert sorted(m["record_id"] for m in listed[0]["detail"]["moved"]) == sorted(r["id"] for r in recs)
    # all or nothing: one unknown customer moves none
    r = api.call("POST", A + "/handovers", h, json={"to": "c1", "customers": [other["id"], "nope"]})
    assert r.status_code == 422
    with db.read() as conn:
        assert (
            conn.execute(select(customers.c.owner_id).where(customers.c.id == other["id"])).scalar_one()
            == owners[other["id"]]
        )
    r = api.call("POST", A + "/handovers", h, json={"to": "c3"})
    assert r.status_code == 422 and "name the customers" in r.json()["message"].lower()


def test_calendar_import_edit_and_publish(api, world, db):
    h = world["admin"]
    before = ok(api.call("GET", "/calendar", world["c1"]))["version"]
    out = ok(
        api.call(
            "PUT",
            A + "/calendar",
            h,
            json={"holidays": {"2031": ["2031-01-01", "2031-02-10"]}, "workdays": {"2031": ["2031-02-08"]}},
        )
    )
    assert out["years"] == [2031] and out["version"] != before
    out2 = ok(api.call("PUT", A + "/calendar/days/2031-05-01", h, json={"kind": "holiday"}))
    published = ok(api.call("GET", "/calendar", world["c1"]))  # what every client fetches
    assert published["version"] == out2["version"]
    assert {"2031-01-01", "2031-02-10", "2031-05-01"} <= set(published["holidays"]) and "2031-02-08" in published[
        "workdays"
    ]
    ok(api.call("PUT", A + "/calendar/days/2031-05-01", h, json={"kind": "normal"}))
    assert "2031-05-01" not in ok(api.call("GET", A + "/calendar", h))["holidays"]
    r = api.call(
        "PUT", A + "/calendar", h, json={"holidays": {"2031": ["2031-03-03"]}, "workdays": {"2031": ["2031-03-03"]}}
    )
    assert r.status_code == 422 and "is a weekday" in r.json()["message"]
    assert [r["action"] for r in log_of(db) if r["actor"] == "admin"] == [
        "calendar.import",
        "calendar.set",
        "calendar.set",
        "calendar.show",
        "calendar.import",
    ]


def test_purchases_and_classification_dry_run_first(api, world, db, run, tmp_path):
    h = world["admin"]
    seed(run, tmp_path, [(f"61010200000{i}", "grocery", "urban") for i in range(1, 6)])
    path = sheet(tmp_path / "p.xlsx", HEADER, [(f"61010200000{i}", "2026-07", 10 * i, 100 * i) for i in range(1, 6)])
    body = open(path, "rb").read()
    dry = ok(api.call("POST", A + "/purchases?dry_run=true", h, content=body))
    assert dry == {"imported": 5, "replaced": 0, "periods": ["2026-07"], "figures_updated": 5, "dry_run": True}
    table = ok(api.call("POST", A + "/classify", h, json={"period": "2026-07"}))
    assert table["ranked"] == 0 and table["no_figures"] == 5  # the dry run wrote nothing
    ok(api.call("POST", A + "/purchases", h, content=body))
    table = ok(api.call("POST", A + "/classify", h, json={"period": "2026-07", "dry_run": True}))
    assert table["applied"] is False and table["ranked"] == 5
    assert [(c["code"], c["new_scale"], c["new_class"]) for c in table["changes"]] == [
        ("610102000005", "1", "CZ1"),
        ("610102000004", "2", "CZ2"),
        ("610102000003", "2", "CZ2"),
        ("610102000002", "2", "CZ2"),
        ("610102000001", "3", "CZ3"),
    ]
    with db.read() as conn:
        assert "business_scale" not in json.loads(
            conn.execute(select(customers.c.data).where(customers.c.code == "610102000005")).scalar_one()
        )
    applied = ok(api.call("POST", A + "/classify", h, json={"period": "2026-07", "dry_run": False}))
    assert applied["applied"] is True and len(applied["changes"]) == 5
    assert ok(api.call("POST", A + "/classify", h, json={"period": "2026-07"}))["changes"] == []
    bad = sheet(tmp_path / "bad.xlsx", HEADER, [("999999999999", "2026-07", 1, 1)])
    r = api.call("POST", A + "/purchases", h, content=open(bad, "rb").read())
    assert r.status_code == 422 and r.json()["fields"][0]["message"].startswith("row 2, column 客户编码")
    r = api.call("POST", A + "/purchases", h, content=b"not a spreadsheet")
    assert r.status_code == 422 and r.json()["message"].startswith("The file cannot be read")
    log = [(r["action"], r["outcome"], r["detail"].get("dry_run")) for r in log_of(db) if r["via"] == "api"]
    assert log == [
        ("purchases.import", "ok", True),
        ("classify.run", "ok", True),
        ("purchases.import", "ok", False),
        ("classify.run", "ok", True),
        ("classify.run", "ok", False),
        ("classify.run", "ok", True),
        ("purchases.import", "refused", False),
        ("purchases.import", "refused", False),
    ]


def test_audit_copy_list_verify_export(api, world, db):
    h = world["admin"]
    entries = chain("dev-c1", 4)
    assert up(api, world["c1"], entries).status_code == 200
    listed = ok(api.call("GET", A + "/audit?device=dev-c1", h))
    assert [e["seq"] for e in listed] == [1, 2, 3, 4] and listed[0]["uploaded_by"] == "c1"
    assert ok(api.call("GET", A + "/audit?entity=export", h)) == [e for e in listed if e["entity"] == "export"]
    assert ok(api.call("POST", A + "/audit/verify", h)) == {"intact": True, "problems": []}
    r = api.call("GET", A + "/audit/export", h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [(e["seq"], e["hash"], e["prev_hash"]) for e in lines] == [
        (e["seq"], e["hash"], e["prev_hash"]) for e in entries
    ]
    db.write(lambda tx: tx.conn.execute(update(audit_entries).where(audit_entries.c.seq == 2).values(new='"改"')))
    verdict = ok(api.call("POST", A + "/audit/verify", h))
    assert verdict["intact"] is False and any("dev-c1" in p for p in verdict["problems"])
    assert [r["action"] for r in log_of(db) if r["actor"] == "admin"] == [
        "audit.list",
        "audit.list",
        "audit.verify",
        "audit.export",
        "audit.verify",
    ]
    assert log_of(db, "audit.export")[0]["detail"] == {"entries": 4}


def test_the_command_line_writes_the_same_log(api, world, db, run):
    assert run("user", "reset", "c2")[0] == 0
    code, out, err = run("handover", "--to", "c3", "--from", "c1", "--note", "交接")
    assert code == 2 and "holds no customers" in err  # c1 has none yet: refused, and logged as such
    create(api, world["c1"])
    code, out, err = run("handover", "--to", "c3", "--from", "c1", "--note", "交接")
    assert code == 0 and "1 customers handed over to c3" in err
    rows = [r for r in log_of(db) if r["via"] == "cli"]
    assert [(r["action"], r["target"], r["outcome"]) for r in rows] == [
        ("users.reset", "c2", "ok"),
        ("customers.handover", "c3", "refused"),
        ("customers.handover", "c3", "ok"),
    ]
    listed = ok(api.call("GET", A + "/log?action=customers.handover", world["admin"]))
    assert listed[0]["via"] == "cli" and listed[0]["detail"]["note"] == "交接"


@pytest.mark.parametrize("path", ["/users", "/log"])
def test_reads_are_logged_too(api, world, db, path):
    ok(api.call("GET", A + path, world["admin"]))
    assert log_of(db)[-1]["actor"] == "admin" and log_of(db)[-1]["outcome"] == "ok"


def test_over_http_with_a_real_server_process(server_process, db, run):
    """The same calls over a real `python -m server serve` on 127.0.0.1: an admin's work goes through and
    is logged; a collector is refused; a reset code set over HTTP works once."""
    import httpx

    from tests.server.helpers import PROTO

    assert run("user", "add", "boss", "--role", "admin")[0] == 0
    assert run("user", "add", "c1", "--role", "collector")[0] == 0
    server_process.start()
    with httpx.Client(base_url=server_process.url + "/api/v1", headers=PROTO, timeout=30) as c:

        def token(name: str) -> str:
            r = c.post(
                "/auth/login",
                json={"username": name, "password": PASSWORD, "device_id": f"pc-{name}", "device_name": "pc"},
            )
            assert r.status_code == 200, r.text
            return r.json()["access_token"]

        boss, c1 = {"Authorization": f"Bearer {token('boss')}"}, {"Authorization": f"Bearer {token('c1')}"}
        assert c.get("/admin/users", headers=c1).status_code == 403
        assert [u["name"] for u in c.get("/admin/users", headers=boss).json()] == ["boss", "c1"]
        code = c.post("/admin/users", headers=boss, json={"name": "c2", "role": "collector"}).json()["code"]
        body = {"username": "c2", "code": code, "new_password": "c2-password-9"}
        assert c.post("/auth/reset", json=body).status_code == 200
        assert c.post("/auth/reset", json=body).status_code == 401
        r = c.post("/auth/login", json={"username": "c2", "password": "c2-password-9", "device_id": "pc-c2"})
        assert r.status_code == 200
        assert c.post("/admin/users/c1/disable", headers=boss).status_code == 200
        assert c.get("/me", headers=c1).status_code == 401
    rows = [(r["actor"], r["via"], r["action"], r["target"], r["outcome"]) for r in log_of(db)]
    assert [r[1:] for r in rows[:2]] == [("cli", "users.add", "boss", "ok"), ("cli", "users.add", "c1", "ok")]
    assert rows[2:] == [
        ("c1", "api", "denied:users", "", "refused"),
        ("boss", "api", "users.list", "", "ok"),
        ("boss", "api", "users.add", "c2", "ok"),
        ("c2", "api", "password.redeem", "c2", "ok"),
        ("boss", "api", "users.disable", "c1", "ok"),
    ]

"""AB posts (AB岗, issue 18, audit R7) on SQLite and PostgreSQL: B covers A's customers for a set period; during
it B pulls, reads and edits them; when it ends B's feed revokes them by itself (no job); a handover record is
written at its start and at its end with what was open; who may set a cover and whom it may name; the command
line shares the service and the admin log."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlalchemy import select

from server import covers as cov
from server.accounts import Caller, get_user
from server.administration import Actor
from server.feed import pull
from server.schema import admin_log
from tests.server.helpers import create, save, submit

C = "/covers"
CHINA = dt.timezone(dt.timedelta(hours=8))


def iso(at: float) -> str:
    return dt.datetime.fromtimestamp(at, CHINA).isoformat(timespec="microseconds")


def ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def refused(r, status=422):
    assert r.status_code == status, r.text
    return r.json()["message"]


def ids(changes, kind="record"):
    return {c["record_id"] for c in changes if c["kind"] == kind}


def test_b_keeps_as_customers_during_the_cover_and_loses_them_after_it(api, world, db):
    a1, a2 = create(api, world["c1"]), create(api, world["c1"])
    assert api.push1(world["c1"], submit(a2["id"], a2["version"]))["status"] == "applied"
    mine = create(api, world["c2"])
    _, cursor = api.pull_all(world["c2"])
    assert api.call("GET", f"/records/{a1['id']}", world["c2"]).status_code == 404  # not yet

    now = time.time()
    body = {"absent": "c1", "cover": "c2", "starts": iso(now - 60), "ends": iso(now + 4), "reason": "年休假"}
    cover = ok(api.call("POST", C, world["s1"], json=body), 201)  # c1's market manager sets it
    assert cover["state"] == "active" and cover["absent"] == "c1" and cover["cover"] == "c2"
    (start,) = cover["handover"]
    assert start["event"] == "start" and start["customers"] == 2
    assert {o["id"]: o["status"] for o in start["open"]} == {a1["id"]: "draft", a2["id"]: "pending"}

    # during the cover: c2's next pull brings c1's customers; c2 reads and edits them
    changes, cursor = api.pull_all(world["c2"], cursor)
    assert ids(changes) == {a1["id"], a2["id"]}
    rec = ok(api.call("GET", f"/records/{a1['id']}", world["c2"]))
    res = api.push1(
        world["c2"], save(a1["id"], {"shop_name": (rec["values"]["shop_name"], "代管期间改名")}, rec["version"])
    )
    assert res["status"] == "applied", res
    assert api.call("GET", f"/records/{a1['id']}", world["c3"]).status_code == 404  # nobody else gains sight

    time.sleep(max(0.0, now + 4.2 - time.time()))  # the end passes: nothing is run, the next pull sees it
    changes, cursor = api.pull_all(world["c2"], cursor)
    assert ids(changes, "revoke") == {a1["id"], a2["id"]} and not ids(changes)
    assert api.call("GET", f"/records/{a1['id']}", world["c2"]).status_code == 404
    stale = api.push1(world["c2"], save(a1["id"], {"shop_name": ("代管期间改名", "再改")}, res["record"]["version"]))
    assert stale["status"] == "rejected"
    assert ok(api.call("GET", f"/records/{mine['id']}", world["c2"]))["id"] == mine["id"]  # their own stay
    assert ok(api.call("GET", f"/records/{a1['id']}", world["c1"]))["values"]["shop_name"] == "代管期间改名"

    shown = ok(api.call("GET", f"{C}/{cover['id']}", world["s1"]))
    assert shown["state"] == "ended" and [h["event"] for h in shown["handover"]] == ["start", "end"]
    assert shown["handover"][1]["customers"] == 2
    assert ok(api.call("GET", f"{C}/{cover['id']}", world["c2"]))["id"] == cover["id"]  # B sees their own
    assert api.call("GET", f"{C}/{cover['id']}", world["c3"]).status_code == 404
    assert [c["id"] for c in ok(api.call("GET", C, world["admin"]))] == [cover["id"]]
    assert ok(api.call("GET", C, world["s2"])) == []


def test_the_edges_follow_the_clock_and_are_recorded_once(api, world, db):
    """With the clock given: a planned cover gives nothing before its start, everything during it, nothing
    after; each edge is recorded once, whoever pulls first."""
    a1 = create(api, world["c1"])
    t0 = time.time()
    start, end = t0 + 3600, t0 + 7200
    actor = Actor("admin", "api")
    c = cov.set_cover(db, actor, None, "c1", "c2", iso(start), iso(end), "病假", now=t0)
    assert c["state"] == "planned" and c["handover"] == []
    with db.read() as conn:
        b = get_user(conn, "c2")
    assert b is not None
    who = Caller(b, 0)
    before = pull(db, who, 0, 100, now=start - 1)
    assert a1["id"] not in ids(before["changes"])
    during = pull(db, who, before["cursor"], 100, now=start + 1)
    assert ids(during["changes"]) == {a1["id"]}
    assert cov.settle(db, start + 2) == 0  # recorded already
    after = pull(db, who, during["cursor"], 100, now=end + 1)
    assert ids(after["changes"], "revoke") == {a1["id"]}
    shown = cov.show(db, actor, None, c["id"], now=end + 2)
    assert [h["event"] for h in shown["handover"]] == ["start", "end"] and shown["state"] == "ended"
    assert shown["handover"][0]["at"] == pytest.approx(start, abs=1e-5)
    assert shown["handover"][1]["at"] == pytest.approx(end, abs=1e-5)


def test_who_may_set_a_cover_and_whom_it_may_name(api, world, db, run):
    now = time.time()
    day = dt.datetime.fromtimestamp(now, CHINA).date()

    def body(**kw):
        return {
            "absent": "c1",
            "cover": "c2",
            "starts": day.isoformat(),
            "ends": day.isoformat(),
            "reason": "事假",
        } | kw

    assert "market manager" in refused(api.call("POST", C, world["s2"], json=body()), 403)  # not c1's manager
    assert refused(api.call("POST", C, world["c2"], json=body()), 403)
    assert "team" in refused(api.call("POST", C, world["s1"], json=body(cover="c3")))
    assert "own customers" in refused(api.call("POST", C, world["admin"], json=body(cover="c1")))
    assert "not a customer manager" in refused(api.call("POST", C, world["admin"], json=body(absent="s1", cover="c1")))
    assert "after it starts" in refused(
        api.call("POST", C, world["s1"], json=body(starts=(day + dt.timedelta(days=3)).isoformat()))
    )
    assert "at most" in refused(
        api.call("POST", C, world["s1"], json=body(ends=(day + dt.timedelta(days=100)).isoformat()))
    )
    assert "past" in refused(api.call("POST", C, world["s1"], json=body(starts="2025-01-01", ends="2025-01-02")))
    assert "not a date" in refused(api.call("POST", C, world["s1"], json=body(starts="next monday")))
    assert "reason" in refused(api.call("POST", C, world["s1"], json=body(reason="   ")))
    assert refused(api.call("POST", C, world["s1"], json=body(absent="nobody")), 404)
    first = ok(api.call("POST", C, world["s1"], json=body()), 201)
    assert "already has a cover" in refused(api.call("POST", C, world["admin"], json=body(cover="s1")))

    # the territory rule: teams of the same county may cover each other (command line, shared service)
    code, county, _ = run("territory", "add", "雁塔区营销部", "--level", "county")
    assert code == 0
    for name, sup in (("一组", "s1"), ("二组", "s2")):
        assert run("territory", "add", name, "--level", "team", "--parent", county.strip(), "--supervisor", sup)[0] == 0
    nxt = (day + dt.timedelta(days=2)).isoformat()
    code, out, err = run(
        "cover", "set", "--absent", "c1", "--cover", "c3", "--from", nxt, "--to", nxt, "--reason", "婚假"
    )
    assert code == 0, err
    assert "c1 → c3" in out and "planned" in out
    code, out, _ = run("cover", "list")
    assert out.count("c1 → ") == 2
    # ended early by the admin: over at once, and recorded
    ended = ok(api.call("POST", f"{C}/{first['id']}/end", world["admin"]))
    assert (
        ended["state"] == "ended"
        and ended["cut_by"] == "admin"
        and [h["event"] for h in ended["handover"]]
        == [
            "start",
            "end",
        ]
    )
    assert "over already" in refused(api.call("POST", f"{C}/{first['id']}/end", world["admin"]))
    code, _, err = run("cover", "end", "999")
    assert code != 0 and "no cover 999" in err

    with db.read() as conn:
        logged = conn.execute(
            select(admin_log.c.action, admin_log.c.via, admin_log.c.outcome, admin_log.c.detail)
        ).all()
    sets = [r for r in logged if r.action == "covers.set"]
    assert {(r.via, r.outcome) for r in sets} == {("api", "refused"), ("api", "ok"), ("cli", "ok")}
    assert any(json.loads(r.detail).get("reason") == "婚假" for r in sets)


def test_the_sign_in_check_finds_every_post_in_force_in_its_one_statement(api, world, db):
    """``accounts.authenticate`` reads the token, its device and user and the AB posts the user holds now in
    one statement (a row per post): two posts in force give both, one ended, one not started (nor
    recorded) and another's post give nothing; a revoked device is refused whatever posts it holds."""
    from server.accounts import authenticate, revoke_device_pk, token_hash
    from server.schema import access_tokens
    from server.schema_guard import covers

    now = time.time()
    with db.read() as conn:
        uid = {n: get_user(conn, n).id for n in ("c1", "c2", "c3", "s1", "s2")}

    def post(absent: str, cover: str, starts: float, ends: float, started: float | None = None) -> dict:
        return {
            "absent_id": uid[absent],
            "cover_id": uid[cover],
            "starts_at": starts,
            "ends_at": ends,
            "reason": "年休假",
            "set_by": "s1",
            "created_at": now,
            "start_recorded": started,
        }

    def work(tx):
        tx.conn.execute(
            covers.insert(),
            [
                post("c1", "c2", now - 60, now + 600),
                post("c3", "c2", now + 3600, now + 7200, started=now - 1),  # recorded as started: in force
                post("s1", "c2", now - 7200, now - 3600),  # ended
                post("s2", "c2", now + 3600, now + 7200),  # not started
                post("c2", "c1", now - 60, now + 600),  # another's post
            ],
        )

    db.write(work)
    assert authenticate(db, world["c2"]).user.covering == tuple(sorted((uid["c1"], uid["c3"])))
    assert authenticate(db, world["c1"]).user.covering == (uid["c2"],)
    assert authenticate(db, world["c3"]).user.covering == ()
    with db.read() as conn:
        device = conn.execute(
            select(access_tokens.c.device_pk).where(access_tokens.c.token_hash == token_hash(world["c2"]))
        ).scalar_one()
    db.write(lambda tx: revoke_device_pk(tx.conn, device))
    assert api.call("GET", "/me", world["c2"]).status_code == 401


def test_a_page_judges_the_posts_after_reading_the_counter_not_at_sign_in(api, world, db):
    """A post whose start another request recorded (numbering its customers' rows) after the caller signed
    in is the caller's in the page: the cursor handed back never passes rows the page did not read as theirs."""
    from dataclasses import replace as changed

    from server.accounts import authenticate
    from server.schema_guard import covers

    a1 = create(api, world["c1"])
    _, cursor = api.pull_all(world["c2"])
    signed_in = authenticate(db, world["c2"])  # no post yet: covering ()
    assert signed_in.user.covering == ()
    with db.read() as conn:
        c1, c2 = get_user(conn, "c1").id, get_user(conn, "c2").id
    now = time.time()
    row = {"absent_id": c1, "cover_id": c2, "reason": "年休假", "set_by": "s1", "created_at": now}
    db.write(
        lambda tx: tx.conn.execute(covers.insert().values(**row, starts_at=now - 5, ends_at=now + 600))
    )  # its start is due: the pull records it (another request could have) and then reads the page
    page = pull(db, changed(signed_in), cursor, 1000)
    assert a1["id"] in {c["record_id"] for c in page["changes"] if c["kind"] == "record"}, page

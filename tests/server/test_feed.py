"""Pull: the feed is commit-ordered (a late commit is never skipped), paged, scoped, carries
revokes, forms and tombstones, and sends clients older than the tombstone horizon to rebuild."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from sqlalchemy import update

from server import accounts, admin, forms
from server.db import Database
from server.feed import purge_tombstones
from server.push import apply_batch
from server.schema import customers
from tests.server.helpers import create, delete, save


def ids(changes, kind="record"):
    return [c["record_id"] for c in changes if c["kind"] == kind]


def test_pages_deliver_every_change_once_in_order(api, world):
    made = {create(api, world["c1"], {"shop_name": f"店{i}"})["id"] for i in range(25)}
    seen, cursor, pages = [], 0, 0
    while True:
        page = api.pull(world["c1"], cursor, limit=10)
        pages += 1
        assert page["cursor"] >= cursor
        seen += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert pages == 3 and set(ids(seen)) == made and len(seen) == 25
    seqs = [c["seq"] for c in seen]
    assert seqs == sorted(seqs)
    assert api.pull(world["c1"], cursor)["changes"] == []


def test_a_record_appears_once_in_its_latest_state(api, world):
    rec = create(api, world["c1"])
    for v in (2, 3, 4):
        res = api.push1(world["c1"], save(rec["id"], {"brand_count": v * 10}, base=v - 1))
        assert res["status"] == "applied" and res["record"]["version"] == v, res  # why, if it ever is not
    changes, _ = api.pull_all(world["c1"])
    assert len(changes) == 1 and changes[0]["record"]["version"] == 4
    assert changes[0]["record"]["values"]["brand_count"] == 40


def test_feed_is_filtered_by_scope(api, world):
    r1 = create(api, world["c1"])["id"]
    r2 = create(api, world["c2"])["id"]
    r3 = create(api, world["c3"])["id"]
    scope = {name: set(ids(api.pull_all(world[name])[0])) for name in ("c1", "c2", "c3", "s1", "s2", "admin")}
    assert scope == {"c1": {r1}, "c2": {r2}, "c3": {r3}, "s1": {r1, r2}, "s2": {r3}, "admin": {r1, r2, r3}}


def test_reassignment_revokes_and_delivers(api, world, db):
    rid = create(api, world["admin"])["id"]
    db.write(lambda tx: admin.assign(tx, rid, "c1"))
    cursors = {n: api.pull_all(world[n])[1] for n in ("c1", "c3", "s1", "s2")}
    assert rid in ids(api.pull_all(world["c1"])[0])
    db.write(lambda tx: admin.assign(tx, rid, "c3"))
    after = {n: api.pull_all(world[n], cursors[n])[0] for n in cursors}
    assert ids(after["c1"], "revoke") == [rid] and ids(after["c1"]) == []
    assert ids(after["s1"], "revoke") == [rid]
    assert ids(after["c3"]) == [rid] and after["c3"][0]["record"]["owner"] == "c3"
    assert ids(after["s2"]) == [rid]


def test_team_change_moves_records_between_supervisors(api, world, db):
    rid = create(api, world["c2"])["id"]
    c_s1, c_s2 = api.pull_all(world["s1"])[1], api.pull_all(world["s2"])[1]
    assert db.write(lambda tx: admin.set_team(tx, "c2", "s2")) == 1
    assert ids(api.pull_all(world["s1"], c_s1)[0], "revoke") == [rid]
    assert ids(api.pull_all(world["s2"], c_s2)[0]) == [rid]
    assert ids(api.pull_all(world["c2"])[0]) == [rid]


def test_published_form_reaches_everyone(api, world, db, tmp_path: Path):
    from app.models.catalogue import load_form

    data = load_form().to_dict()
    data["version"] = new = data["version"] + 1
    data["fields"][0]["help_en"] = "The official code."
    path = tmp_path / "form.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    db.write(lambda tx: forms.publish(tx, path, "admin"))
    for name in ("c3", "s1"):
        changes, _ = api.pull_all(world[name])
        form_changes = [c for c in changes if c["kind"] == "form"]
        assert len(form_changes) == 1 and form_changes[0]["form"]["version"] == new
    assert api.call("GET", "/info").json()["form_version"] == new


def test_tombstones_and_the_horizon(api, world, db, settings):
    keep = create(api, world["c1"])["id"]
    rid = create(api, world["c1"])["id"]
    old_cursor = api.pull_all(world["c1"])[1]
    api.push1(world["c1"], delete(rid, 1))
    changes, cursor = api.pull_all(world["c1"], old_cursor)
    assert changes[0]["record"]["deleted"] is True
    assert purge_tombstones(db, settings) == 0  # too young to forget
    db.write(
        lambda tx: tx.conn.execute(
            update(customers).where(customers.c.id == rid).values(updated_at=time.time() - 181 * 86400)
        )
    )
    assert purge_tombstones(db, settings) == 1
    r = api.call("GET", f"/sync/pull?cursor={old_cursor}", world["c1"])
    assert r.status_code == 410 and r.json()["code"] == "gone" and r.json()["horizon"] > old_cursor
    assert api.pull(world["c1"], cursor)["changes"] == []  # a client past the horizon goes on
    rebuilt, _ = api.pull_all(world["c1"], 0)
    assert ids(rebuilt) == [keep]
    assert api.call("GET", "/sync/pull?cursor=999999", world["c1"]).status_code == 410


def test_a_late_commit_is_never_skipped(db, api, world, backend):
    """Transaction A starts first and commits last: a puller whose cursor is past B still gets A."""
    c1 = accounts.authenticate(db, world["c1"])
    other = Database(db.url)  # a second engine: on SQLite this behaves like another process
    a_working, release_a, b_done = threading.Event(), threading.Event(), threading.Event()
    rid_a, rid_b = [create(api, world["c1"])["id"] for _ in range(2)]
    _, cursor0 = api.pull_all(world["c1"])

    def tx_a(tx):
        out = apply_batch(tx, c1, [save(rid_a, {"brand_count": 1}, base=1)])
        a_working.set()
        assert release_a.wait(20)
        return out

    def run_b():
        other.write(lambda tx: apply_batch(tx, c1, [save(rid_b, {"brand_count": 2}, base=1)]))
        b_done.set()

    ta = threading.Thread(target=lambda: db.write(tx_a))
    ta.start()
    assert a_working.wait(20)
    tb = threading.Thread(target=run_b)
    tb.start()
    if backend["kind"] == "postgresql":
        assert b_done.wait(20), "B must be able to commit while A is still open"
        page = api.pull(world["c1"], cursor0)
        assert ids(page["changes"]) == [rid_b]  # A is not committed: not visible, and not numbered yet
        cursor_after_b = page["cursor"]
        release_a.set()
        ta.join(20)
        late = api.pull(world["c1"], cursor_after_b)
        assert ids(late["changes"]) == [rid_a] and late["changes"][0]["seq"] > cursor_after_b
    else:
        assert not b_done.wait(0.5), "SQLite must serialise writers: B waits for A"
        release_a.set()
        ta.join(20)
        assert b_done.wait(20)
        changes = api.pull(world["c1"], cursor0)["changes"]
        assert ids(changes) == [rid_a, rid_b]  # numbered in commit order
    tb.join(20)
    other.dispose()

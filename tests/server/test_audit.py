"""The clients' audit trails uploaded to the server: checked link by link, kept once, forks kept and
marked, gaps and rewritten entries refused; listed and verified by the admin command line."""
from __future__ import annotations

import json
from typing import Any

from app.models.audit_chain import GENESIS, entry_hash
from server.schema import audit_entries
from tests.server.helpers import add_user


def chain(device: str, n: int, start: int = 1, prev: str = GENESIS, tag: str = "", actor: str = "c1",
          at: Any = None) -> list[dict[str, Any]]:
    """``n`` linked entries of ``device`` from ``start``; ``at(seq)`` gives an entry's time."""
    out = []
    for seq in range(start, start + n):
        when = at(seq) if at else f"2026-11-23T08:{seq // 60 % 60:02d}:{seq % 60:02d}.000Z"
        e = {"seq": seq, "at": when, "actor": actor, "device": device,
             "entity": "customer" if seq % 3 else "export", "entity_id": f"id-{seq}{tag}", "action": "update",
             "field": "shop_name", "old": json.dumps(f"旧{seq}", ensure_ascii=False),
             "new": json.dumps(f"新{seq}{tag}", ensure_ascii=False), "source": "manual", "source_ref": "",
             "info_date": None}
        e["prev_hash"], e["hash"] = prev, entry_hash(prev, e)
        prev = e["hash"]
        out.append(e)
    return out


def up(api, token, entries):
    return api.call("POST", "/audit", token, json={"entries": entries})


def held(db, device="dev-c1"):
    with db.read() as conn:
        return conn.execute(audit_entries.select().where(audit_entries.c.device == device)
                            .order_by(audit_entries.c.seq, audit_entries.c.id)).mappings().all()


def test_upload_in_pages_replay_changes_nothing(api, world, db):
    entries = chain("dev-c1", 7)
    r = up(api, world["c1"], entries[:4])
    assert r.status_code == 200 and r.json() == {"stored": 4, "known": 0, "forked": 0, "head": 4}
    r = up(api, world["c1"], entries[2:])          # overlapping retry: the first two are known already
    assert r.json() == {"stored": 3, "known": 2, "forked": 0, "head": 7}
    assert up(api, world["c1"], entries).json() == {"stored": 0, "known": 7, "forked": 0, "head": 7}
    rows = held(db)
    assert [r["seq"] for r in rows] == list(range(1, 8))
    assert [r["hash"] for r in rows] == [e["hash"] for e in entries]
    assert rows[0]["new"] == json.dumps("新1", ensure_ascii=False) and not any(r["forked"] for r in rows)


def test_gap_is_refused_with_the_servers_position(api, world, db):
    entries = chain("dev-c1", 6)
    assert up(api, world["c1"], entries[:2]).status_code == 200
    r = up(api, world["c1"], entries[3:])
    assert r.status_code == 409 and r.json()["code"] == "audit_gap" and r.json()["offset"] == 2
    assert len(held(db)) == 2
    missing_start = up(api, api.token("s1", device="dev-s1"), chain("dev-s1", 3, start=5, prev="e" * 64, actor="s1"))
    assert missing_start.status_code == 409 and missing_start.json()["offset"] == 0  # that device has nothing yet


def test_broken_entries_are_refused_and_nothing_is_kept(api, world, db):
    entries = chain("dev-c1", 4)
    tampered = [dict(e) for e in entries]
    tampered[2]["new"] = json.dumps("改过的", ensure_ascii=False)           # content changed, hash kept
    r = up(api, world["c1"], tampered)
    assert r.status_code == 422 and r.json()["code"] == "audit_broken"
    assert r.json()["fields"][0]["field"] == "entries[2].hash"
    skipped = [entries[0], entries[2]]                                     # a hole inside the request
    r = up(api, world["c1"], skipped)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "entries[1].prev_hash"
    other = up(api, world["c1"], chain("someone-elses-laptop", 2))         # of another device
    assert other.status_code == 422 and other.json()["fields"][0]["field"] == "entries[0].device"
    assert held(db) == [] and held(db, "someone-elses-laptop") == []


def test_a_fork_is_kept_and_marked(api, world, db, run):
    """An archive restored from a backup and used again: its new entries fork from an older position."""
    entries = chain("dev-c1", 5)
    assert up(api, world["c1"], entries).status_code == 200
    fork = chain("dev-c1", 3, start=4, prev=entries[2]["hash"], tag="-restored")
    r = up(api, world["c1"], fork)
    assert r.status_code == 200 and r.json() == {"stored": 3, "known": 0, "forked": 2, "head": 6}
    rows = held(db)
    assert [(r["seq"], r["forked"]) for r in rows] == [(1, False), (2, False), (3, False), (4, True), (4, True),
                                                       (5, True), (5, True), (6, False)]
    code, out, _err = run("audit", "verify")
    assert code == 1 and "dev-c1 #4: 2 different entries (fork)" in out and "dev-c1 #5" in out and "#6" not in out


def test_admin_lists_and_verifies(api, world, db, run, settings):
    add_user(db, settings, "c9", "collector", "s1")
    assert up(api, world["c1"], chain("dev-c1", 4)).status_code == 200
    assert up(api, api.token("c9", device="dev-9"), chain("dev-9", 3, actor="c9")).status_code == 200
    code, out, err = run("audit", "verify")
    assert code == 0 and out == "" and "intact" in err
    code, out, _ = run("audit", "list", "--user", "c9")
    rows = json.loads(out)
    assert code == 0 and [(r["device"], r["seq"], r["uploaded_by"]) for r in rows] == [("dev-9", s, "c9") for s in (1, 2, 3)]
    _, out, _ = run("audit", "list", "--entity", "export")
    assert {(r["device"], r["seq"]) for r in json.loads(out)} == {("dev-c1", 3), ("dev-9", 3)}
    _, out, _ = run("audit", "list", "--limit", "2", "--device", "dev-c1")
    assert [r["seq"] for r in json.loads(out)] == [3, 4]
    with db.engine.begin() as conn:   # someone edits the copy
        conn.execute(audit_entries.update().where(audit_entries.c.device == "dev-9", audit_entries.c.seq == 2)
                     .values(new='"altered"'))
    code, out, _ = run("audit", "verify")
    assert code == 1 and out.strip() == "dev-9 #2: the entry does not match its hash"


def test_bad_bodies_are_4xx(api, world):
    assert up(api, world["c1"], []).status_code == 422
    e = chain("dev-c1", 1)[0]
    for bad in ({**e, "seq": 0}, {**e, "hash": "xyz"}, {**e, "old": "a\x00b"}, {**e, "extra": 1}):
        r = up(api, world["c1"], [bad])
        assert r.status_code == 422, (bad, r.text)
    assert api.call("POST", "/audit", json={"entries": [e]}).status_code == 401

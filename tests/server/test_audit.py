"""The clients' audit trails uploaded to the server: checked link by link, kept once, forks kept and
marked, gaps and rewritten entries refused; listed and verified by the admin command line."""

from __future__ import annotations

import json
from typing import Any

from app.models.audit_chain import GENESIS, entry_hash
from server.schema import audit_entries
from tests.server.helpers import add_user


def chain(
    device: str, n: int, start: int = 1, prev: str = GENESIS, tag: str = "", actor: str = "c1", at: Any = None
) -> list[dict[str, Any]]:
    """``n`` linked entries of ``device`` from ``start``; ``at(seq)`` gives an entry's time."""
    out = []
    for seq in range(start, start + n):
        when = at(seq) if at else f"2026-11-23T08:{seq // 60 % 60:02d}:{seq % 60:02d}.000Z"
        e = {
            "seq": seq,
            "at": when,
            "actor": actor,
            "device": device,
            "entity": "customer" if seq % 3 else "export",
            "entity_id": f"id-{seq}{tag}",
            "action": "update",
            "field": "shop_name",
            "old": json.dumps(f"旧{seq}", ensure_ascii=False),
            "new": json.dumps(f"新{seq}{tag}", ensure_ascii=False),
            "source": "manual",
            "source_ref": "",
            "info_date": None,
        }
        e["prev_hash"], e["hash"] = prev, entry_hash(prev, e)
        prev = e["hash"]
        out.append(e)
    return out


def up(api, token, entries):
    return api.call("POST", "/audit", token, json={"entries": entries})


def held(db, device="dev-c1"):
    with db.read() as conn:
        return (
            conn.execute(
                audit_entries.select()
                .where(audit_entries.c.device == device)
                .order_by(audit_entries.c.seq, audit_entries.c.id)
            )
            .mappings()
            .all()
        )


def test_upload_in_pages_replay_changes_nothing(api, world, db):
    entries = chain("dev-c1", 7)
    r = up(api, world["c1"], entries[:4])
    assert r.status_code == 200 and r.json() == {"stored": 4, "known": 0, "forked": 0, "head": 4}
    r = up(api, world["c1"], entries[2:])  # overlapping retry: the first two are known already
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
    tampered[2]["new"] = json.dumps("改过的", ensure_ascii=False)  # content changed, hash kept
    r = up(api, world["c1"], tampered)
    assert r.status_code == 422 and r.json()["code"] == "audit_broken"
    assert r.json()["fields"][0]["field"] == "entries[2].hash"
    skipped = [entries[0], entries[2]]  # a hole inside the request
    r = up(api, world["c1"], skipped)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "entries[1].prev_hash"
    other = up(api, world["c1"], chain("someone-elses-laptop", 2))  # of another device
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
    assert [(r["seq"], r["forked"]) for r in rows] == [
        (1, False),
        (2, False),
        (3, False),
        (4, True),
        (4, True),
        (5, True),
        (5, True),
        (6, False),
    ]
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
    assert code == 0 and [(r["device"], r["seq"], r["uploaded_by"]) for r in rows] == [
        ("dev-9", s, "c9") for s in (1, 2, 3)
    ]
    _, out, _ = run("audit", "list", "--entity", "export")
    assert {(r["device"], r["seq"]) for r in json.loads(out)} == {("dev-c1", 3), ("dev-9", 3)}
    _, out, _ = run("audit", "list", "--limit", "2", "--device", "dev-c1")
    assert [r["seq"] for r in json.loads(out)] == [3, 4]
    with db.engine.begin() as conn:  # someone edits the copy
        conn.execute(
            audit_entries.update()
            .where(audit_entries.c.device == "dev-9", audit_entries.c.seq == 2)
            .values(new='"altered"')
        )
    code, out, _ = run("audit", "verify")
    assert code == 1 and out.strip() == "dev-9 #2: the entry does not match its hash"


def test_bad_bodies_are_4xx(api, world):
    assert up(api, world["c1"], []).status_code == 422
    e = chain("dev-c1", 1)[0]
    for bad in ({**e, "seq": 0}, {**e, "hash": "xyz"}, {**e, "old": "a\x00b"}, {**e, "extra": 1}):
        r = up(api, world["c1"], [bad])
        assert r.status_code == 422, (bad, r.text)
    assert api.call("POST", "/audit", json={"entries": [e]}).status_code == 401


# ---- who and when: entries bound to the signed-in user and their device ---------------------------


def test_an_entry_naming_another_user_is_refused(api, world, db):
    for actor in ("s1", "S1", "admin", "c2"):
        r = up(api, world["c1"], chain("dev-c1", 2, actor=actor))
        assert r.status_code == 422, actor
        assert r.json()["fields"][0]["field"] == "entries[0].actor" and r.json()["fields"][0]["code"] == "audit.actor"
    mixed = chain("dev-c1", 3)
    mixed[2]["actor"] = "s2"
    mixed[2]["hash"] = entry_hash(mixed[2]["prev_hash"], mixed[2])
    assert up(api, world["c1"], mixed).json()["fields"][0]["field"] == "entries[2].actor"
    assert held(db) == []


def test_the_archives_own_name_is_pinned_at_the_first_upload(api, world, db):
    """A trail written before the archive was bound to the server names the laptop's user ("zhang")."""
    first = chain("dev-c1", 3, actor="zhang")
    assert up(api, world["c1"], first).status_code == 200
    more = chain("dev-c1", 2, start=4, prev=first[-1]["hash"], actor="c1")  # the signed-in user: fine
    assert up(api, world["c1"], more).status_code == 200
    other = chain("dev-c1", 1, start=6, prev=more[-1]["hash"], actor="li")  # a second local name: no
    r = up(api, world["c1"], other)
    assert r.status_code == 422 and r.json()["fields"][0]["code"] == "audit.actor"
    assert [r["actor"] for r in held(db)] == ["zhang"] * 3 + ["c1"] * 2


def test_back_dated_and_future_entries_are_refused(api, world, db):
    import datetime as dt

    first = chain("dev-c1", 3)  # 08:00:01 … 08:00:03
    assert up(api, world["c1"], first).status_code == 200
    back = chain("dev-c1", 1, start=4, prev=first[-1]["hash"], at=lambda s: "2026-11-23T07:00:00.000Z")
    r = up(api, world["c1"], back)
    assert r.status_code == 422 and r.json()["fields"][0] == {
        "field": "entries[0].at",
        "code": "audit.time",
        "message": "Entry 4 is dated before the entry before it (2026-11-23T07:00:00.000Z).",
    }
    inside = chain(
        "dev-c1",
        3,
        start=4,
        prev=first[-1]["hash"],
        at=lambda s: {4: "2026-11-23T09:00:00.000Z", 5: "2026-11-23T08:30:00.000Z"}.get(s, "2026-11-23T10:00:00Z"),
    )
    assert up(api, world["c1"], inside).json()["fields"][0]["field"] == "entries[1].at"
    slack = chain("dev-c1", 1, start=4, prev=first[-1]["hash"], at=lambda s: "2026-11-23T07:58:00.000Z")
    assert up(api, world["c1"], slack).status_code == 200  # a clock set back two minutes (NTP) is not an attack
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat().replace("+00:00", "Z")
    future = chain("dev-c1", 1, start=5, prev=slack[0]["hash"], at=lambda s: ahead)
    r = up(api, world["c1"], future)
    assert r.status_code == 422 and r.json()["fields"][0]["code"] == "audit.time"
    assert [r["seq"] for r in held(db)] == [1, 2, 3, 4]


def test_a_device_id_belongs_to_one_account_over_http(server_process, db, run):
    """Another collector signing in with c1's device id cannot reach c1's trail (a real server)."""
    import httpx

    from tests.server.helpers import PASSWORD, PROTO

    for name in ("c1", "c3"):
        assert run("user", "add", name, "--role", "collector")[0] == 0
    server_process.start()
    with httpx.Client(base_url=server_process.url + "/api/v1", headers=PROTO) as c:

        def login(name: str, device: str) -> httpx.Response:
            return c.post(
                "/auth/login",
                json={"username": name, "password": PASSWORD, "device_id": device, "device_name": "laptop"},
            )

        t1 = login("c1", "laptop-of-c1").json()["access_token"]
        trail = chain("laptop-of-c1", 4)
        assert c.post("/audit", json={"entries": trail}, headers={"Authorization": f"Bearer {t1}"}).status_code == 200
        stolen = login("c3", "laptop-of-c1")
        assert stolen.status_code == 409 and stolen.json()["code"] == "conflict"
        t3 = login("c3", "laptop-of-c3").json()["access_token"]
        fork = chain("laptop-of-c1", 2, start=3, prev=trail[1]["hash"], tag="-forged", actor="c3")
        r = c.post("/audit", json={"entries": fork}, headers={"Authorization": f"Bearer {t3}"})
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "entries[0].device"
        assert login("c1", "laptop-of-c1").status_code == 200  # the owner still signs in from it
    rows = held(db, "laptop-of-c1")
    assert [(r["seq"], r["forked"]) for r in rows] == [(s, False) for s in (1, 2, 3, 4)]
    code, _, err = run("audit", "verify")
    assert code == 0 and "intact" in err


# ---- the copy is tamper-evident against the database itself ---------------------------------------


def _trail_of_c1(api, world, pages=(3, 2, 2)):
    """c1's trail uploaded in ``pages`` (each upload is one signed acknowledgement)."""
    entries = chain("dev-c1", sum(pages))
    at = 0
    for n in pages:
        assert up(api, world["c1"], entries[at : at + n]).status_code == 200
        at += n
    return entries


def _sql(db, statement, **params):
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_a_rewritten_entry_with_the_chain_recomputed_is_found(api, world, db, run):
    entries = _trail_of_c1(api, world)
    assert run("audit", "verify")[0] == 0
    forged = [dict(e) for e in entries]  # entry 4 changed, every hash after it recomputed
    forged[3]["new"] = json.dumps("改过的", ensure_ascii=False)
    for i in range(3, len(forged)):
        forged[i]["prev_hash"] = forged[i - 1]["hash"] if i else GENESIS
        forged[i]["hash"] = entry_hash(forged[i]["prev_hash"], forged[i])
    for old, new in zip(entries[3:], forged[3:], strict=True):
        _sql(
            db,
            "UPDATE audit_entries SET new = :new, prev_hash = :p, hash = :h WHERE device = 'dev-c1' AND hash = :o",
            new=new["new"],
            p=new["prev_hash"],
            h=new["hash"],
            o=old["hash"],
        )
    code, out, _ = run("audit", "verify")
    assert code == 1
    assert "dev-c1 #5: the entry acknowledged on" in out and "#5" in out and "was rewritten" in out
    assert "dev-c1 #7: the entry acknowledged on" in out
    assert "dev-c1 #4–#7: 4 entries that no acknowledgement covers" in out  # where the rewriting starts
    assert "#3: the entry acknowledged" not in out


def test_a_deleted_newest_entry_is_found(api, world, db, run):
    _trail_of_c1(api, world)
    _sql(db, "DELETE FROM audit_entries WHERE device = 'dev-c1' AND seq = 7")
    code, out, _ = run("audit", "verify")
    assert code == 1 and out.startswith("dev-c1 #7: the entry acknowledged on") and "is missing (deleted)" in out


def test_a_deleted_trail_is_found(api, world, db, run):
    _trail_of_c1(api, world)
    _sql(db, "DELETE FROM audit_entries WHERE device = 'dev-c1'")
    code, out, _ = run("audit", "verify")
    assert code == 1 and out.strip().startswith("dev-c1: the server acknowledged entries up to #7")
    assert "the trail was deleted" in out


def test_altered_or_deleted_acknowledgements_are_found(api, world, db, run):
    _trail_of_c1(api, world)
    _sql(db, "UPDATE audit_acks SET seq = 6 WHERE device = 'dev-c1' AND n = 3")  # no key: cannot re-sign
    code, out, _ = run("audit", "verify")
    assert code == 1 and "dev-c1 #6: acknowledgement 3 does not match its signature (altered)" in out
    _sql(db, "DELETE FROM audit_acks WHERE device = 'dev-c1' AND n = 2")
    code, out, _ = run("audit", "verify")
    assert "dev-c1: acknowledgements 2–2 are missing (deleted)" in out


def test_deleting_the_newest_acknowledgements_is_found(api, world, db, run):
    _trail_of_c1(api, world)
    _sql(db, "DELETE FROM audit_acks WHERE device = 'dev-c1' AND n = 3")  # entries kept
    code, out, _ = run("audit", "verify")
    assert code == 1 and "dev-c1 #6–#7: 2 entries that no acknowledgement covers" in out
    _sql(db, "DELETE FROM audit_acks")  # the table emptied
    code, out, _ = run("audit", "verify")
    assert code == 1 and "dev-c1: 7 entries held and no signed acknowledgement" in out


def test_the_checkpoint_finds_newest_entries_deleted_with_their_acknowledgement(api, world, db, run, tmp_path):
    """Deleting the newest upload and its acknowledgement leaves a consistent database: only the
    checkpoint kept outside it (``audit verify --checkpoint``) tells."""
    entries = _trail_of_c1(api, world, pages=(3, 2))
    mark = tmp_path / "audit-checkpoint.json"
    code, _, _ = run("audit", "verify", "--checkpoint", str(mark))
    assert code == 0 and json.loads(mark.read_text())["devices"]["dev-c1"]["n"] == 2
    more = chain("dev-c1", 2, start=6, prev=entries[-1]["hash"])
    assert up(api, world["c1"], more).status_code == 200
    assert run("audit", "verify", "--checkpoint", str(mark))[0] == 0  # moves on to acknowledgement 3
    _sql(db, "DELETE FROM audit_entries WHERE device = 'dev-c1' AND seq > 3")
    _sql(db, "DELETE FROM audit_acks WHERE device = 'dev-c1' AND n > 1")
    assert run("audit", "verify")[0] == 0  # consistent without the checkpoint
    code, out, _ = run("audit", "verify", "--checkpoint", str(mark))
    assert code == 1 and "dev-c1: acknowledgement 3 (#7), in the checkpoint, is missing" in out
    assert json.loads(mark.read_text())["devices"]["dev-c1"]["n"] == 3  # a failed verify keeps the checkpoint


def test_verify_needs_the_key_that_signed(api, world, db, run, monkeypatch):
    _trail_of_c1(api, world, pages=(2,))
    monkeypatch.setenv("FIELDARCHIVE_AUDIT_KEY", "ab" * 32)  # another key
    code, out, _ = run("audit", "verify")
    assert code == 1 and "dev-c1 #2: acknowledgement 1 does not match its signature" in out


def test_trails_from_before_the_acknowledgements_are_signed_once(api, world, db, run, settings):
    """After the upgrade a trail uploaded earlier has no acknowledgement: verify says so until
    ``audit sign-legacy`` vouches for it (only if its entries check out)."""
    _trail_of_c1(api, world, pages=(4,))
    add_user(db, settings, "c9", "collector", "s1")
    assert up(api, api.token("c9", device="dev-9"), chain("dev-9", 3, actor="c9")).status_code == 200
    _sql(db, "DELETE FROM audit_acks")  # as uploaded before migration 0006
    _sql(db, "UPDATE audit_entries SET new = '\"x\"' WHERE device = 'dev-9' AND seq = 2")
    code, out, _ = run("audit", "verify")
    assert code == 1 and "dev-c1: 4 entries held and no signed acknowledgement" in out
    code, out, _ = run("audit", "sign-legacy")
    assert code == 1 and out.splitlines() == [
        "dev-9: not signed, entry #2 does not check out",
        "dev-c1: signed up to #4",
    ]
    code, out, _ = run("audit", "verify")
    assert "dev-c1" not in out and "dev-9 #2: the entry does not match its hash" in out
    more = chain("dev-c1", 2, start=5, prev=chain("dev-c1", 4)[-1]["hash"])
    assert up(api, world["c1"], more).status_code == 200  # the chain of acknowledgements goes on
    assert "dev-c1" not in run("audit", "verify")[1]


def test_entries_uploaded_by_another_account_are_named(api, world, db, run):
    """Before 0006 a second account could sign in with a device id and upload into its trail."""
    from sqlalchemy import select as _select

    from server.schema import users

    _trail_of_c1(api, world, pages=(3,))
    with db.read() as conn:
        c3 = conn.execute(_select(users.c.id).where(users.c.name == "c3")).scalar_one()
    _sql(db, "UPDATE audit_entries SET uploaded_by_id = :u WHERE device = 'dev-c1' AND seq >= 2", u=c3)
    code, out, _ = run("audit", "verify")
    assert code == 1 and "dev-c1 #2: 2 entries uploaded by another account than the device's (c1)" in out


def test_verify_walks_the_devices_a_page_at_a_time(api, world, db, run, monkeypatch):
    """The devices are found a page at a time (issue 21: memory holds a page, not the province's devices):
    each one checked once, those with entries and then those left with acknowledgements only."""
    from server import audit

    monkeypatch.setattr(audit, "DEVICE_PAGE", 2)
    for i in range(5):
        assert up(api, api.token("c1", device=f"dev-p{i}"), chain(f"dev-p{i}", 3)).status_code == 200
    assert run("audit", "verify")[0] == 0
    _sql(db, "DELETE FROM audit_entries WHERE device IN ('dev-p1', 'dev-p4')")  # two trails deleted
    _sql(db, "UPDATE audit_entries SET new = '\"x\"' WHERE device = 'dev-p2' AND seq = 2")  # one entry altered
    code, out, _ = run("audit", "verify")
    assert code == 1
    named = [line.split(" ")[0].rstrip(":") for line in out.splitlines()]
    assert named == ["dev-p2", "dev-p1", "dev-p4"], out
    assert "dev-p2 #2: the entry does not match its hash" in out
    assert out.count("the trail was deleted") == 2

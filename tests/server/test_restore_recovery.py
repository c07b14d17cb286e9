"""Issue 20, "restoring is a real event for clients": a real server process on SQLite and PostgreSQL, three
real client archives (two collectors and their supervisor). Work is synced, the server is backed up, more
work is synced by all three (new customers, edits, visits, approvals, a photo, audit entries) and one
collector has unsynced work; the backup is restored into an empty database and the server restarted. Then
every client syncs twice (the second round brings each client what the others sent again in the first;
docs/sync-protocol.md, "After a server restore"), and the server holds everything any client had: each
archive equals its scope on the server, nothing is duplicated, the codes issued are kept and never issued
again, and the audit copy verifies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from app.models import times
from app.models.record import CustomerStatus
from app.services import integrity, records, review, service, syncing
from app.services.demo import generate
from server.db import Database
from server.schema import (
    audit_entries,
    complaints,
    customers,
    feed_counter,
    integrity_entries,
    photos,
    service_records,
    visits,
)
from tests.complete import with_photos
from tests.server.conftest import ServerProcess
from tests.server.test_backup import cli, empty_url, key  # noqa: F401, F811  (fixtures)
from tests.sync.conftest import SERVER_PASSWORD, Client

YESTERDAY = (times.today() - dt.timedelta(days=1)).isoformat()


def local_state(c: Client) -> dict[str, tuple[Any, ...]]:
    """The client's live customers: id → (values, status, code)."""
    arc = c.session._archive
    with arc.db.reading() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM customer WHERE deleted_at IS NULL"))]
    out = {}
    for cid in ids:
        rec = arc.customers.get(cid)
        out[cid] = (rec.values, rec.status.value, rec.code if rec.code_official else None)
    return out


def server_scope(c: Client) -> dict[str, tuple[Any, ...]]:
    """The customers the server shows this client's account (its feed from 0), in the same form."""
    client = syncing.client_for(c.session)
    out: dict[str, tuple[Any, ...]] = {}
    cursor = 0
    try:
        while True:
            page = client.pull(cursor, 1000)
            for ch in page.changes:
                r = ch.record
                if r is None:
                    out.pop(ch.rid or "", None)
                    continue
                if r.deleted:
                    out.pop(r.id, None)
                    continue
                values = {k: v for k, v in r.values.items() if v not in (None, "", [])}
                out[r.id] = (values, r.status, r.code if r.code_official else None)
            cursor = page.cursor
            if not page.more:
                return out
    finally:
        client.close()


def local_visits(c: Client) -> set[str]:
    with c.session._archive.db.reading() as conn:
        return {r[0] for r in conn.execute(text("SELECT id FROM visit WHERE deleted_at IS NULL"))}


def sync_ok(c: Client) -> Any:
    out = c.sync()
    assert out.complete and not out.audit_problem, (c.name, out)
    return out


def test_a_restore_to_an_older_backup_plus_two_syncs_of_every_client_loses_nothing(
    backend,
    db,
    db_url,
    empty_url,  # noqa: F811  (the fixture imported above)
    key,  # noqa: F811
    tmp_path,
    memory_keyring,
):
    env = {"FIELDARCHIVE_NEW_PASSWORD": SERVER_PASSWORD}
    for args in (("s1", "--role", "supervisor"), ("c1", "--role", "collector", "--supervisor", "s1")):
        assert cli("user", "add", *args, "--database", db_url, env=env).returncode == 0
    assert (
        cli("user", "add", "c2", "--role", "collector", "--supervisor", "s1", "--database", db_url, env=env).returncode
        == 0
    )
    server = ServerProcess(db_url, tmp_path).start()
    made: list[Client] = []

    def client(name: str) -> Client:
        c = Client(tmp_path / f"home-{name}", name).__enter__()
        made.append(c)
        c.login(server)
        return c

    try:
        c1, c2, s1 = client("c1"), client("c2"), client("s1")
        demo = list(generate(8, seed=2020, complete=True))  # P and N are approved: complete
        # ---- before the backup: A and P by c1 (P submitted), B by c2; everyone synced
        a, _ = records.save_draft(c1.session, demo[0])
        p, _ = records.save_draft(c1.session, with_photos(c1.session, demo[1]))
        assert records.submit(c1.session, [p.id])[0] == [p.id]
        b, _ = records.save_draft(c2.session, demo[2])
        kept = integrity.add_entry(c2.session, b.id, "licence", "collector", YESTERDAY, "许可证已年审")
        kept_plan = service.plan_visit(c2.session, b.id, YESTERDAY, "季度走访")
        for c in (c1, c2, s1):
            sync_ok(c)
        done = cli("backup", str(tmp_path / "nightly.fabak"), "--database", db_url, "--key-file", str(key))
        assert done.returncode == 0, done.stderr
        before_epoch = s1.session._archive.recovery.epoch()
        assert before_epoch  # learnt at the first sync

        # ---- after the backup, synced: c1 edits A, creates N and submits it; c2 creates M with a photo
        # and visits B (with a photo); s1 approves P and N (two official codes)
        records.save_draft(c1.session, {**a.values, "address": "陕西省西安市雁塔区恢复路1号"}, a.id)
        n, _ = records.save_draft(c1.session, with_photos(c1.session, demo[3]))
        assert records.submit(c1.session, [n.id])[0] == [n.id]
        shot = c2.session._archive.media.put_photo(b"\xff\xd8restore-test-photo" * 50, "image/jpeg", 640, 480)
        m, _ = records.save_draft(c2.session, {**demo[4], "photo_storefront": [shot.sha256]})
        records.add_visit(c2.session, b.id, YESTERDAY, "回访", "门店正常营业", "", [shot.sha256])
        records.add_visit(c1.session, a.id, YESTERDAY, "回访", "核实地址", "")
        # integrity records after the backup: c2's entry on B (with the photo), c1's complaint on A, closed
        lost = integrity.add_entry(
            c2.session, b.id, "violation", "monopoly", YESTERDAY, "超范围经营", photos=[shot.sha256]
        )
        complaint = integrity.open_complaint(c1.session, a.id, "phone", YESTERDAY, "价格不明示", "张三", "13912345678")
        lost_care = service.add_care_date(c1.session, a.id, "1980-05-12", "birthday", True)
        lost_plan = service.plan_visit(c2.session, b.id, YESTERDAY, "复查陈列")
        sync_ok(c1)
        sync_ok(c2)
        sync_ok(s1)
        assert review.decide(s1.session, [p.id, n.id], "approve") == 2
        sync_ok(s1)
        sync_ok(c1)
        sync_ok(c2)
        code_p = c1.session._archive.customers.get(p.id).code
        code_n = c1.session._archive.customers.get(n.id).code
        assert code_p and code_n and code_p != code_n
        assert c1.session._archive.customers.get(n.id).status is CustomerStatus.APPROVED
        # ---- unsynced on c1: another edit of A, a new customer U
        records.save_draft(
            c1.session, {**c1.session._archive.customers.get(a.id).values, "landline": "029-88880001"}, a.id
        )
        u, _ = records.save_draft(c1.session, demo[5])
        everything = {a.id, p.id, n.id, b.id, m.id, u.id}
        all_visits = local_visits(c1) | local_visits(c2)
        assert len(all_visits) == 2

        # ---- the server is lost; last night's backup is restored into a new database
        server.stop()
        done = cli("restore", str(tmp_path / "nightly.fabak"), "--database", empty_url, "--key-file", str(key))
        assert done.returncode == 0, done.stderr
        restored = ServerProcess(empty_url, tmp_path)
        restored.port, restored.url = server.port, server.url  # the same address: the clients know it
        server = restored.start()
        rdb = Database(empty_url)
        try:
            with rdb.read() as conn:
                assert {r[0] for r in conn.execute(select(customers.c.id))} == {a.id, p.id, b.id}  # the backup's
                assert conn.execute(select(feed_counter.c.epoch)).scalar() != before_epoch

            # ---- every client syncs twice; the supervisor goes first, before the owners brought anything back
            for c in (s1, c1, c2):
                out = sync_ok(c)
                assert out.server_restored and out.rebuilt
            for c in (s1, c1, c2):
                out = sync_ok(c)
                assert not out.server_restored

            # the server has everything any client had, each record once
            with rdb.read() as conn:
                ids = [r[0] for r in conn.execute(select(customers.c.id))]
                assert sorted(ids) == sorted(everything)
                row = {r.id: r for r in conn.execute(select(customers))}
                server_visits = [r[0] for r in conn.execute(select(visits.c.id))]
                assert sorted(server_visits) == sorted(all_visits)  # sent again, none twice
                assert (
                    conn.execute(
                        select(func.count()).select_from(photos).where(photos.c.sha256 == shot.sha256)
                    ).scalar()
                    == 1
                )
            a_values = json.loads(row[a.id].data)
            assert a_values["address"] == "陕西省西安市雁塔区恢复路1号"  # acknowledged, lost, sent again
            assert a_values["landline"] == "029-88880001"  # never synced before the restore
            assert (row[p.id].status, row[p.id].code) == ("approved", code_p)  # the decision, with its code
            assert (row[n.id].status, row[n.id].code) == ("approved", code_n)  # re-created, re-submitted, re-approved
            assert json.loads(row[m.id].missing_photos or "[]") == []  # the photo came back
            with rdb.read() as conn:  # the integrity records, each once: the one kept and the two sent again
                held = conn.execute(select(integrity_entries.c.id, integrity_entries.c.photos)).all()
                assert sorted(r.id for r in held) == sorted([kept.id, lost.id])
                assert json.loads(dict(held)[lost.id]) == [shot.sha256]
                [(cid, name, status)] = conn.execute(
                    select(complaints.c.id, complaints.c.complainant_name, complaints.c.status)
                ).all()
                assert (cid, name, status) == (complaint.id, "张三", "received")
            for c, cust in ((c2, b.id), (s1, b.id), (c1, a.id)):
                assert {e.state for e in integrity.entries(c.session, cust)} <= {"synced"}, c.name
            assert sorted(e.id for e in integrity.entries(s1.session, b.id)) == sorted([kept.id, lost.id])
            assert [(x.id, x.state) for x in integrity.complaints(s1.session, a.id)] == [(complaint.id, "synced")]
            with rdb.read() as conn:  # the service records, each once: the one kept and the two sent again
                held_service = [r[0] for r in conn.execute(select(service_records.c.id))]
                assert sorted(held_service) == sorted([kept_plan.id, lost_care.id, lost_plan.id])
            for c, cust in ((c2, b.id), (s1, b.id), (c1, a.id)):
                assert {r.state for r in service.of_customer(c.session, cust)} == {"synced"}, c.name
            assert {r.id for r in service.of_customer(s1.session, b.id)} == {kept_plan.id, lost_plan.id}

            # every archive equals its scope on the server
            for c in (c1, c2, s1):
                assert local_state(c) == server_scope(c), c.name
                assert c.session._archive.outbox.outbox_count() == 0
            assert set(local_state(s1)) == everything

            # the audit trail: every entry of every computer on the server again, and the copy verifies
            with rdb.read() as conn:
                for c in (c1, c2, s1):
                    device = c.session._archive.meta.device_id
                    with c.session._archive.db.reading() as lc:
                        local = [tuple(r) for r in lc.execute(text("SELECT seq, hash FROM audit ORDER BY seq"))]
                    held = conn.execute(
                        select(audit_entries.c.seq, audit_entries.c.hash)
                        .where(audit_entries.c.device == device)
                        .order_by(audit_entries.c.seq)
                    ).all()
                    assert [tuple(r) for r in held] == local, c.name
            verify = cli(
                "audit", "verify", "--database", empty_url, "--audit-key-file", str(Path(tmp_path) / "audit.key")
            )
            assert verify.returncode == 0 and "intact" in verify.stderr, verify.stdout + verify.stderr

            # the codes the clients hold are never issued again
            z, _ = records.save_draft(c2.session, with_photos(c2.session, demo[6]))
            records.submit(c2.session, [z.id])
            sync_ok(c2)
            sync_ok(s1)
            assert review.decide(s1.session, [z.id], "approve") == 1
            sync_ok(s1)
            code_z = s1.session._archive.customers.get(z.id).code
            assert code_z and code_z not in (code_p, code_n)
        finally:
            rdb.dispose()
    finally:
        for c in made:
            c.__exit__()
        server.stop()

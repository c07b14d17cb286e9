"""The archive's side of a server restore (app/storage/recovery.py), on a real archive without a server:
a record the feed shows older than acknowledged here is rebased (the owner keeps its values, anyone else
takes the server's with its own unsynced edits), rows frozen for the old database are worked out again,
the decision this user took is queued again with its code, and the owner's records the server no longer
has are re-created ahead of anything queued for them, with this computer's visits sent again."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from app.models.remote import FeedChange, RemoteRecord
from app.models.wire import ChangeKind
from app.services import records
from app.services.demo import generate
from app.services.sync_store import sync_store
from app.sync.ports import SyncStore

CODE = "610113000007"


def page(store: SyncStore, *recs: RemoteRecord, cursor: int = 9, seen: set[str] | None = None) -> None:
    store.answers.apply_feed_page([FeedChange(i + 1, ChangeKind.RECORD, r) for i, r in enumerate(recs)], cursor, seen)


def outbox(session: Any) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    with session._archive.db.reading() as c:
        rows = c.execute(text("SELECT kind, record_id, state, extra FROM outbox ORDER BY seq")).all()
    return [(k, r, s, json.loads(e) if e else None) for k, r, s, e in rows]


def row(session: Any, rid: str) -> dict[str, Any]:
    with session._archive.db.reading() as c:
        return dict(c.execute(text("SELECT * FROM customer WHERE id = :i"), {"i": rid}).mappings().one())


def approved(rid: str, values: dict[str, Any], version: int = 3) -> RemoteRecord:
    review = {"submitted_by": "c1", "action": "approve", "by": "s1", "reason": "", "fields": []}
    return RemoteRecord(rid, version, "approved", {**values, "customer_code": CODE}, CODE, True, None, review, "c1")


def test_a_supervisor_sends_its_approval_again_and_keeps_only_its_own_edits(session) -> None:
    store, arc = sync_store(session), session._archive
    arc.meta.set("sync_user", "s1")
    values = next(generate(1, seed=41))
    rid = "01a24b01-0000-7000-8000-000000000001"
    page(store, approved(rid, {**values, "address": "陕西省西安市新城区旧址9号"}))
    mine = dict(arc.customers.get(rid).values)
    records.save_draft(session, {**mine, "landline": "029-88880002"}, rid)  # unsynced, by the supervisor
    arc.recovery.begin("epoch-2")
    assert arc.meta.get("sync_cursor") == "0" and arc.recovery.pending()
    older = RemoteRecord(rid, 2, "pending", values, None, False, None, {"submitted_by": "c1"}, "c1")
    page(store, older, cursor=2, seen=set())
    assert store.recovery.take_rebased() == 1 and store.recovery.take_rebased() == 0
    r = row(session, rid)
    assert r["version"] == 2 and r["status"] == "pending"
    data = json.loads(r["data"])
    assert data["address"] == values["address"]  # the server's value: the collector's laptop vouches for values
    assert data["landline"] == "029-88880002"  # the supervisor's own unsynced edit stays
    kinds = [(k, e) for k, _r, _s, e in outbox(session)]
    assert kinds[0][0] == "customer.save"
    assert kinds[1] == ("review.decide", {"decision": {"action": "approve", "reason": "", "fields": [], "code": CODE}})
    heads = store.outbox.outbox_heads(10)
    (head, local) = heads[0]
    assert local.version == 2 and head.body is None  # sent on the server's version: no false conflict


def test_the_owner_keeps_its_values_and_unfreezes_what_was_sent_to_the_old_database(session) -> None:
    store, arc = sync_store(session), session._archive
    arc.meta.set("sync_user", "c1")
    values = next(generate(1, seed=42))
    rid = "01a24b01-0000-7000-8000-000000000002"
    v3 = {**values, "address": "陕西省西安市新城区恢复路3号"}
    page(store, RemoteRecord(rid, 3, "draft", v3, None, False, None, None, "c1"))
    records.save_draft(session, {**arc.customers.get(rid).values, "landline": "029-88880003"}, rid)
    (head, _local), *_ = store.outbox.outbox_heads(10)
    sent_id = head.mutation_id
    store.outbox.freeze([(head.seq, {"mutation_id": sent_id, "base_version": 3})])  # sent, never answered
    arc.recovery.begin("epoch-2")
    page(store, RemoteRecord(rid, 1, "draft", values, None, False, None, None, "c1"), cursor=1, seen=set())
    r = row(session, rid)
    assert r["version"] == 1 and json.loads(r["data"])["address"] == v3["address"]
    (head, _local), *_ = store.outbox.outbox_heads(10)
    assert head.state == "pending" and head.body is None and head.mutation_id != sent_id  # worked out again
    assert [k for k, *_ in outbox(session)] == ["customer.save"]


def test_the_owners_records_the_server_lost_are_re_created_first_with_its_visits(session) -> None:
    store, arc = sync_store(session), session._archive
    arc.meta.set("sync_user", "tester")
    values = next(generate(1, seed=43))
    lost, kept = "01a24b01-0000-7000-8000-000000000003", "01a24b01-0000-7000-8000-000000000004"
    review = {"submitted_by": "tester"}
    page(
        store,
        RemoteRecord(lost, 2, "pending", values, None, False, None, review, "tester"),
        RemoteRecord(kept, 1, "draft", values, None, False, None, None, "someone-else"),
    )
    records.add_visit(session, lost, "2026-11-20", "回访", "正常", "")  # unsynced: its row is queued already
    arc.recovery.begin("epoch-2")
    seen: set[str] = set()
    page(store, cursor=0, seen=seen)
    assert store.recovery.finish(seen) == 1 and not arc.recovery.pending()
    r = row(session, lost)
    assert r["version"] == 0 and r["sync_state"] == "pending"
    assert [(k, rid) for k, rid, _s, _e in outbox(session)] == [
        ("customer.save", lost),  # the re-creation goes ahead of the visit queued before
        ("visit.create", lost),
        ("customer.submit", lost),
    ]
    assert row(session, kept)["deleted_at"] is None  # another's record: kept for its owner to bring back


def test_a_deletion_the_server_lost_is_sent_again_but_not_a_revoke(session) -> None:
    from app.models.record import Provenance, Source

    store, arc = sync_store(session), session._archive
    arc.meta.set("sync_user", "tester")
    values = next(generate(1, seed=44))
    deleted, revoked = "01a24b01-0000-7000-8000-000000000005", "01a24b01-0000-7000-8000-000000000006"
    page(
        store,
        RemoteRecord(deleted, 2, "draft", values, None, False, None, None, "tester"),
        RemoteRecord(revoked, 2, "draft", values, None, False, None, None, "tester"),
    )
    assert arc.customers.soft_delete(deleted, Provenance("tester", Source.MANUAL))
    with arc.db.transaction() as tx:  # the deletion was sent and acknowledged (version 3)
        tx.execute(text("DELETE FROM outbox"))
        tx.execute(text("UPDATE customer SET version = 3, sync_state = 'synced' WHERE id = :i"), {"i": deleted})
    store.answers.apply_feed_page([FeedChange(5, ChangeKind.REVOKE, record_id=revoked)], 9, None)  # left our scope
    with arc.db.transaction() as tx:
        tx.execute(text("UPDATE customer SET version = 3 WHERE id = :i"), {"i": revoked})
    arc.recovery.begin("epoch-2")
    older = [RemoteRecord(i, 2, "draft", values, None, False, None, None, "tester") for i in (deleted, revoked)]
    page(store, *older, cursor=2, seen=set())
    assert [(k, r) for k, r, _s, _e in outbox(session)] == [("customer.delete", deleted)]
    assert row(session, deleted)["version"] == 2 and row(session, deleted)["deleted_at"] is not None
    assert row(session, revoked)["deleted_at"] is None  # the restored server shows it to us again: back, no deletion

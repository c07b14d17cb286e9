"""Order collection on a visit (订单采集, issue 17; client schema v6): kept in the archive with the visit,
queued for the server with it, sent again after a server restore; a wrong amount refused in Chinese."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.errors import UserFacingError
from app.models.remote import RemoteRecord
from app.services import records
from app.services.demo import generate
from app.services.sync_store import sync_store
from tests.unit.test_restore_recovery import outbox, page


def test_a_visits_order_is_kept_queued_and_sent_again_after_a_restore(session) -> None:
    store, arc = sync_store(session), session._archive
    arc.meta.set("sync_user", "tester")
    rid = "01a24b01-0000-7000-8000-0000000000f1"
    page(store, RemoteRecord(rid, 1, "draft", next(generate(1, seed=61)), None, False, None, None, "tester"))
    plain = records.add_visit(session, rid, "2026-11-19", "回访", "", "")
    with_order = records.add_visit(session, rid, "2026-11-20", "回访", "", "", (), (2, 30, "1234.5"))
    kept = {v.id: (v.orders, v.order_quantity, v.order_amount) for v in arc.media.visits(rid)}
    assert kept == {plain.id: (None, None, None), with_order.id: (2, 30, "1234.5")}
    sent = {e["visit"]["id"]: e["visit"] for k, _r, _s, e in outbox(session) if k == "visit.create" and e}
    assert "orders" not in sent[plain.id]
    assert {k: sent[with_order.id][k] for k in ("orders", "order_quantity", "order_amount")} == {
        "orders": 2,
        "order_quantity": 30,
        "order_amount": "1234.5",
    }
    with arc.db.transaction() as tx:  # both were sent and acknowledged; then the server is restored
        tx.execute(text("DELETE FROM outbox"))
    arc.recovery.begin("epoch-2")
    seen: set[str] = set()
    page(store, RemoteRecord(rid, 1, "draft", next(generate(1, seed=61)), None, False, None, None, "tester"), seen=seen)
    store.recovery.finish(seen)
    again = {e["visit"]["id"]: e["visit"] for k, _r, _s, e in outbox(session) if k == "visit.create" and e}
    assert again[with_order.id]["order_amount"] == "1234.5" and "orders" not in again[plain.id]


def test_a_wrong_order_is_refused(session) -> None:
    rid = records.save_draft(session, {"shop_name": "东关烟酒店"})[0].id
    for order in ((1, 5, "9.999"), (1, 5, "-1"), (1001, 5, "1"), (1, -1, "1")):
        with pytest.raises(UserFacingError) as caught:
            records.add_visit(session, rid, "2026-11-20", "回访", "", "", (), order)
        assert caught.value.message() == "订单须填写订单数、条数和金额（元），例如 900.50。"
    assert session._archive.media.visits(rid) == []

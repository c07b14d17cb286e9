"""The archive's lifecycle through a real server and two clients: a market manager closes an outlet (销户),
the collector's archive shows it closed, out of the working list, found with "include closed", read-only;
the admin's approved destruction erases it from the collector's SQLCipher archive at its next sync."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import text

from app.errors import UserFacingError
from app.models.record import ListQuery
from app.services import lifecycle, records
from app.services.photos import add_photo
from tests.complete import complete_customers


def test_close_find_reopen_then_destroy_and_erase_on_the_clients(server, clients, monkeypatch) -> None:
    server.admin("user", "add", "admin", "--role", "admin")
    c1 = clients("c1")
    values = complete_customers(c1.session, 2, seed=18)
    closed_id = records.save_draft(c1.session, values[0])[0].id
    kept_id = records.save_draft(c1.session, values[1])[0].id
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "JPEG")
    visit_photo = add_photo(c1.session, buf.getvalue()).sha256
    records.add_visit(c1.session, closed_id, c1.session.today().isoformat(), "巡访", "门店已关", "", [visit_photo])
    shop = values[0]["shop_name"]
    c1.login(server)
    assert c1.sync().complete

    s1 = clients("s1")
    s1.login(server)
    s1.sync()
    today = s1.session.today().isoformat()
    with pytest.raises(UserFacingError):  # a collector reports; the market manager decides
        lifecycle.close_outlets(c1.session, [closed_id], "close", today, "许可证注销")
    with pytest.raises(UserFacingError):
        lifecycle.close_outlets(s1.session, [closed_id], "close", today, "  ")
    lifecycle.close_outlets(s1.session, [closed_id], "close", today, "许可证注销")
    assert s1.sync().complete

    assert c1.sync().complete
    arc = c1.session._archive
    customer = records.get(c1.session, closed_id)
    assert customer is not None and customer.closed and customer.closure["reason"] == "许可证注销"
    # out of the working list and its search, found with "include closed"
    listed = {c.id for c in arc.customers.rows(arc.customers.list_pks(ListQuery()))}
    assert closed_id not in listed and kept_id in listed
    every = {c.id for c in arc.customers.rows(arc.customers.list_pks(ListQuery(include_closed=True)))}
    assert closed_id in every
    assert arc.customers.list_pks(ListQuery(text=shop)) == []
    assert len(arc.customers.list_pks(ListQuery(text=shop, include_closed=True))) == 1
    # read-only here, with the reason
    with pytest.raises(UserFacingError) as refused:
        records.save_changes(c1.session, closed_id, {"brand_count": 3})
    assert "许可证注销" in str(refused.value.params) or "许可证注销" in str(refused.value)

    # retention over (0 days for the test), an admin approves the destruction
    monkeypatch.setenv("FIELDARCHIVE_RETENTION_CLOSED_DAYS", "0")
    due = server.admin("retention", "due")
    assert due.stdout.startswith(closed_id)
    server.admin("retention", "destroy", closed_id, "--by", "admin", "--reason", "满期销毁（测试）")
    assert c1.sync().complete
    assert s1.sync().complete
    for who in (c1, s1):
        with who.session._archive.db.reading() as conn:
            assert conn.execute(text("SELECT count(*) FROM customer WHERE id = :i"), {"i": closed_id}).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM customer WHERE id = :i"), {"i": kept_id}).scalar() == 1
            assert (
                conn.execute(text("SELECT count(*) FROM visit WHERE customer_id = :i"), {"i": closed_id}).scalar() == 0
            )
            assert (
                conn.execute(text("SELECT count(*) FROM outbox WHERE record_id = :i"), {"i": closed_id}).scalar() == 0
            )
            assert (
                conn.execute(text("SELECT count(*) FROM customer WHERE data LIKE :s"), {"s": f"%{shop}%"}).scalar() == 0
            )
            erased = conn.execute(
                text("SELECT count(*) FROM audit WHERE entity_id = :i AND action = 'erase'"), {"i": closed_id}
            ).scalar()
            assert erased == 1
    with c1.session._archive.db.reading() as conn:
        assert conn.execute(text("SELECT count(*) FROM photo WHERE sha256 = :s"), {"s": visit_photo}).scalar() == 0

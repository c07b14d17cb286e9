"""Client ↔ real server: push, pull, merge, conflicts resolved by a person, review decisions arriving."""

from __future__ import annotations

from app.models.record import CustomerStatus
from app.services import records
from app.services.demo import generate
from tests.complete import complete_customers


def demo(n: int, seed: int) -> list[dict]:
    return list(generate(n, seed=seed))


def test_a_customer_created_offline_reaches_the_server_and_the_supervisor(server, clients) -> None:
    c1 = clients("c1")
    values = demo(1, 1)[0]
    c, _ = records.save_draft(c1.session, values)
    assert c1.session._archive.outbox.outbox_count() == 1
    c1.login(server)
    out = c1.sync()
    assert out.complete and out.pushed == 1 and out.applied == 1
    assert c1.session._archive.outbox.outbox_count() == 0
    local = c1.session._archive.customers.get(c.id)
    assert local.version == 1
    s1 = clients("s1")
    s1.login(server)
    out = s1.sync()
    assert out.complete and out.received >= 1
    seen = s1.session._archive.customers.get(c.id)
    assert seen is not None and seen.values == local.values
    assert s1.session._archive.outbox.outbox_count() == 0  # what came from the server is not sent back


def test_edits_to_different_fields_merge_and_the_same_field_conflicts(server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    c, _ = records.save_draft(c1.session, demo(1, 2)[0])
    c1.login(server)
    c1.sync()
    s1.login(server)
    s1.sync()
    # offline on both sides
    mine = dict(c1.session._archive.customers.get(c.id).values)
    records.save_draft(c1.session, {**mine, "address": "陕西省西安市碑林区新地址1号", "landline": "029-88881234"}, c.id)
    theirs = dict(s1.session._archive.customers.get(c.id).values)
    records.save_draft(s1.session, {**theirs, "landline": "029-88885678", "business_area": "99"}, c.id)
    assert s1.sync().applied == 1
    out = c1.sync()
    assert out.conflicts == 1 and not out.complete
    fields, server_record = c1.session._archive.outbox.conflict_of(c.id)
    assert [(f.field, f.mine, f.server) for f in fields] == [("landline", "029-88881234", "029-88885678")]
    rebased = c1.session._archive.customers.get(c.id).values
    assert rebased["business_area"] == "99"  # theirs, untouched by us
    assert rebased["address"] == "陕西省西安市碑林区新地址1号"  # ours, untouched by them
    from app.services import syncing

    syncing.resolve_conflict(c1.session, c.id, {"landline": "029-88885678"})  # the person picks the server's
    out = c1.sync()
    assert out.complete
    s1.sync()
    final_s1 = s1.session._archive.customers.get(c.id).values
    final_c1 = c1.session._archive.customers.get(c.id).values
    assert final_s1 == final_c1
    assert final_c1["address"] == "陕西省西安市碑林区新地址1号" and final_c1["business_area"] == "99"
    assert final_c1["landline"] == "029-88885678"


def test_submit_approve_gives_the_official_code(server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    c, _ = records.save_draft(c1.session, complete_customers(c1.session, 1, 3)[0])
    ok, refused = records.submit(c1.session, [c.id])
    assert ok == [c.id]
    c1.login(server)
    assert c1.sync().complete
    assert c1.session._archive.customers.get(c.id).status is CustomerStatus.PENDING
    s1.login(server)
    s1.sync()
    record = s1.session._archive.customers.get(c.id)
    assert record.status is CustomerStatus.PENDING


def test_returned_with_reason_then_fixed_resubmitted_and_approved(server, clients) -> None:
    from app.services import review

    c1, s1 = clients("c1"), clients("s1")
    values = complete_customers(c1.session, 1, 4)[0]
    c, _ = records.save_draft(c1.session, values)
    records.submit(c1.session, [c.id])
    c1.login(server)
    s1.login(server)
    assert c1.sync().complete and s1.sync().complete
    assert review.decide(s1.session, [c.id], "return", "电话号码核实不符", ["contact_phone"]) == 1
    assert s1.session._archive.customers.get(c.id).status is CustomerStatus.RETURNED  # offline, at once
    assert s1.sync().complete
    c1.sync()
    back = c1.session._archive.customers.get(c.id)
    assert back.status is CustomerStatus.RETURNED
    assert c1.session._archive.outbox.review_of(c.id)["reason"] == "电话号码核实不符"
    assert c1.session._archive.outbox.review_of(c.id)["fields"] == ["contact_phone"]
    records.save_draft(c1.session, {**back.values, "contact_phone": "13900001111"}, c.id)
    ok, _ = records.submit(c1.session, [c.id])
    assert ok == [c.id] and c1.sync().complete
    s1.sync()
    assert review.decide(s1.session, [c.id], "approve") == 1
    assert s1.sync().complete
    c1.sync()
    approved = c1.session._archive.customers.get(c.id)
    assert approved.status is CustomerStatus.APPROVED and approved.code_official
    assert approved.code and not approved.code.startswith("TMP-") and approved.values["customer_code"] == approved.code
    assert c1.session._archive.outbox.outbox_count() == 0
    # the collector's history shows each round: returned with its reason, then approved
    rounds = [e.new for e in c1.session._archive.audit.history(c.id) if e.action == "review"]
    assert [(r["action"], r["by"], r.get("reason")) for r in rounds] == [
        ("return", "s1", "电话号码核实不符"),
        ("approve", "s1", ""),
    ]
    statuses = [(e.old, e.new) for e in c1.session._archive.audit.history(c.id) if e.action == "status"]
    assert statuses == [("draft", "pending"), ("pending", "returned"), ("returned", "pending"), ("pending", "approved")]
    # and the market manager's own decisions are not recorded twice when the server confirms them
    assert [e.new["action"] for e in s1.session._archive.audit.history(c.id) if e.action == "review"] == [
        "return",
        "approve",
    ]


def test_a_collector_cannot_decide(server, clients) -> None:
    import pytest

    from app.errors import UserFacingError
    from app.services import review

    c1 = clients("c1")
    c1.login(server)
    with pytest.raises(UserFacingError):
        review.decide(c1.session, [], "approve")

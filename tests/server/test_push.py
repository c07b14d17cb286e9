"""Push: versions, merge and conflict rules, regulated fields, server-side validation, change
policy, idempotent replay, review decisions with official codes, soft deletes."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select

from server.schema import customer_versions, customers, mutations, review_decisions
from tests.server.helpers import complete_values, create, decide, delete, demo_values, mid, save, submit


def test_new_record_is_validated_and_stored_canonically(api, world):
    values = demo_values()[0]
    values["contact_phone"] = "139 1234 5678"
    values["business_area"] = "120.50"
    rec = create(api, world["c1"], values)
    assert rec["values"]["contact_phone"] == "13912345678"
    assert rec["values"]["business_area"] == "120.5"
    assert rec["status"] == "draft" and rec["code"] is None and not rec["code_official"]
    assert rec["owner"] == rec["created_by"] == "c1"


def test_invalid_values_are_rejected_with_per_field_errors(api, world, db):
    rid = str(uuid.uuid4())
    res = api.push1(
        world["c1"],
        save(rid, {"shop_name": "好又多", "id_card": "610102199001011234", "contact_phone": "12345", "nonsense": "x"}),
    )
    assert res["status"] == "rejected" and res["record"] is None
    codes = {(e["field"], e["code"]) for e in res["errors"]}
    assert ("nonsense", "unknown_field") in codes
    res = api.push1(
        world["c1"], save(rid, {"shop_name": "好又多", "id_card": "610102199001011234", "contact_phone": "12345"})
    )
    fields = {e["field"]: e for e in res["errors"]}
    assert fields["id_card"]["code"] == "id_card.checksum"
    assert fields["contact_phone"]["code"] == "phone.format"
    assert "Mobile" in fields["contact_phone"]["message"] or "mobile" in fields["contact_phone"]["message"]
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(customers)).scalar() == 0


def test_missing_required_values_are_allowed_in_drafts(api, world):
    rec = create(api, world["c1"], {"shop_name": "老街便民店"})
    assert rec["values"] == {"shop_name": "老街便民店"}


def test_roles_may_not_edit_system_or_supervisor_fields(api, world):
    rec = create(api, world["c1"])
    res = api.push1(world["c1"], save(rec["id"], {"credit_grade": "A", "monitored": True}, base=1))
    assert res["status"] == "rejected"
    assert {e["field"]: e["code"] for e in res["errors"]} == {
        "credit_grade": "readonly",
        "monitored": "supervisor_only",
    }
    ok = api.push1(world["s1"], save(rec["id"], {"monitored": True}, base=1))
    assert ok["status"] == "applied" and ok["record"]["values"]["monitored"] is True


def test_an_edit_is_checked_against_the_unchanged_fields_of_the_cross_field_rules(api, world, db):
    values = {**demo_values()[0], "licence_issue_date": "2020-01-01", "licence_expiry_date": "2030-01-01"}
    values.pop("annual_review_date", None)  # the review date's own rule is another test's
    rec = create(api, world["c1"], values)
    # the new expiry date is before the stored (unchanged) issue date: the error is on the issue date
    res = api.push1(world["c1"], save(rec["id"], {"licence_expiry_date": ("2030-01-01", "2019-06-01")}, base=1))
    assert res["status"] == "rejected"
    assert [(e["field"], e["code"]) for e in res["errors"]] == [("licence_issue_date", "licence.issue_after_expiry")]
    # an unchanged field that became invalid (here: written behind the server's back) blocks nothing else
    with db.read() as conn:
        data = conn.execute(select(customers.c.data).where(customers.c.id == rec["id"])).scalar_one()
    bad = json.loads(data)
    bad["contact_phone"] = "12345"
    with db.engine.begin() as conn:
        conn.execute(customers.update().where(customers.c.id == rec["id"]).values(data=json.dumps(bad)))
    ok = api.push1(world["c1"], save(rec["id"], {"service_notes": ("", "周末客流大")}, base=1))
    assert ok["status"] == "applied" and ok["record"]["values"]["contact_phone"] == "12345"


def test_concurrent_edits_of_different_fields_merge(api, world):
    rec = create(api, world["c1"])
    a = api.push1(world["c1"], save(rec["id"], {"service_notes": ("", "周末客流大")}, base=1))
    assert a["status"] == "applied" and a["record"]["version"] == 2
    count = (rec["values"].get("brand_count") or 0) + 1  # never the demo value already stored (that is no change)
    b = api.push1(world["s1"], save(rec["id"], {"brand_count": (None, count)}, base=1))
    assert b["status"] == "merged" and b["record"]["version"] == 3
    assert b["record"]["values"]["service_notes"] == "周末客流大" and b["record"]["values"]["brand_count"] == count


def test_same_field_edited_on_both_sides_is_a_conflict_and_nothing_is_applied(api, world):
    rec = create(api, world["c1"], {"shop_name": "甲店", "service_notes": "旧"})
    api.push1(world["s1"], save(rec["id"], {"service_notes": ("旧", "主管改的")}, base=1))
    res = api.push1(world["c1"], save(rec["id"], {"service_notes": ("旧", "我改的"), "brand_count": 5}, base=1))
    assert res["status"] == "conflict"
    assert res["conflicts"] == [{"field": "service_notes", "base": "旧", "mine": "我改的", "server": "主管改的"}]
    assert res["record"]["version"] == 2 and "brand_count" not in res["record"]["values"]
    # the person resolves it and pushes against the server version
    ok = api.push1(world["c1"], save(rec["id"], {"service_notes": ("主管改的", "我改的"), "brand_count": 5}, base=2))
    assert ok["status"] == "applied" and ok["record"]["values"]["service_notes"] == "我改的"


def test_same_new_value_on_both_sides_is_not_a_conflict(api, world):
    rec = create(api, world["c1"], {"shop_name": "甲店"})
    api.push1(world["s1"], save(rec["id"], {"service_notes": "同一个"}, base=1))
    res = api.push1(world["c1"], save(rec["id"], {"service_notes": "同一个"}, base=1))
    assert res["status"] == "merged" and res["record"]["version"] == 2


def test_regulated_fields_never_merge(api, world):
    rec = create(api, world["c1"])
    api.push1(world["s1"], save(rec["id"], {"service_notes": "x"}, base=1))  # an unrelated field moved the record on
    res = api.push1(
        world["c1"], save(rec["id"], {"licence_no": (rec["values"].get("licence_no"), "610102100001")}, base=1)
    )
    assert res["status"] == "conflict" and [c["field"] for c in res["conflicts"]] == ["licence_no"]
    direct = api.push1(world["c1"], save(rec["id"], {"licence_no": "610102100001"}, base=2))
    assert direct["status"] == "applied"


def test_replayed_mutation_returns_the_stored_answer_and_changes_nothing(api, world, db):
    rec = create(api, world["c1"])
    m = save(rec["id"], {"brand_count": 10}, base=1)
    first = api.push1(world["c1"], m)
    second = api.push1(world["c1"], m)
    assert first == second and first["record"]["version"] == 2
    m2 = dict(m, provenance={"source": "visit"})
    assert api.push1(world["c1"], m2)["errors"][0]["code"] == "mutation_reused"  # another body
    assert api.push1(world["c1"], dict(m, changes={"brand_count": {"old": None, "new": 11}}))["status"] == "rejected"
    other = api.push1(world["c2"], m)  # another user's id reveals nothing
    assert other["errors"][0]["code"] == "mutation_reused" and other["record"] is None
    with db.read() as conn:
        assert conn.execute(select(customers.c.version).where(customers.c.id == rec["id"])).scalar() == 2
        assert conn.execute(select(func.count()).select_from(mutations)).scalar() == 2


def test_a_new_customers_answer_is_stored_by_reference_and_replayed_byte_for_byte(api, world, db):
    """The stored answer to a creation keeps no second copy of the values; a replay in a later request
    rebuilds exactly the first answer, also after the record moved on, and also for a supervisor."""
    from app.models.wire import canonical_json

    sha = api.upload(world["c1"], b"storefront bytes")
    values = demo_values(12, seed=5)
    values[0] = dict(values[0], photo_storefront=["c" * 64, sha])  # one photo missing, one present
    values[1] = dict(values[1], service_notes="", brand_count=0)  # empty and zero values kept as they are
    batch = [save(str(uuid.uuid4()), v) for v in values]
    first = api.push(world["c1"], *batch)
    assert [r["status"] for r in first] == ["applied"] * 12
    assert first[0]["record"]["missing_photos"] == ["c" * 64]
    with db.read() as conn:
        stored = dict(conn.execute(select(mutations.c.mutation_id, mutations.c.result)).all())
    for m in batch:
        assert len(stored[m["mutation_id"]]) < 300 and values[0]["shop_name"] not in stored[m["mutation_id"]]
    assert api.push(world["c1"], *batch) == first
    assert [canonical_json(r) for r in api.push(world["c1"], *reversed(batch))] == [
        canonical_json(r) for r in reversed(first)
    ]
    rid = first[2]["record"]["id"]
    assert api.push1(world["c1"], save(rid, {"brand_count": 3}, base=1))["status"] == "applied"
    assert api.push1(world["c1"], submit(rid, 2))["record"]["status"] == "pending"
    assert api.push1(world["c1"], batch[2]) == first[2]  # still the answer given at version 1
    other = api.push1(world["c2"], batch[0])  # another user's id reveals nothing
    assert other["errors"][0]["code"] == "mutation_reused" and other["record"] is None
    made = save(str(uuid.uuid4()), demo_values(1, seed=9)[0])
    by_supervisor = api.push1(world["s1"], made)
    assert by_supervisor["record"]["owner"] == "s1" and api.push1(world["s1"], made) == by_supervisor


def test_the_client_clock_is_not_part_of_the_mutation_identity(api, world):
    rec = create(api, world["c1"])
    m = save(rec["id"], {"brand_count": 10}, base=1, provenance={"source": "visit", "at": "2026-01-01T08:00:00"})
    first = api.push1(world["c1"], m)
    later = api.push1(world["c1"], dict(m, provenance={"source": "visit", "at": "2026-01-02T09:00:00"}))
    assert later == first and first["status"] == "applied"


def test_replay_within_one_batch(api, world):
    rid = str(uuid.uuid4())
    m = save(rid, {"shop_name": "批内"})
    res = api.push(world["c1"], m, m, dict(m, changes={"shop_name": {"old": None, "new": "别的"}}))
    assert res[0] == res[1] and res[2]["errors"][0]["code"] == "mutation_reused"


def test_a_batch_is_one_transaction_applied_in_order(api, world, db):
    rid = str(uuid.uuid4())
    values = demo_values(1, seed=7)[0]
    res = api.push(world["c1"], save(rid, values), save(rid, {"brand_count": 12}, base=1), submit(rid, 2))
    assert [r["status"] for r in res] == ["applied", "applied", "applied"]
    assert res[2]["record"]["status"] == "pending" and res[2]["record"]["version"] == 3
    with db.read() as conn:
        chain = conn.execute(
            select(customer_versions.c.version, customer_versions.c.prev_version, customer_versions.c.kind)
            .where(customer_versions.c.record_id == rid)
            .order_by(customer_versions.c.version)
        ).all()
    assert [tuple(r) for r in chain] == [(1, 0, "customer.save"), (2, 1, "customer.save"), (3, 2, "customer.submit")]


def test_review_approve_assigns_the_official_code(api, world, db):
    values = complete_values(api, world["c1"], seed=11)
    values["region_code"] = "610113"
    rec = create(api, world["c1"], values)
    assert api.push1(world["c1"], submit(rec["id"], 1))["record"]["status"] == "pending"
    assert api.push1(world["c1"], save(rec["id"], {"brand_count": 3}, base=2))["errors"][0]["code"] == "pending"
    assert api.push1(world["s2"], decide(rec["id"], 2))["errors"][0]["code"] == "not_found"  # other team
    assert api.push1(world["c1"], decide(rec["id"], 2))["errors"][0]["code"] == "forbidden"  # not a supervisor
    assert api.push1(world["s1"], decide(rec["id"], 1))["errors"][0]["code"] == "version.stale"
    res = api.push1(world["s1"], decide(rec["id"], 2))
    r = res["record"]
    assert r["status"] == "approved" and r["code_official"] and r["code"] == "610113000001"
    assert r["values"]["customer_code"] == "610113000001" and r["review"]["by"] == "s1"
    other = create(
        api,
        world["c2"],
        {**values, **{k: v for k, v in complete_values(api, world["c2"]).items() if k.startswith("photo_")}},
    )
    api.push1(world["c2"], submit(other["id"], 1))
    assert api.push1(world["admin"], decide(other["id"], 2))["record"]["code"] == "610113000002"
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(review_decisions)).scalar() == 2


def test_return_and_resubmit_is_a_new_chained_version(api, world):
    rec = create(api, world["c1"], complete_values(api, world["c1"], seed=5))
    api.push1(world["c1"], submit(rec["id"], 1))
    bad = api.push1(world["s1"], decide(rec["id"], 2, "return"))
    assert bad["status"] == "rejected" and bad["errors"][0]["code"] == "decision.reason"
    ret = api.push1(world["s1"], decide(rec["id"], 2, "return", "电话号码不对", ["contact_phone"]))
    assert ret["record"]["status"] == "returned"
    assert (
        ret["record"]["review"]["fields"] == ["contact_phone"] and ret["record"]["review"]["reason"] == "电话号码不对"
    )
    fixed = api.push1(world["c1"], save(rec["id"], {"contact_phone": "13800138000"}, base=3))
    assert fixed["record"]["status"] == "returned"
    again = api.push1(world["c1"], submit(rec["id"], 4))
    assert again["record"]["status"] == "pending" and again["record"]["version"] == 5
    assert api.push1(world["s1"], decide(rec["id"], 5))["record"]["status"] == "approved"


def test_a_new_customer_is_approved_only_when_complete(api, world, db):
    """F3 L141–146: approval of a new customer needs every required field a person keeps; the refusal names
    them, and the customer stays pending (and overdue) until they are filled in."""
    values = complete_values(api, world["c1"], seed=12)
    for key in ("photo_storefront", "law_abiding", "order_phone"):
        values.pop(key)
    rec = create(api, world["c1"], values)
    assert api.push1(world["c1"], submit(rec["id"], 1))["record"]["status"] == "pending"  # submission may be incomplete
    res = api.push1(world["s1"], decide(rec["id"], 2))
    assert res["status"] == "rejected" and res["record"]["status"] == "pending" and not res["record"]["code_official"]
    [err] = res["errors"]
    assert err["code"] == "approval.incomplete" and err["params"]["fields"] == [
        "photo_storefront",
        "law_abiding",
        "order_phone",
    ]
    assert "Storefront photo" in err["message"] and "Law-abiding status" in err["message"]
    assert (
        api.push1(world["s1"], decide(rec["id"], 2, "return", "补全必填项", err["params"]["fields"]))["record"][
            "status"
        ]
        == "returned"
    )
    photo = complete_values(api, world["c1"])["photo_storefront"]
    fixed = api.push1(
        world["c1"],
        save(rec["id"], {"photo_storefront": photo, "law_abiding": "good", "order_phone": "029-88881234"}, base=3),
    )
    assert fixed["status"] == "applied", fixed
    assert api.push1(world["c1"], submit(rec["id"], 4))["record"]["status"] == "pending"
    assert api.push1(world["s1"], decide(rec["id"], 5))["record"]["status"] == "approved"


def test_onboarding_fields_are_the_collectors_until_the_first_approval(api, world):
    """F3 L11: 守法情况 and the first estimate of 经营规模 are set by the collector at onboarding; after the
    approval a collector's change is refused (the system, or a market manager, keeps them)."""
    rec = create(api, world["c1"], complete_values(api, world["c1"], seed=13))
    assert rec["values"]["law_abiding"] and rec["values"]["business_scale"]
    edit = api.push1(world["c1"], save(rec["id"], {"business_scale": "1"}, base=1))  # still new: allowed
    assert edit["status"] == "applied", edit
    api.push1(world["c1"], submit(rec["id"], 2))
    assert api.push1(world["s1"], decide(rec["id"], 3))["record"]["status"] == "approved"
    late = api.push1(world["c1"], save(rec["id"], {"law_abiding": "minor"}, base=4))
    assert late["status"] == "rejected" and late["errors"][0]["code"] == "onboarding_only"
    assert api.push1(world["s1"], save(rec["id"], {"law_abiding": "minor"}, base=4))["status"] == "applied"


def test_submission_is_refused_with_errors_or_missing_photos(api, world):
    rec = create(api, world["c1"], {"shop_name": "缺照片", "photo_storefront": ["a" * 64]})
    assert rec["missing_photos"] == ["a" * 64]
    res = api.push1(world["c1"], submit(rec["id"], 1))
    assert res["status"] == "rejected" and res["errors"][0]["code"] == "photo.missing"
    assert res["errors"][0]["field"] == "photo_storefront"


def test_change_policy_on_approved_records(api, world):
    rec = create(api, world["c1"], complete_values(api, world["c1"], seed=9))
    api.push1(world["c1"], submit(rec["id"], 1))
    approved = api.push1(world["s1"], decide(rec["id"], 2))["record"]
    direct = api.push1(world["c1"], save(rec["id"], {"service_notes": "直接改"}, base=3))["record"]
    assert direct["status"] == "approved" and direct["approved_values"] is None
    change = api.push1(world["c1"], save(rec["id"], {"shop_name": "新店名"}, base=4))["record"]
    assert change["status"] == "draft"
    assert change["approved_values"]["shop_name"] == approved["values"]["shop_name"]
    assert change["code"] == approved["code"]
    api.push1(world["c1"], submit(rec["id"], 5))
    done = api.push1(world["s1"], decide(rec["id"], 6))["record"]
    assert done["status"] == "approved" and done["approved_values"] is None and done["code"] == approved["code"]


def test_delete_is_soft_and_blocks_further_edits(api, world):
    rec = create(api, world["c1"])
    gone = api.push1(world["c1"], delete(rec["id"], 1))
    assert gone["status"] == "applied" and gone["record"]["deleted"] is True
    assert api.push1(world["c1"], save(rec["id"], {"brand_count": 1}, base=2))["errors"][0]["code"] == "deleted"


def test_base_version_ahead_and_unknown_record(api, world):
    rec = create(api, world["c1"])
    assert api.push1(world["c1"], save(rec["id"], {"brand_count": 1}, base=9))["errors"][0]["code"] == "version.ahead"
    assert (
        api.push1(world["c1"], save(str(uuid.uuid4()), {"brand_count": 1}, base=3))["errors"][0]["code"] == "not_found"
    )
    assert api.push1(world["c1"], submit(str(uuid.uuid4()), 1))["errors"][0]["code"] == "not_found"


def test_visit_requires_its_photos_and_a_past_date(api, world):
    rec = create(api, world["c1"])
    sha = api.upload(world["c1"], b"visit photo bytes")
    from tests.server.helpers import visit

    ok = api.push1(world["c1"], visit(rec["id"], [sha]))
    assert ok["status"] == "applied"
    assert api.push1(world["c1"], visit(rec["id"], ["b" * 64]))["errors"][0]["code"] == "photo.missing"
    assert api.push1(world["c1"], visit(rec["id"], day="2999-01-01"))["errors"][0]["code"] == "visit.date"
    again = visit(rec["id"])
    assert api.push1(world["c1"], again)["status"] == "applied"
    dup = dict(again, mutation_id=mid())
    assert api.push1(world["c1"], dup)["errors"][0]["code"] == "visit.duplicate"


def test_a_new_records_fields_are_version_1_without_being_listed():
    from server.records import Rec

    rec = Rec(
        "r",
        4,
        "draft",
        None,
        False,
        1,
        {"shop_name": "甲", "brand_count": 3},
        None,
        {"brand_count": 3, "service_notes": 4},
        None,
        [],
        1,
        1,
        False,
        0.0,
        0.0,
    )
    assert rec.field_version("shop_name") == 1  # set when the record was made, never since
    assert rec.field_version("brand_count") == 3  # changed at version 3
    assert rec.field_version("service_notes") == 4  # emptied at version 4 (no longer in the values)
    assert rec.field_version("address") == 0  # never set


def test_a_supervisor_cannot_approve_a_customer_they_changed(api, world):
    """The one who maintains a customer is not the one who approves the change: the supervisor who
    edited it is refused (review.own_change), may still return it, and an admin approves it."""
    rec = create(api, world["c1"], complete_values(api, world["c1"], seed=21))
    edited = api.push1(world["s1"], save(rec["id"], {"service_notes": "主管改过"}, base=1))
    assert edited["status"] == "applied" and edited["record"]["version"] == 2
    api.push1(world["c1"], submit(rec["id"], 2))
    refused = api.push1(world["s1"], decide(rec["id"], 3))
    assert refused["status"] == "rejected" and refused["errors"][0]["code"] == "review.own_change"
    assert "admin" in refused["errors"][0]["message"] and refused["record"]["status"] == "pending"
    approved = api.push1(world["admin"], decide(rec["id"], 3))
    assert approved["status"] == "applied" and approved["record"]["review"]["by"] == "admin"
    # once approved, the next change by someone else is the supervisor's to approve again
    api.push1(world["c1"], save(rec["id"], {"shop_name": "新名字"}, base=4))
    api.push1(world["c1"], submit(rec["id"], 5))
    assert api.push1(world["s1"], decide(rec["id"], 6))["record"]["status"] == "approved"


def test_a_supervisor_may_return_their_own_change_and_an_admin_may_approve_theirs(api, world):
    rec = create(api, world["s1"], complete_values(api, world["s1"], seed=22))  # the supervisor's own customer
    api.push1(world["s1"], submit(rec["id"], 1))
    same_push = api.push(world["s1"], decide(rec["id"], 2))
    assert same_push[0]["errors"][0]["code"] == "review.own_change"
    back = api.push1(world["s1"], decide(rec["id"], 2, "return", "再核对一次"))
    assert back["record"]["status"] == "returned"
    # a save and an approval in one push are caught too (the save is not yet in the table)
    both = api.push(
        world["s1"], save(rec["id"], {"service_notes": "改"}, base=3), submit(rec["id"], 4), decide(rec["id"], 5)
    )
    assert [r["status"] for r in both] == ["applied", "applied", "rejected"]
    assert both[2]["errors"][0]["code"] == "review.own_change"
    mine = create(api, world["admin"], complete_values(api, world["admin"], seed=23))
    api.push1(world["admin"], submit(mine["id"], 1))
    assert api.push1(world["admin"], decide(mine["id"], 2))["record"]["status"] == "approved"


def test_an_approval_sent_again_keeps_its_code_unless_another_customer_has_it(api, world, db):
    """After a server restore a client sends an approval again with the official code it issued
    (docs/sync-protocol.md, "After a server restore"): kept, and the counter moves past it; a code
    another customer holds, or one of another region, is not kept (the next code is issued)."""
    values = complete_values(api, world["c1"], seed=12)  # a new customer is approved only when complete
    values["region_code"] = "610113"

    def pending(who: str) -> str:
        rec = create(api, world[who], dict(values))
        api.push1(world[who], submit(rec["id"], 1))
        return rec["id"]

    def approve(rid: str, code: str | None) -> dict:
        body = decide(rid, 2)
        if code is not None:
            body["decision"]["code"] = code
        return api.push1(world["s1"], body)["record"]

    assert approve(pending("c1"), "610113000007")["code"] == "610113000007"  # the client's code kept
    assert approve(pending("c1"), None)["code"] == "610113000008"  # the counter moved past it
    assert approve(pending("c1"), "610113000007")["code"] == "610113000009"  # another customer has it
    assert approve(pending("c1"), "610199000001")["code"] == "610113000010"  # not of the region
    assert approve(pending("c1"), "610113000003")["code"] == "610113000003"  # a free lower one: kept
    assert approve(pending("c1"), None)["code"] == "610113000011"  # and the counter does not go back
    bad = decide(pending("c1"), 2)
    bad["decision"]["code"] = "61011300000X"
    r = api.call("POST", "/sync/push", world["s1"], json={"mutations": [bad]})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "mutations.0.decision.code"

"""Collecting personal fields needs a recorded consent on the server too (issue 18, audit V8/S3; F3 L211), on
SQLite and PostgreSQL: a ``customer.save`` that adds or changes a personal value without one is refused with
``consent.required`` on each such field; a save that adds or changes none is applied, so a record stored
without consent stays editable in its other fields and can have a personal value cleared."""

from __future__ import annotations

import uuid

from tests.server.helpers import complete_values, create, save

CONSENT = ("consent_signed", "consent_date", "consent_form")


def test_a_new_customer_with_personal_values_needs_a_recorded_consent(api, world) -> None:
    values = complete_values(api, world["c1"])
    for missing in ({"consent_signed": False}, {"consent_form": None}, {"consent_date": None}):
        rid = str(uuid.uuid4())
        kept = {k: v for k, v in {**values, **missing}.items() if v is not None}
        refused = api.push1(world["c1"], save(rid, kept))
        assert refused["status"] == "rejected" and refused["record"] is None, missing
        codes = {(e["field"], e["code"]) for e in refused["errors"]}
        assert ("contact_phone", "consent.required") in codes and ("legal_person", "consent.required") in codes
        assert {c for _f, c in codes} == {"consent.required"}, refused["errors"]
        msg = next(e["message"] for e in refused["errors"] if e["field"] == "contact_phone")
        assert msg.startswith("Contact phone: personal information cannot be saved"), msg
    shop_only = api.push1(world["c1"], save(str(uuid.uuid4()), {"shop_name": "只有店名的店"}))
    assert shop_only["status"] == "applied"  # no personal value: nothing to consent to
    assert create(api, world["c1"], values)["values"]["contact_phone"] == values["contact_phone"]


def test_a_record_without_consent_stays_editable_in_its_other_fields(api, world) -> None:
    values = complete_values(api, world["c1"])
    rec = create(api, world["c1"], values)
    # the consent withdrawn (as a record stored before the rule, or one whose consent was entered wrongly)
    withdrawn = api.push1(world["c1"], save(rec["id"], {"consent_signed": (True, False)}, base=rec["version"]))
    assert withdrawn["status"] == "applied", withdrawn
    rec = withdrawn["record"]
    assert rec["values"]["contact_phone"] == values["contact_phone"]  # kept, nothing lost
    other = api.push1(world["c1"], save(rec["id"], {"shop_name": (values["shop_name"], "改名后的店")}, rec["version"]))
    assert other["status"] == "applied" and other["record"]["values"]["shop_name"] == "改名后的店", other
    rec = other["record"]
    changed = api.push1(
        world["c1"], save(rec["id"], {"contact_phone": (values["contact_phone"], "13700001111")}, rec["version"])
    )
    assert changed["status"] == "rejected"
    assert [(e["field"], e["code"]) for e in changed["errors"]] == [("contact_phone", "consent.required")]
    assert changed["record"]["values"]["contact_phone"] == values["contact_phone"]
    cleared = api.push1(world["c1"], save(rec["id"], {"gender": (values["gender"], None)}, rec["version"]))
    assert cleared["status"] == "applied" and "gender" not in cleared["record"]["values"], cleared  # not collecting
    rec = cleared["record"]
    given = {"consent_signed": (False, True), "contact_phone": (values["contact_phone"], "13700001111")}
    again = api.push1(world["c1"], save(rec["id"], given, rec["version"]))
    assert again["status"] == "applied" and again["record"]["values"]["contact_phone"] == "13700001111", again

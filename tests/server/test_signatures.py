"""The customer's signature and consent on the server (V8, S3), on SQLite and PostgreSQL: a signature is
checked against the customer's values, fed with the customer (with its image readable by those who see
it) and outdated by a later change to a signed field; a submit without recorded consent is refused with
``consent.missing``."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from app.validation.consent import digest, signed_values
from server.schema import signatures
from tests.server.helpers import TODAY, complete_values, create, mid, save, submit


def signature(rid: str, fields: dict[str, Any], image: str, **over: Any) -> dict[str, Any]:
    s = {"id": str(uuid.uuid4()), "signed_on": TODAY.isoformat(), "image": image, "fields": fields}
    s.update({"digest": digest(fields), **over})
    return {"mutation_id": mid(), "kind": "signature.add", "record_id": rid, "base_version": 1, "signature": s}


def signed_of(api, token: str, rid: str) -> list[dict[str, Any]] | None:
    changes, _cursor = api.pull_all(token)
    found = [c["record"] for c in changes if c["record_id"] == rid and c["record"]]
    return found[-1].get("signatures") if found else None


def test_a_signature_confirms_the_servers_values_and_goes_out_of_date_when_one_changes(api, world, db) -> None:
    rec = create(api, world["c1"])
    rid, fields = rec["id"], signed_values(rec["values"])
    png = api.upload(world["c1"], b"\x89PNG signature " + uuid.uuid4().bytes)
    bad = api.push(
        world["c1"],
        signature(rid, fields, png, signed_on="2999-01-01"),
        signature(rid, fields, "zz"),
        signature(rid, {**fields, "bank_account": "1"}, png),
        signature(rid, fields, png, digest="0" * 64),
        signature(rid, {**fields, "shop_name": "别的店"}, png),
        signature(rid, {}, png),
    )
    assert [r["errors"][0]["code"] for r in bad] == [
        "signature.date",
        "signature.image",
        "signature.fields",
        "signature.digest",
        "signature.stale",
        "signature.nothing",
    ]
    assert api.push1(world["c3"], signature(rid, fields, png))["errors"][0]["code"] == "not_found"  # other team
    unsent = signature(rid, fields, "a" * 64)
    assert api.push1(world["c1"], unsent)["errors"][0]["code"] == "photo.missing"
    good = signature(rid, fields, png)
    assert api.push1(world["c1"], good)["status"] == "applied"
    assert api.push1(world["c1"], {**good, "mutation_id": mid()})["errors"][0]["code"] == "signature.duplicate"
    for who in ("c1", "s1", "admin"):
        sigs = signed_of(api, world[who], rid)
        assert sigs is not None and [s["id"] for s in sigs] == [good["signature"]["id"]], who
        assert sigs[0]["verified_by"] == "c1" and sigs[0]["changed"] == [] and sigs[0]["fields"] == fields
        assert sigs[0]["version"] == rec["version"]
    assert signed_of(api, world["c2"], rid) is None  # same team, not the owner: does not see the customer
    r = api.call("GET", f"/photos/{png}", world["s1"])  # the supervisor may read the signature's picture
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG"), r.text
    with db.read() as conn:
        row = conn.execute(select(signatures).where(signatures.c.id == good["signature"]["id"])).one()
        assert row.record_id == rid and row.digest == digest(fields)
    # a signed field changes: outdated, naming it; an unsigned field does not touch it
    changed = api.push1(world["c1"], save(rid, {"service_notes": (None, "周末客流大")}, base=rec["version"]))
    assert changed["status"] == "applied", changed
    sigs = signed_of(api, world["s1"], rid)
    assert sigs and sigs[0]["changed"] == []
    moved = api.push1(
        world["c1"],
        save(
            rid, {"home_address": (rec["values"]["home_address"], "西安市新城区1号")}, base=changed["record"]["version"]
        ),
    )
    assert moved["status"] == "applied", moved
    sigs = signed_of(api, world["s1"], rid)
    assert sigs and sigs[0]["changed"] == ["home_address"]
    got = api.call("GET", f"/records/{rid}", world["c1"]).json()
    assert got["signatures"][0]["changed"] == ["home_address"]


def test_a_submit_without_recorded_consent_is_refused_with_its_own_code(api, world) -> None:
    values = complete_values(api, world["c1"])
    for missing in ({"consent_signed": False}, {"consent_form": None}, {"consent_date": None}):
        rec = create(api, world["c1"], values)  # collected with consent, then the consent taken away (allowed:
        # the save adds no personal value; docs/domain.md) and submitted
        key, value = next(iter(missing.items()))
        rec = api.push1(world["c1"], save(rec["id"], {key: (values[key], value)}, rec["version"]))["record"]
        assert all(rec["values"].get(k) == v for k, v in missing.items()), rec["values"]
        refused = api.push1(world["c1"], submit(rec["id"], rec["version"]))
        assert refused["status"] == "rejected", missing
        assert [e["code"] for e in refused["errors"]] == ["consent.missing"], refused["errors"]
        assert refused["errors"][0]["field"] == "consent_signed"
    rec = create(api, world["c1"], values)
    assert api.push1(world["c1"], submit(rec["id"], rec["version"]))["status"] == "applied"

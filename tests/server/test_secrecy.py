"""Secrecy marks (机密 / 绝密) and the masked view on the server (issue 18, audit R10), on SQLite and PostgreSQL.

A caller not entitled to a value never receives it, through any path that sends values: the pull feed, the
record read, the push answer, the signatures, the modification ledger (the raw JSON of each answer is
searched for the value). A supervisor marks a record 绝密 and then only an admin sees its values. A
placeholder sent back is never stored, and a value the caller cannot see is not theirs to overwrite."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from app.models.catalogue import load_form
from app.validation.consent import digest, signed_values
from app.validation.secrecy import is_masked, placeholder
from server import forms
from server.admin import assign
from server.forms import FormError
from server.schema import customers
from tests.server.helpers import TODAY, add_user, complete_values, create, decide, demo_values, mid, save, submit
from tests.server.test_cli import write_xlsx
from tests.server.test_territory_scope import node, ok, place

DAY = TODAY.isoformat()


def stored(db: Any, rid: str) -> dict[str, Any]:
    with db.read() as conn:
        return dict(json.loads(conn.execute(select(customers.c.data).where(customers.c.id == rid)).scalar_one()))


def pulled(api: Any, token: str, rid: str) -> tuple[dict[str, Any], str]:
    """The record as the feed sends it to ``token``, and the raw text of every page."""
    cursor, texts, found = 0, [], None
    while True:
        r = api.call("GET", f"/sync/pull?cursor={cursor}&limit=1000", token)
        assert r.status_code == 200, r.text
        texts.append(r.text)
        body = r.json()
        found = next((c["record"] for c in body["changes"] if c["record_id"] == rid and c["record"]), found)
        cursor = body["cursor"]
        if not body["more"]:
            break
    assert found is not None
    return found, "".join(texts)


def read(api: Any, token: str, rid: str) -> tuple[dict[str, Any], str]:
    r = api.call("GET", f"/records/{rid}", token)
    assert r.status_code == 200, r.text
    return r.json(), r.text


def signature(rid: str, fields: dict[str, Any], image: str, base: int) -> dict[str, Any]:
    s = {"id": str(uuid.uuid4()), "signed_on": DAY, "image": image, "fields": fields, "digest": digest(fields)}
    return {"mutation_id": mid(), "kind": "signature.add", "record_id": rid, "base_version": base, "signature": s}


def test_a_secret_field_reaches_the_owner_and_their_manager_only(api, world, db):
    values = complete_values(api, world["c1"], seed=71)
    rec = create(api, world["c1"], values)
    rid, id_card = rec["id"], values["id_card"]
    png = api.upload(world["c1"], b"\x89PNG signature " + uuid.uuid4().bytes)
    assert api.push1(world["c1"], signature(rid, signed_values(rec["values"]), png, 1))["status"] == "applied"
    db.write(lambda tx: assign(tx, rid, "c2"))  # c1 made it and still sees it, but no longer owns it

    for who in ("c2", "s1", "admin"):  # the owner, their market manager, an admin
        got, text = pulled(api, world[who], rid)
        assert got["values"]["id_card"] == id_card and id_card in text, who
        assert got["signatures"][0]["fields"]["id_card"] == id_card, who
        assert read(api, world[who], rid)[0]["values"]["id_card"] == id_card, who
    got, text = pulled(api, world["c1"], rid)
    assert got["values"]["id_card"] == placeholder("secret") and id_card not in text
    assert got["signatures"][0]["fields"]["id_card"] == placeholder("secret")
    assert got["signatures"][0]["changed"] == []  # whether a confirmation is outdated is still told
    assert got["values"]["shop_name"] == values["shop_name"]  # a normal field is sent as it is
    body, text = read(api, world["c1"], rid)
    assert body["values"]["id_card"] == placeholder("secret") and id_card not in text

    # c1 may no longer edit it at all; the refusal's answer holds no value either
    version = got["version"]
    r = api.call(
        "POST",
        "/sync/push",
        world["c1"],
        json={"mutations": [save(rid, {"id_card": (None, "11010519491231002X")}, version)]},
    )
    assert r.status_code == 200 and id_card not in r.text, r.text
    assert r.json()["results"][0]["errors"][0]["code"] == "forbidden"
    assert stored(db, rid)["id_card"] == id_card
    # the owner cannot store a placeholder in place of a value: it is dropped, the value stays
    res = api.push1(world["c2"], save(rid, {"id_card": (id_card, placeholder("top_secret"))}, version))
    assert res["status"] == "applied" and stored(db, rid)["id_card"] == id_card


def test_a_record_marked_top_secret_is_seen_by_an_admin_only(api, world, db):
    values = complete_values(api, world["c1"], seed=72)
    rec = create(api, world["c1"], values)
    rid = rec["id"]
    # a collector cannot set the mark; the market manager can
    res = api.push1(world["c1"], save(rid, {"secrecy_mark": "top_secret"}, 1))
    assert res["status"] == "rejected" and res["errors"][0]["code"] == "supervisor_only"
    res = api.push1(world["s1"], save(rid, {"secrecy_mark": "top_secret"}, 1))
    assert res["status"] == "applied", res
    assert stored(db, rid)["secrecy_mark"] == "top_secret"
    # the answer to the supervisor's own save already hides what they may no longer see
    assert res["record"]["values"]["contact_phone"] == placeholder("top_secret")

    secrets = [values[k] for k in ("contact_phone", "id_card", "legal_person", "address")]
    for who in ("c1", "s1"):  # the owner and their manager
        got, text = pulled(api, world[who], rid)
        assert all(s not in text for s in secrets), who
        shown = got["values"]
        assert shown["shop_name"] == values["shop_name"] and shown["secrecy_mark"] == "top_secret", who
        assert shown["photo_owner"] == [placeholder("top_secret")], who
        assert all(is_masked(v) for k, v in shown.items() if k not in ("shop_name", "secrecy_mark")), who
        body, text = read(api, world[who], rid)
        assert all(s not in text for s in secrets), who
    got, _text = pulled(api, world["admin"], rid)
    assert got["values"]["contact_phone"] == values["contact_phone"]

    # the owner's copy sent back as it is changes nothing; over a hidden value it is refused
    version = got["version"]
    back = {"contact_phone": (values["contact_phone"], placeholder("top_secret"))}
    assert api.push1(world["c1"], save(rid, back, version))["status"] == "applied"
    res = api.push1(world["c1"], save(rid, {"contact_phone": (None, "13912345678")}, version))
    assert res["status"] == "rejected" and res["errors"][0]["code"] == "secrecy.hidden"
    assert stored(db, rid)["contact_phone"] == values["contact_phone"]
    # the admin lifts the mark: the owner sees the values again
    assert api.push1(world["admin"], save(rid, {"secrecy_mark": ("top_secret", "normal")}, version))["status"]
    got, text = pulled(api, world["c1"], rid)
    assert got["values"]["contact_phone"] == values["contact_phone"]


def test_the_ledger_masks_by_the_mark_and_a_viewer_sees_no_person(api, world, db, settings):
    t = world["admin"]
    add_user(db, settings, "v1", "viewer")
    world.tokens["v1"] = api.token("v1")
    county = node(api, t, "雁塔区营销部", "county")
    node(api, t, "雁塔一组", "team", county, supervisor="s1")
    place(api, t, "v1", county)
    values = complete_values(api, world["c1"], seed=73)
    rec = create(api, world["c1"], values)
    rid = rec["id"]
    assert api.push1(world["c1"], submit(rid, 1))["record"]["status"] == "pending"
    assert api.push1(world["s1"], decide(rid, 2))["record"]["status"] == "approved"
    old = values["contact_name"]
    res = api.push1(
        world["c1"],
        save(rid, {"contact_name": (old, "王小明"), "service_notes": (values.get("service_notes"), "南大街1号")}, 3),
    )
    assert res["status"] == "applied", res

    def rows(who: str) -> tuple[dict[str, dict[str, Any]], str]:
        r = api.call("GET", f"/reports/ledger?start={DAY}&end={DAY}", world[who])
        body = ok(r)
        return {row["field"]: row for row in body["rows"] if row["record_id"] == rid}, r.text

    # a viewer (the masked view): the outlet's change, not the person's
    got, text = rows("v1")
    assert got["service_notes"]["new"] == "南大街1号"
    assert got["contact_name"]["old"] == placeholder("personal") and "王小明" not in text and old not in text
    got, _text = rows("s1")
    assert got["contact_name"]["new"] == "王小明"
    # marked 绝密: the market manager's ledger no longer shows the values, the admin's does
    assert api.push1(world["s1"], save(rid, {"secrecy_mark": "top_secret"}, 4))["status"] == "applied"
    got, text = rows("s1")
    assert got["contact_name"]["new"] == placeholder("top_secret") and "王小明" not in text and "南大街1号" not in text
    got, _text = rows("admin")
    assert got["contact_name"]["new"] == "王小明"


def test_a_deployment_names_a_department_for_the_masked_view(api, world, db, tmp_path):
    data = load_form().to_dict()
    data["version"] = load_form().version + 1  # newer than the bundled form the server seeded
    data["meta"]["secrecy"]["masked_roles"] = ["viewer", "department:nobody!"]
    path = tmp_path / "form.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FormError, match="masked_roles"):  # a rule that makes no sense is not published
        db.write(lambda tx: forms.publish(tx, path, "admin"))
    data["meta"]["secrecy"]["masked_roles"] = ["viewer", "department:delivery"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    db.write(lambda tx: forms.publish(tx, path, "admin"))

    values = complete_values(api, world["c1"], seed=74)
    rid = create(api, world["c1"], values)["id"]
    body = {"territory": None, "department": "delivery"}  # the market manager works for 配送部 now
    ok(api.call("PUT", "/admin/users/s1/place", world["admin"], json=body))
    got, text = pulled(api, world["s1"], rid)
    assert got["values"]["contact_name"] == placeholder("personal") and values["contact_name"] not in text
    assert got["values"]["address"] == values["address"]  # the outlet, not the person
    assert read(api, world["c1"], rid)[0]["values"]["contact_name"] == values["contact_name"]


def test_a_placeholder_in_an_imported_sheet_is_refused_not_stored(run, db, tmp_path):
    run("user", "add", "ann", "--role", "collector")
    rows = demo_values(2, seed=75)
    rows[1]["contact_phone"] = placeholder("secret")  # a copy of what a masked client held
    keys = ["shop_name", "licence_no", "contact_phone", "region_code", "address"]
    path = tmp_path / "masked.xlsx"
    write_xlsx(path, rows, keys)
    code, out, err = run("import-customers", str(path), "--owner", "ann")
    assert code != 0 and "nothing was imported" in err, err
    assert "row 3: Contact phone: a masked value is not a value" in out, out
    with db.read() as conn:
        held = [json.loads(d) for d in conn.execute(select(customers.c.data)).scalars()]
    assert not any(is_masked(v) for values in held for v in values.values())


def test_what_a_reader_may_not_see_is_kept_per_form_and_cannot_be_changed_by_a_caller() -> None:
    """``server.secrecy.hidden_for`` keeps one answer per (form, mark, reader) for the process: a second form
    (another publication) gets its own, even if it stands where the first one was; the answer is read-only."""
    import dataclasses  # noqa: PLC0415

    from app.validation import secrecy as rule  # noqa: PLC0415
    from server import secrecy  # noqa: PLC0415

    base = load_form()
    who = rule.Reader("w", "collector", frozenset({"creator"}))
    first = secrecy.hidden_for(base, "normal", who)
    assert first["id_card"] == "secret" and secrecy.hidden_for(base, "normal", who) is first
    with pytest.raises(TypeError):
        first["id_card"] = "normal"  # type: ignore[index]
    looser = dataclasses.replace(base, meta={**base.meta, "secrecy": {"readers": {"secret": ["creator"]}}})
    # the same key but another form: stored under the old form's id, it must not be answered from there
    secrecy._HIDDEN[(id(looser), "normal", who)] = (base, first)
    assert "id_card" not in secrecy.hidden_for(looser, "normal", who)
    assert secrecy.hidden_for(base, "top_secret", who)["address"] == "top_secret"

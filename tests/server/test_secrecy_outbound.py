"""Secrecy marks and the masked view where values leave the server for others (issue 18), on SQLite and PostgreSQL:
the outbound feed and the webhooks' bodies (an integration reads 机密 only when the deployment names it, 绝密 only
by its name), the new values of the change requests' steps (the to-do), the signature's image in the masked view
(also fetched by its hash), and a masked department's own fields. The raw JSON of each answer, and the webhook's
stored body, are searched for the hidden value."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.models.catalogue import load_form
from app.validation.consent import signed_values
from app.validation.secrecy import placeholder
from server import forms, webhooks
from server.forms import FormError
from server.schema import customers
from server.schema_integrations import webhook_deliveries
from server.system import apply_system_changes
from tests.server.conftest import free_port
from tests.server.helpers import complete_values, create, decide, submit
from tests.server.test_changes import called
from tests.server.test_onboarding import people
from tests.server.test_outbound import add, approved_customers
from tests.server.test_secrecy import DAY, pulled, signature
from tests.server.test_territory_scope import ok


def publish(db: Any, tmp_path: Path, **secrecy: Any) -> None:
    """Publish the bundled form, one version newer, with ``secrecy`` over its ``meta.secrecy``."""
    data = load_form().to_dict()
    data["version"] = load_form().version + 1  # newer than the bundled form the server seeded
    data["meta"]["secrecy"].update(secrecy)
    path = tmp_path / "form.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    db.write(lambda tx: forms.publish(tx, path, "admin"))


def feed(api: Any, token: str, rid: str) -> tuple[dict[str, Any], str]:
    """The newest change of ``rid`` in the outbound feed as ``token`` (an integration) reads it, and the raw page."""
    r = api.call("GET", "/integrations/changes?cursor=0&limit=1000", token)
    assert r.status_code == 200, r.text
    return [c for c in r.json()["changes"] if c["record_id"] == rid][-1], r.text


def mark(db: Any, rid: str, level: str) -> None:
    """A system change of the record's mark (as a market manager's save would: approved values change)."""
    db.write(lambda tx: apply_system_changes(tx, {rid: {"secrecy_mark": level}}, "classification", "mark"))


def test_the_outbound_feed_and_webhooks_carry_only_what_the_integration_may_read(
    api, world, db, run, settings, tmp_path
):
    values = complete_values(api, world["c1"], seed=81)
    rid = create(api, world["c1"], values)["id"]
    assert api.push1(world["c1"], submit(rid, 1))["status"] == "applied"
    assert api.push1(world["s1"], decide(rid, 2))["record"]["status"] == "approved"
    id_card, name = values["id_card"], values["contact_name"]
    crm = add(run, "crm", "--department", "营销中心", "--scope", "feed:read")
    bank = add(run, "bank", "--department", "财务", "--scope", "feed:read")
    gis = add(run, "gis", "--department", "物流", "--scope", "feed:read")

    # by default no integration reads 机密; the person's name is not masked (the call centre needs it)
    got, text = feed(api, crm, rid)
    assert got["values"]["id_card"] == placeholder("secret") and id_card not in text
    assert got["values"]["contact_name"] == name and "id_card" in got["changed"]
    # the webhook's body is the same page: frozen in its delivery row, no hidden value in it
    assert run("webhook", "set", "crm", f"http://127.0.0.1:{free_port()}/hook", "--from-start")[0] == 0
    webhooks.run_once(db, settings, "test")  # nobody listens: the delivery waits for its retry, body kept
    with db.read() as conn:
        bodies = list(conn.execute(select(webhook_deliveries.c.body)).scalars())
    assert bodies and all(id_card not in b for b in bodies)
    sent = [c for b in bodies for c in json.loads(b)["changes"] if c["record_id"] == rid]
    assert sent[-1]["values"]["id_card"] == placeholder("secret")

    # 绝密 is never given to every integration: a rule saying so is not published
    with pytest.raises(FormError, match="top_secret"):
        publish(db, tmp_path, readers={"secret": ["admin"], "top_secret": ["admin", "integration"]})
    # the deployment names the bank's system a reader of 机密 and puts the GIS in the masked view
    publish(
        db,
        tmp_path,
        readers={"secret": ["owner", "team_supervisor", "admin", "integration:bank"], "top_secret": ["admin"]},
        masked_roles=["viewer", "integration:gis"],
    )
    got, text = feed(api, bank, rid)
    assert got["values"]["id_card"] == id_card
    # the admin sees each integration's standing
    shown = {n: json.loads(run("integration", "show", n)[1])["secrecy"] for n in ("bank", "crm", "gis")}
    assert shown == {
        "bank": {"secret": True, "top_secret": False, "masked_view": False},
        "crm": {"secret": False, "top_secret": False, "masked_view": False},
        "gis": {"secret": False, "top_secret": False, "masked_view": True},
    }
    assert feed(api, crm, rid)[0]["values"]["id_card"] == placeholder("secret")
    got, text = feed(api, gis, rid)
    assert got["values"]["contact_name"] == placeholder("personal") and name not in text and id_card not in text
    assert got["values"]["address"] == values["address"]  # the outlet, not the person

    # marked 绝密: the bank's system no longer gets the values of that row, only the outlet's code and name
    mark(db, rid, "top_secret")
    got, _text = feed(api, bank, rid)
    assert got["kind"] == "changed" and got["changed"] == ["secrecy_mark"]
    assert got["values"]["id_card"] == placeholder("top_secret")
    assert got["values"]["contact_phone"] == placeholder("top_secret")
    assert got["values"]["shop_name"] == values["shop_name"] and got["values"]["secrecy_mark"] == "top_secret"


def test_a_change_steps_new_values_reach_only_those_who_may_read_them(api, db, run):
    people(run)
    rid = approved_customers(db, "c1", 1)[0]
    mark(db, rid, "secret")  # every field of this customer is 机密 now
    phone = "13912345678"
    tokens = {n: api.token(n) for n in ("mkt", "cty", "s1", "c1")}

    r = api.call(
        "POST",
        "/changes",
        tokens["mkt"],
        json={"path": "emergency", "items": [{"record": rid, "changes": {"contact_phone": phone}}]},
    )
    assert r.status_code == 200, r.text
    cid = r.json()["id"]
    assert r.json()["items"][0]["changes"] == {"contact_phone": placeholder("secret")} and phone not in r.text

    def waiting(who: str) -> tuple[dict[str, Any], str]:
        r = api.call("GET", "/changes/waiting", tokens[who])
        assert r.status_code == 200, r.text
        return r.json()["steps"][0], r.text

    step, text = waiting("mkt")  # the market department's 待办: the step, not the 机密 value
    assert step["items"][0]["changes"]["contact_phone"] == placeholder("secret") and phone not in text
    assert step["items"][0]["shop_name"]  # the code and the shop name stay visible under any mark
    for who in ("s1", "c1"):  # the owner's market manager and the owner read 机密
        r = api.call("GET", f"/changes/{cid}", tokens[who])
        assert r.status_code == 200 and r.json()["items"][0]["changes"]["contact_phone"] == phone, (who, r.text)

    # the change is applied all the same, from the values held on the server
    def do(who: str, code: str, rev: int) -> Any:
        r = api.call(
            "POST", f"/changes/{cid}/steps", tokens[who], json={"step": code, "revision": rev, "phone": called()}
        )
        assert r.status_code == 200, r.text
        return r

    do("mkt", "fill", 1)
    step, text = waiting("cty")
    assert phone not in text
    do("cty", "review", 2)
    r = do("mkt", "apply", 3)
    assert phone not in r.text
    with db.read() as conn:
        assert (
            json.loads(conn.execute(select(customers.c.data).where(customers.c.id == rid)).scalar_one())[
                "contact_phone"
            ]
            == phone
        )


def test_the_masked_view_gets_no_signature_image_and_a_department_reads_its_own_fields(api, world, db, tmp_path):
    publish(db, tmp_path, masked_roles=["viewer", "department:market"])
    t = world["admin"]
    values = complete_values(api, world["c1"], seed=83)
    rec = create(api, world["c1"], values)
    rid = rec["id"]
    png = api.upload(world["c1"], b"\x89PNG signature " + uuid.uuid4().bytes)
    assert api.push1(world["c1"], signature(rid, signed_values(rec["values"]), png, 1))["status"] == "applied"

    assert pulled(api, world["c1"], rid)[0]["signatures"][0]["image"] == png  # the owner gets the picture
    assert pulled(api, world["s1"], rid)[0]["signatures"][0]["image"] == png  # so does their market manager
    owner_photo, shop_photo = values["photo_owner"][0], values["photo_storefront"][0]
    for sha in (png, owner_photo, shop_photo):
        assert api.call("GET", f"/photos/{sha}", world["s1"]).status_code == 200

    # the market manager now works for 市场部, a department in the masked view: no picture, no person,
    # but the fields 市场部 owns (it applies their changes): the contact phone and the bank account
    ok(api.call("PUT", "/admin/users/s1/place", t, json={"territory": None, "department": "market"}))
    got, text = pulled(api, world["s1"], rid)
    sig = got["signatures"][0]  # that the customer signed, when, and whether it is outdated; not the hand
    assert sig["image"] == placeholder("personal") and png not in text
    assert sig["signed_on"] == DAY and sig["changed"] == []
    body = api.call("GET", f"/records/{rid}", world["s1"])
    assert body.status_code == 200 and png not in body.text
    assert got["values"]["contact_phone"] == values["contact_phone"]  # personal, owned by 市场部
    assert got["values"]["contact_name"] == placeholder("personal") and values["contact_name"] not in text
    assert got["values"]["id_card"] == placeholder("personal")  # owned by 县区营销部
    # a hash learnt before fetches no withheld picture: the hand, the owner's face; the shop's front it does
    assert [api.call("GET", f"/photos/{sha}", world["s1"]).status_code for sha in (png, owner_photo, shop_photo)] == [
        404,
        404,
        200,
    ]
    assert api.call("GET", f"/photos/{owner_photo}", world["c1"]).status_code == 200  # its uploader and owner

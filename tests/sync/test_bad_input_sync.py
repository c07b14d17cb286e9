"""A record with text the server cannot store (put into the archive behind the validation's back):
a real sync sends the others, the server refuses that one by name, the client marks it refused and
shows it as a sync problem, and the next sync does not send it again unchanged."""

from __future__ import annotations

import json

import pytest
import requests

from app.services import records
from app.services.demo import generate
from app.services.refusals import rejection_text
from app.storage import schema

BAD = {"surrogate": ("坏\ud800店", "text.surrogate"), "nul": ("坏\x00店", "text.nul")}


def _corrupt(session, record_id: str, key: str, value: str) -> None:
    """Write a value straight into the archive's row, as a bug or an old version might have."""
    C = schema.customer.c
    with session._archive.db.transaction() as tx:
        data = json.loads(
            tx.execute(schema.customer.select().with_only_columns(C.data).where(C.id == record_id)).scalar()
        )
        data[key] = value
        tx.execute(schema.customer.update().where(C.id == record_id).values(data=json.dumps(data)))


@pytest.mark.parametrize("shape", sorted(BAD))
def test_one_bad_record_is_refused_by_name_the_others_sync_and_it_is_not_resent(server, clients, shape) -> None:
    value, code = BAD[shape]
    c1 = clients("c1")
    ids = [records.save_draft(c1.session, v)[0].id for v in generate(3, seed=13)]
    _corrupt(c1.session, ids[1], "shop_name", value)
    assert c1.session._archive.customers.get(ids[1]).values["shop_name"] == value
    c1.login(server)
    out = c1.sync()
    assert (out.pushed, out.applied, out.rejected) == (3, 2, 1)
    assert not out.complete and out.remaining == 1  # the CLI and the status bar report it as a sync problem
    bad = c1.session._archive.customers.get(ids[1])
    assert bad.sync_state == "rejected"
    assert [(e["field"], e["code"]) for e in bad.sync_errors] == [("changes.shop_name.new", code)]
    shown = rejection_text(bad.sync_errors[0], c1.session.form)  # the record's banner says it in Chinese
    assert shown.startswith(c1.session.form["shop_name"].label("zh_CN") + "：") and "服务器无法保存" in shown
    assert c1.session._archive.outbox.outbox_count() == 0
    assert {c1.session._archive.customers.get(i).sync_state for i in (ids[0], ids[2])} == {"synced"}
    again = c1.sync()  # nothing is sent again: the refused record waits for a person to correct it
    assert again.pushed == 0 and again.remaining == 1
    assert c1.session._archive.customers.get(ids[1]).sync_state == "rejected"
    # the server holds the two others and nothing of the third
    token = requests.post(
        server.url + "/api/v1/auth/login",
        headers={"X-FieldArchive-Protocol": "1"},
        timeout=10,
        json={"username": "s1", "password": "server-pass-123", "device_id": "t"},
    ).json()["access_token"]
    feed = requests.get(
        server.url + "/api/v1/sync/pull",
        timeout=10,
        headers={"X-FieldArchive-Protocol": "1", "Authorization": f"Bearer {token}"},
    ).json()
    assert sorted(c["record"]["id"] for c in feed["changes"] if c["record"]) == sorted([ids[0], ids[2]])

"""Secrecy marks through a real server with two desktop archives (issue 18, R10): the market manager marks a
customer 绝密; the collector's archive then holds only placeholders for its values (the real values are in
no stored value of theirs), shows them masked, edits the shop name and syncs without touching the hidden
values; an admin's archive (entitled) holds the real values and the collector's change; lifting the mark
gives the collector the values back."""

from __future__ import annotations

from app.services import records
from app.services.demo import generate
from app.validation.secrecy import is_masked, placeholder


def test_a_top_secret_customer_reaches_the_entitled_archive_only(server, clients) -> None:
    server.admin("user", "add", "a1", "--role", "admin")
    c1, s1, a1 = clients("c1"), clients("s1"), clients("a1")
    values = next(generate(1, seed=61, complete=True))
    c, _ = records.save_draft(c1.session, values)
    c1.login(server)
    assert c1.sync().complete
    s1.login(server)
    assert s1.sync().complete
    assert records.get(s1.session, c.id).values["contact_phone"] == values["contact_phone"]

    records.save_changes(s1.session, c.id, {"secrecy_mark": "top_secret"})
    out = s1.sync()
    assert out.complete and out.remaining == 0
    # the market manager's own copy now holds placeholders: 绝密 is for admins only by default
    assert records.get(s1.session, c.id).values["contact_phone"] == placeholder("top_secret")

    out = c1.sync()
    assert out.complete and out.remaining == 0
    mine = records.get(c1.session, c.id).values
    assert mine["secrecy_mark"] == "top_secret" and mine["shop_name"] == values["shop_name"]
    hidden = ("contact_phone", "id_card", "legal_person", "contact_name", "address")
    assert all(is_masked(mine[k]) for k in hidden if k in values)
    secrets = {str(values[k]) for k in hidden if k in values}
    assert not secrets & {str(v) for v in mine.values()}  # no real value left in the collector's archive

    # the collector edits what they see and syncs: the hidden values on the server are untouched
    records.save_changes(c1.session, c.id, {"shop_name": "老王烟酒店（新）"})
    out = c1.sync()
    assert out.complete and out.remaining == 0
    assert records.get(c1.session, c.id).values["shop_name"] == "老王烟酒店（新）"

    a1.login(server)
    assert a1.sync().complete
    held = records.get(a1.session, c.id).values
    assert held["shop_name"] == "老王烟酒店（新）"
    assert all(held[k] == values[k] for k in hidden if k in values)  # the admin's archive: the real values

    # the admin lifts the mark: the collector's archive gets the values back at its next sync
    records.save_changes(a1.session, c.id, {"secrecy_mark": "normal"})
    assert a1.sync().complete
    assert c1.sync().complete
    back = records.get(c1.session, c.id).values
    assert back["contact_phone"] == values["contact_phone"] and back["id_card"] == values["id_card"]

"""Two collectors and a supervisor edit the same customer offline, then sync in every order:
conflicts where fields overlap, merges where they do not, nothing lost."""

from __future__ import annotations

import itertools

import pytest

from app.services import records, syncing
from app.services.demo import generate

ORDERS = list(itertools.permutations(["c1", "s1", "c2"]))


def edit(client, cid: str, **changes: object) -> None:
    c = client.session._archive.customers.get(cid)
    records.save_draft(client.session, {**c.values, **changes}, cid)


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "-".join(o))
def test_offline_edits_by_three_people_in_every_order(server, clients, order) -> None:
    people = {name: clients(name) for name in ("c1", "c2", "s1")}
    c2 = people["c2"]
    x, _ = records.save_draft(c2.session, next(generate(1, seed=5)))
    c2.login(server)
    assert c2.sync().complete
    server.admin("assign", x.id, "--to", "c1")  # c2 keeps sight of what it created, c1 now maintains it
    for name in ("c1", "s1"):
        people[name].login(server)
    for p in people.values():
        assert p.sync().complete
    # offline, all three
    edit(people["c1"], x.id, address="陕西省西安市雁塔区新址8号", landline="029-81111111")
    edit(people["s1"], x.id, landline="029-82222222", business_area="77")
    edit(c2, x.id, service_notes="c2 的备注")
    landline_first = None
    for name in order:
        out = people[name].sync()
        if name in ("c1", "s1") and landline_first is None and out.applied:
            landline_first = name
    # whoever synced second of c1 and s1 met a conflict on the landline only, and keeps its value until it decides
    second = "s1" if landline_first == "c1" else "c1"
    fields, _server = people[second].session._archive.outbox.conflict_of(x.id)
    assert [f.field for f in fields] == ["landline"]
    mine = {"c1": "029-81111111", "s1": "029-82222222"}[second]
    assert people[second].session._archive.customers.get(x.id).values["landline"] == mine
    syncing.resolve_conflict(people[second].session, x.id, {"landline": mine})  # the person keeps theirs
    assert people[second].sync().complete
    # c2 may not edit a customer assigned to c1: refused by the server, kept locally and flagged
    assert c2.session._archive.customers.get(x.id).values["service_notes"] == "c2 的备注"
    assert c2.session._archive.outbox.sync_summary().get("rejected") == 1
    for name in ("c1", "s1"):
        assert people[name].sync().complete
    final = people["c1"].session._archive.customers.get(x.id).values
    assert final == people["s1"].session._archive.customers.get(x.id).values
    assert final["address"] == "陕西省西安市雁塔区新址8号"  # c1's, merged
    assert final["business_area"] == "77"  # s1's, merged
    assert final["landline"] == mine  # the conflict as the person decided

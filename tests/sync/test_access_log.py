"""The access log through a real server with two clients (docs/domain.md "Access to personal data"):
what each person opened reaches the server with the audit trail and the supervisor's client lists
exactly that; a collector may not list it; an unmasked export is refused until the supervisor
approved the collector's request on their own client, and the export's entry names it."""

from __future__ import annotations

import hashlib

import pytest

from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.models.record import ListQuery
from app.services import listing, records, syncing
from app.services.demo import generate
from app.services.exporting import export_archive


def test_the_access_log_is_what_was_opened(server, clients, tmp_path) -> None:
    c1, s1 = clients("c1"), clients("s1")
    made = [records.save_draft(c1.session, v)[0] for v in generate(3, seed=31, complete=True)]
    c1.login(server)
    s1.login(server)
    assert c1.sync().complete
    assert s1.sync().complete  # the supervisor's archive now holds the team's customers
    a, b, c = (m.id for m in made)

    # what each person opened (c1: a twice and b; s1: b), and a search that is not about one customer
    for who, cid in ((c1, a), (c1, b), (s1, b), (c1, a)):
        who.use()
        assert records.open_customer(who.session, cid) is not None
    c1.use()
    listing.pks(c1.session, ListQuery(text="店"))
    assert c1.sync().complete and s1.sync().complete

    s1.use()
    client = syncing.client_for(s1.session)
    try:
        seen = {cid: [(v.user, v.kind, v.device) for v in client.customer_access(cid).entries] for cid in (a, b, c)}
    finally:
        client.close()
    dev1, devs = c1.session._archive.meta.device_id, s1.session._archive.meta.device_id
    assert seen[a] == [("c1", "open", dev1), ("c1", "open", dev1)]
    assert sorted(seen[b]) == sorted([("c1", "open", dev1), ("s1", "open", devs)])
    assert seen[c] == []
    # the local logs say the same as the server's (nothing lost, nothing added)
    local = [(e.entity_id, e.action) for e in c1.session._archive.access.entries() if e.action == "open"]
    assert local == [(a, "open"), (b, "open"), (a, "open")]

    c1.use()
    mine = syncing.client_for(c1.session)
    try:
        with pytest.raises(SyncError) as refused:
            mine.customer_access(a)
    finally:
        mine.close()
    assert refused.value.kind is SyncErrorKind.REFUSED and getattr(refused.value, "code", None) == "forbidden"


def test_an_unmasked_export_after_the_supervisors_approval(server, clients, tmp_path) -> None:
    c1, s1 = clients("c1"), clients("s1")
    made = [records.save_draft(c1.session, v)[0] for v in generate(2, seed=32, complete=True)]
    c1.login(server)
    s1.login(server)
    c1.sync()
    out = tmp_path / "full.xlsx"
    with pytest.raises(UserFacingError):
        export_archive(c1.session, out, unmasked=True)

    mine = syncing.client_for(c1.session)
    try:
        asked = mine.request_export("本人全部客户", "核对结算账户", "银行账号变更后核对", unmasked=True)
        with pytest.raises(SyncError):  # not by the applicant
            mine.decide_export(asked.id, True)
    finally:
        mine.close()
    c1.sync()
    with pytest.raises(UserFacingError):  # kept at the sync, still pending
        export_archive(c1.session, out, unmasked=True, request_id=asked.id)

    s1.use()
    theirs = syncing.client_for(s1.session)
    try:
        assert [r.id for r in theirs.export_requests()] == [asked.id]
        decided = theirs.decide_export(asked.id, True, "同意，限本次")
    finally:
        theirs.close()
    assert (decided.state, decided.approver) == ("approved", "s1")

    c1.use()
    assert c1.sync().complete  # the approval reaches the collector's archive
    assert export_archive(c1.session, out, unmasked=True, request_id=asked.id) == len(made)
    entry = c1.session._archive.access.entries()[-1]
    assert entry.new["request"] == asked.id and entry.new["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert c1.sync().complete
    listed = server.admin("audit", "list", "--entity", "export").stdout
    assert asked.id in listed and entry.new["sha256"] in listed

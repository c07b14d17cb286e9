"""The audit trail goes to the real server with the records: all of it, once, checked link by link;
a server copy that lost its tail gets the trail again; a trail the server refuses is reported and
the records sync all the same."""

from __future__ import annotations

import json
import sqlite3

from sqlalchemy import text

from app.models.record import Provenance, Source
from app.services import records
from app.services.demo import generate
from server.config import DB_FILE


def local_trail(session) -> list[tuple[int, str]]:
    with session._archive.db.reading() as c:
        return [tuple(r) for r in c.execute(text("SELECT seq, hash FROM audit ORDER BY seq"))]


def server_trail(server, device: str) -> list[tuple[int, str, bool]]:
    rows = json.loads(server.admin("audit", "list", "--device", device, "--limit", "100000").stdout)
    return sorted((r["seq"], r["entity"], r["forked"]) for r in rows)


def server_hashes(server, device: str) -> list[tuple[int, str]]:
    con = sqlite3.connect(server.data / DB_FILE)
    try:
        return [
            tuple(r)
            for r in con.execute("SELECT seq, hash FROM audit_entries WHERE device = ? ORDER BY seq", (device,))
        ]
    finally:
        con.close()


def test_the_trail_reaches_the_server_once(server, clients) -> None:
    c1 = clients("c1")
    for v in generate(3, seed=11):
        records.save_draft(c1.session, v)
    c1.session._archive.audit.record_action(
        "export", "export", Provenance("c1", Source.MANUAL, "customers.xlsx"), {"rows": 3, "file": "customers.xlsx"}
    )
    c1.login(server)
    out = c1.sync()
    assert out.complete and not out.audit_problem and out.audit_sent > 0
    device = c1.session._archive.meta.device_id
    assert server_hashes(server, device) == local_trail(c1.session)
    assert "export" in {e for _s, e, _f in server_trail(server, device)}
    before = len(local_trail(c1.session))
    again = c1.sync()  # only what the last sync itself logged, if anything
    assert again.audit_sent == len(local_trail(c1.session)) - before
    assert server_hashes(server, device) == local_trail(c1.session)
    assert "intact" in server.admin("audit", "verify").stderr


def test_a_server_copy_that_lost_its_tail_gets_the_trail_again(server, clients) -> None:
    c1 = clients("c1")
    for v in generate(4, seed=12):
        records.save_draft(c1.session, v)
    c1.login(server)
    c1.sync()
    device = c1.session._archive.meta.device_id
    con = sqlite3.connect(server.data / DB_FILE)  # the server restored from an older backup
    with con:
        con.execute("DELETE FROM audit_entries WHERE device = ? AND seq > 2", (device,))
    con.close()
    records.save_draft(c1.session, next(iter(generate(1, seed=13))))
    out = c1.sync()
    assert out.complete and not out.audit_problem
    assert server_hashes(server, device) == local_trail(c1.session)


def test_a_refused_trail_is_reported_and_the_records_still_sync(server, clients) -> None:
    c1 = clients("c1")
    c1.login(server)
    c1.sync()
    c, _ = records.save_draft(c1.session, next(iter(generate(1, seed=14))))
    with c1.session._archive.db.transaction() as tx:  # someone rewrites an entry not yet sent
        tx.execute(text("DROP TRIGGER audit_no_update"))
        last = tx.execute(text("SELECT max(seq) FROM audit")).scalar()
        tx.execute(text("UPDATE audit SET actor = 'someone else' WHERE seq = :s"), {"s": last})
    out = c1.sync()
    assert out.pushed == 1 and out.applied == 1 and out.complete
    assert out.audit_problem.startswith("The server did not accept this computer's audit log")
    device = c1.session._archive.meta.device_id
    assert last not in {s for s, _h in server_hashes(server, device)}
    assert c1.session._archive.customers.get(c.id).version == 1


def test_an_archive_with_another_accounts_device_id_cannot_sign_in(server, clients) -> None:
    """c2's archive carrying c1's device id (copied, or the id set by hand) is refused at sign-in with
    a message in Chinese, and c1's trail on the server stays c1's alone."""
    import pytest

    from app.errors import SyncError, SyncErrorKind

    c1, c2 = clients("c1"), clients("c2")
    records.save_draft(c1.session, next(iter(generate(1, seed=15))))
    c1.login(server)
    assert c1.sync().audit_sent > 0
    device = c1.session._archive.meta.device_id
    before = server_hashes(server, device)
    c2.session._archive.meta.set("device_id", device)
    c2.session._archive.meta._device = None
    assert c2.session._archive.meta.device_id == device
    with pytest.raises(SyncError) as caught:
        c2.login(server)
    assert caught.value.kind is SyncErrorKind.AUTH
    assert caught.value.message("zh_CN").startswith("服务器上本电脑的档案已登记在另一个账号名下")
    assert server_hashes(server, device) == before
    assert "intact" in server.admin("audit", "verify").stderr

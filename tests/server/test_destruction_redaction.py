"""A destroyed record leaves no value anywhere (issue 18, audit LC1–LC3, LC7, S7, P5): through a real server
process (SQLite and PostgreSQL) and two clients with real SQLCipher archives, a collector's customer with a
changed field, a visit and an integrity entry is closed by the market manager and destroyed by an admin;
after the next sync every table of the server database and of both archives is scanned for its values
(none), the audit entry of the destruction is there, and the chains still verify: ``audit verify`` on the
server and each archive's own check (docs/domain.md, "Redacting a destroyed record's trail")."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import create_engine, inspect, select, text

from app.services import integrity, lifecycle, records, syncing
from server.schema import audit_entries, destructions
from server.schema_admin import destroyed_ids
from tests.complete import complete_customers
from tests.server.helpers import PASSWORD
from tests.sync.conftest import Client

SECRET_KEYS = ("licence_no", "id_card", "uscc", "shop_name", "address", "bank_account", "home_address")
NEW_PHONE = "13987654321"
VISIT_NOTE = "店主说下月搬迁到东大街甲号铺面"
INTEGRITY_TEXT = "超范围经营零售雪茄烟罚款记录"


def forms(value: str) -> set[str]:
    """How a value may be stored: as it is, and inside JSON with non-ASCII escaped."""
    return {value, json.dumps(value)[1:-1]}


def cell_text(v: Any) -> str:
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).decode("utf-8", "ignore")
    return "" if v is None else str(v)


def server_hits(url: str, needles: set[str]) -> list[str]:
    """``table: needle`` for each table of the server database holding one of the needles."""
    engine = create_engine(url)
    hits = []
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    blob = "\x1f".join(cell_text(v) for v in row)
                    hits.extend(f"{table}: {n}" for n in needles if n in blob)
    finally:
        engine.dispose()
    return sorted(set(hits))


def archive_hits(client: Client, needles: set[str]) -> list[str]:
    """The same for every table of a client's SQLCipher archive (search index and its shadow tables too)."""
    hits = []
    with client.session._archive.db.reading() as conn:
        tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
        for table in tables:
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                blob = "\x1f".join(cell_text(v) for v in row)
                hits.extend(f"{table}: {n}" for n in needles if n in blob)
    return sorted(set(hits))


def test_a_destroyed_record_leaves_no_value_on_the_server_or_either_archive(
    server_process, db_url, db, run, tmp_path, memory_keyring, monkeypatch
) -> None:
    assert run("user", "add", "admin", "--role", "admin")[0] == 0
    assert run("user", "add", "s1", "--role", "supervisor")[0] == 0
    assert run("user", "add", "c1", "--role", "collector", "--supervisor", "s1")[0] == 0
    server_process.start()
    c1 = Client(tmp_path / "home-c1", "c1").__enter__()
    s1 = Client(tmp_path / "home-s1", "s1").__enter__()
    try:
        c1.use()
        syncing.login(c1.session, server_process.url, "c1", PASSWORD)
        values = complete_customers(c1.session, 2, seed=18)
        gone_id = records.save_draft(c1.session, values[0])[0].id
        kept_id = records.save_draft(c1.session, values[1])[0].id
        records.save_changes(c1.session, gone_id, {"contact_phone": NEW_PHONE})  # history: old and new value
        today = c1.session.today().isoformat()
        records.add_visit(c1.session, gone_id, today, "巡访", VISIT_NOTE, "", [])
        integrity.add_entry(c1.session, gone_id, "violation", "monopoly", today, INTEGRITY_TEXT, "已整改")
        records.open_customer(c1.session, gone_id)  # an access entry about it
        assert c1.sync().complete

        s1.use()
        syncing.login(s1.session, server_process.url, "s1", PASSWORD)
        assert s1.sync().complete
        records.open_customer(s1.session, gone_id)
        lifecycle.close_outlets(s1.session, [gone_id], "close", today, "许可证注销")
        assert s1.sync().complete
        c1.use()
        assert c1.sync().complete

        secret = {str(values[0][k]) for k in SECRET_KEYS} | {NEW_PHONE, VISIT_NOTE, INTEGRITY_TEXT}
        assert not secret & {str(v) for v in values[1].values()}
        needles = set().union(*(forms(v) for v in secret))
        kept_needles = forms(str(values[1]["shop_name"]))
        # the scans find the values while they are there (the trails hold the changed phone and the note)
        before = server_hits(db_url, needles)
        assert any(h.startswith("audit_entries:") for h in before), before
        assert any(h.startswith("customers:") for h in before), before
        for who in (c1, s1):
            who.use()
            found = archive_hits(who, needles)
            assert any(h.startswith("customer:") for h in found), found
            assert who is s1 or any(h.startswith("audit:") for h in found), found

        monkeypatch.setenv("FIELDARCHIVE_RETENTION_CLOSED_DAYS", "0")
        code, out, err = run("retention", "destroy", gone_id, "--by", "admin", "--reason", "满期销毁（测试）")
        assert code == 0, err
        assert server_hits(db_url, needles) == []  # the server at once
        for who in (c1, s1):
            who.use()
            assert who.sync().complete
            assert archive_hits(who, needles) == []
            assert archive_hits(who, kept_needles) and records.get(who.session, kept_id) is not None  # untouched
            assert who.session._archive.audit.verify_chain() == []
            assert who.session._archive.audit.verify_records() == []
            with who.session._archive.db.reading() as conn:
                erase = conn.execute(
                    text("SELECT new FROM audit WHERE entity_id = :i AND action = 'erase'"), {"i": gone_id}
                ).all()
                assert len(erase) == 1 and json.loads(erase[0][0])["redacted"] > 0
        assert server_hits(db_url, needles) == []  # and after both trails were uploaded again
        assert server_hits(db_url, kept_needles)

        with db.read() as conn:
            row = conn.execute(select(destructions).where(destructions.c.record_id == gone_id)).one()
            assert row.approved_by == "admin" and json.loads(row.removed)["audit_redacted"] > 0
            a = audit_entries.c
            kept = conn.execute(select(a.action, a.old, a.new, a.vd).where(a.entity_id == gone_id)).all()
            assert {"create", "update", "erase", "open"} <= {r.action for r in kept}  # the entries remain
            assert all(r.old is None for r in kept) and all(r.vd for r in kept)
        code, out, err = run("audit", "verify")
        assert code == 0, err + out
    finally:
        for who in (c1, s1):
            who.use()
            who.__exit__()


def destruction_naming(conn: Any, ids: list[str]) -> None:
    """A destruction of the record ``ids[0]`` that removed ``ids``, written as ``lifecycle.destroy`` writes one."""
    done = conn.execute(
        destructions.insert()
        .values(
            record_id=ids[0],
            record_class="closed",
            since=0.0,
            retention_days=0,
            approved_by="admin",
            reason="test",
            at=0.0,
            removed="{}",
        )
        .returning(destructions.c.id)
    ).scalar_one()
    conn.execute(destroyed_ids.insert(), [{"id": i, "destruction_id": done} for i in ids])


def test_old_and_sealed_copies_verify_once_redacted_and_a_redaction_needs_a_destruction(api, world, db, run):
    """Entries uploaded before chain version 2 (hashed over their values) and sealed ones: redacted, the copy
    still verifies when a destruction names the record; a redaction nobody approved is reported; an entry of
    a destroyed record uploaded afterwards is stored without its values."""
    from app.models.audit_chain import entry_hash, seal
    from server import lifecycle as lc
    from tests.server.test_audit import chain, up

    old = chain("dev-c1", 3)  # entity ids id-1 … id-3
    assert up(api, world["c1"], old).status_code == 200
    sealed = []
    prev = old[-1]["hash"]
    for seq in (4, 5):
        e = seal({**old[0], "seq": seq, "entity_id": "id-1", "new": json.dumps(f"新值{seq}", ensure_ascii=False)})
        e["prev_hash"], e["hash"] = prev, entry_hash(prev, e)
        prev = e["hash"]
        sealed.append(e)
    assert up(api, world["c1"], sealed[:1]).status_code == 200
    with db.engine.begin() as conn:
        assert lc.redact_audit(conn, ["id-1"]) == 2  # entry 1 (old) and entry 4 (sealed)
    code, out, _ = run("audit", "verify")
    assert code == 1 and out.strip().splitlines() == [
        "dev-c1 #1: the entry lost its values and no destruction names its record",
        "dev-c1 #4: the entry lost its values and no destruction names its record",
    ]
    with db.engine.begin() as conn:
        destruction_naming(conn, ["id-1"])
    code, out, err = run("audit", "verify")
    assert code == 0 and out == "", out
    assert up(api, world["c1"], sealed[1:]).status_code == 200  # sent after the destruction
    with db.read() as conn:
        a = audit_entries.c
        rows = conn.execute(select(a.seq, a.old, a.new, a.salt, a.vd).where(a.entity_id == "id-1")).all()
        assert [(r.seq, r.old, r.new, r.salt) for r in rows] == [(s, None, None, None) for s in (1, 4, 5)]
        assert rows[0].vd == "legacy-redacted" and rows[2].vd == sealed[1]["vd"]
        assert conn.execute(select(a.new).where(a.seq == 2)).scalar() is not None  # other records keep theirs
    code, out, err = run("audit", "verify")
    assert code == 0 and out == "", out


def test_verify_looks_up_the_ids_it_meets_and_keeps_its_report_in_order(api, world, db, run):
    """``audit verify`` no longer holds every destroyed id: it looks up those of the redacted entries it
    meets (``lifecycle.destroyed_among``, 500 a time) once a device's entries are read, and says what it
    says in the entries' order: 1,200 redacted entries, two of them named by no destruction, and a gap
    before one that is (its own line, where it was)."""
    from server import lifecycle as lc
    from tests.server.test_audit import chain, up

    entries = chain("dev-c1", 1200)
    for i in range(0, len(entries), 500):
        assert up(api, world["c1"], entries[i : i + 500]).status_code == 200
    ids = [e["entity_id"] for e in entries]
    with db.engine.begin() as conn:
        assert lc.redact_audit(conn, ids) == 1200
        destruction_naming(conn, [i for i in ids if i not in ("id-700", "id-1100")])
        conn.execute(audit_entries.delete().where(audit_entries.c.seq == 900))
    code, out, _ = run("audit", "verify")
    lines = out.strip().splitlines()
    assert code == 1 and lines[:3] == [
        "dev-c1 #700: the entry lost its values and no destruction names its record",
        "dev-c1 #901: the entry before it is missing",
        "dev-c1 #1100: the entry lost its values and no destruction names its record",
    ], out
    assert [line for line in lines[3:] if "acknowledgement" not in line] == [], out  # the deleted #900's acks

"""Redacting a destroyed record's audit entries (issue 18, docs/domain.md "Redacting a destroyed record's
trail"): chain version 2 hashes a salted digest of the values, so the values and the salt go and the entry
still verifies; entries of the old chain (a frozen v6 archive) still verify after the upgrade and after their
own redaction; anything else — a changed value, a redaction without the record's erasure, an update of
another column — is refused by the trigger or found by the chain check."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlcipher3

from app.models.audit_chain import GENESIS, LEGACY_REDACTED, entry_hash, redacted, seal
from app.models.record import Provenance, Source
from app.services import records
from app.services import session as ss
from tests.consent import consented
from tests.unit.test_migrations import PASSPHRASE, install

ROW = {
    "seq": 1,
    "at": "2026-11-23T08:00:00.000Z",
    "actor": "c1",
    "device": "dev",
    "entity": "customer",
    "entity_id": "id-1",
    "action": "update",
    "field": "contact_phone",
    "old": '"13987654321"',
    "new": '"13987654322"',
    "source": "manual",
    "source_ref": "",
    "info_date": None,
}


def test_a_sealed_entry_verifies_without_its_values_and_a_changed_value_does_not() -> None:
    row = seal(dict(ROW))
    h = entry_hash(GENESIS, row)
    assert entry_hash(GENESIS, {**row, **redacted(row)}) == h  # values and salt gone, the hash holds
    assert entry_hash(GENESIS, {**row, "new": '"13900000000"'}) != h
    assert entry_hash(GENESIS, {**row, "actor": "c2"}) != h
    assert entry_hash(GENESIS, {**row, "salt": None}) != h  # values left without their salt
    assert entry_hash(GENESIS, {**row, **redacted(row), "vd": "0" * 64}) != h
    # the digest does not give the value away: it depends on the (removed) salt
    other = seal(dict(ROW))
    assert other["vd"] != row["vd"] and ROW["new"] not in row["vd"]


def test_an_old_entry_hashes_as_before_and_once_redacted_keeps_its_hash() -> None:
    parts = [str(ROW["seq"]), *(str(ROW[k] or "") for k in list(ROW)[1:])]
    before = hashlib.sha256((GENESIS + "\x1f" + "\x1f".join(parts)).encode()).hexdigest()
    assert entry_hash(GENESIS, ROW) == before  # chain version 1 unchanged
    gone = {**ROW, **redacted(ROW), "hash": before}
    assert gone["vd"] == LEGACY_REDACTED and gone["old"] is None and entry_hash(GENESIS, gone) == before


def _erase(arc, record_id: str) -> None:
    with arc.lifecycle.transaction() as tx:
        arc.lifecycle.erase(tx, record_id, Provenance("", Source.SYSTEM, "destroyed"))


def _values_in_audit(arc, *values: str) -> list[str]:
    raw = arc.db.raw
    rows = raw.execute("SELECT coalesce(old, '') || coalesce(new, '') FROM audit").fetchall()
    return [v for v in values if any(v in r[0] for r in rows)]


def test_a_frozen_v6_trail_upgrades_redacts_and_still_verifies(home) -> None:
    install("v6", home)
    s = ss.unlock(passphrase=PASSPHRASE)
    try:
        arc = s._archive
        assert arc.audit.verify_chain() == []
        pending = "01900000-0000-7000-8000-000000000003"
        assert _values_in_audit(arc, "13987654321", "13987654322") == ["13987654321", "13987654322"]
        _erase(arc, pending)
        assert _values_in_audit(arc, "13987654321", "13987654322", "李记便利店") == []
        assert arc.audit.verify_chain() == [] and arc.audit.verify_records() == []
        legacy = arc.db.raw.execute("SELECT count(*) FROM audit WHERE vd = ?", (LEGACY_REDACTED,)).fetchone()[0]
        assert legacy >= 2  # its create and its update, written before version 2
        # new entries after the old ones are sealed, and the whole chain checks
        full = "01900000-0000-7000-8000-000000000001"
        records.save_changes(s, full, {"contact_phone": "13612345678"})
        assert arc.db.raw.execute("SELECT count(*) FROM audit WHERE salt IS NOT NULL").fetchone()[0] >= 1
        assert arc.audit.verify_chain() == [] and arc.audit.verify_records() == []
    finally:
        s.close()


def test_the_trigger_lets_only_a_redaction_through_and_the_check_wants_the_erasure(session) -> None:
    arc = session._archive
    kept = records.save_draft(session, consented({"shop_name": "张记烟酒", "contact_phone": "13987654321"}))[0].id
    records.save_changes(session, kept, {"contact_phone": "13987654322"})
    raw = arc.db.raw
    seq, vd = raw.execute("SELECT seq, vd FROM audit WHERE action = 'update' AND entity_id = ?", (kept,)).fetchone()
    for bad in (
        "UPDATE audit SET actor = 'someone' WHERE seq = ?",
        "UPDATE audit SET new = '\"13900000000\"' WHERE seq = ?",
        "UPDATE audit SET old = NULL, new = NULL, salt = NULL, vd = '" + "0" * 64 + "' WHERE seq = ?",
        "UPDATE audit SET old = NULL, new = NULL, salt = NULL, vd = vd, hash = '" + "1" * 64 + "' WHERE seq = ?",
    ):
        with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
            raw.execute(bad, (seq,))
    # a redaction the trigger allows, of a record nobody erased, is found
    raw.execute("UPDATE audit SET old = NULL, new = NULL, salt = NULL WHERE seq = ?", (seq,))
    assert raw.execute("SELECT vd FROM audit WHERE seq = ?", (seq,)).fetchone()[0] == vd
    assert arc.audit.verify_chain() == [f"audit entry {seq} lost its values and its record was not erased"]


def test_erasing_a_record_removes_its_values_and_entries_and_keeps_the_chain(session) -> None:
    arc = session._archive
    gone = records.save_draft(session, consented({"shop_name": "王记烟酒店", "contact_phone": "13987654321"}))[0].id
    kept = records.save_draft(session, consented({"shop_name": "李记便利店", "contact_phone": "13612345678"}))[0].id
    records.save_changes(session, gone, {"contact_phone": "13987654322"})
    records.save_changes(session, kept, {"contact_phone": "13612345679"})
    records.add_visit(session, gone, session.today().isoformat(), "巡访", "店主下月搬迁", "", [])
    _erase(arc, gone)
    assert _values_in_audit(arc, "王记烟酒店", "13987654321", "13987654322", "店主下月搬迁") == []
    assert _values_in_audit(arc, "13612345679") == ["13612345679"]  # another record's trail is untouched
    assert arc.customers.search_pks("王记") == [] and arc.customers.search_pks("李记")
    erase = arc.db.raw.execute("SELECT new FROM audit WHERE entity_id = ? AND action = 'erase'", (gone,)).fetchone()
    assert json.loads(erase[0])["redacted"] >= 3 and len(json.loads(erase[0])["entries"]) == 1  # the visit
    assert arc.audit.verify_chain() == [] and arc.audit.verify_records() == []
    assert [e.action for e in arc.audit.history(gone)][-1] == "erase"
    assert records.get(session, kept) is not None

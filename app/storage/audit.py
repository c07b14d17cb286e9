"""The archive's audit part (``archive.audit``): the append-only, hash-chained audit trail.

Every change writes its entries in the same transaction as the change: who,
when, on which device, which field, old and new value, and the date and source
of the collected information. Each entry's hash covers the previous hash, so a
changed, removed or reordered entry breaks the chain; the head is also kept in
``meta`` so a truncated tail is noticed. Triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from app.models.audit_chain import GENESIS, LEGACY_REDACTED, entry_hash, is_redacted, redacted, seal
from app.models.record import AuditEntry, Provenance, new_id
from app.models.wire import ACCESS_ENTITY, canonical_json
from app.storage import schema
from app.storage.db import Part

#: meta key: the last audit entry the server acknowledged.
AUDIT_SENT = "audit_sent_seq"


class JsonText(str):
    """A value already serialised as canonical JSON (saves serialising the same values twice)."""


def _j(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, JsonText):
        return str(v)
    return canonical_json(v).decode("utf-8")


def creation_commitment(data_json: str, n_fields: int) -> JsonText:
    """What a record's "create" entry stores: a SHA-256 commitment to its initial values.

    The initial values themselves are not copied into the trail (that doubled the archive):
    they are the current values with every later field change undone, and the hash proves
    the reconstruction (and so the record and its trail) untouched.
    """
    digest = hashlib.sha256(data_json.encode("utf-8")).hexdigest()
    return JsonText(f'{{"fields":{n_fields},"sha256":"{digest}"}}')


def reconstruct_initial(
    current: dict[str, Any], updates_newest_first: Iterable[tuple[str, Any, Any]]
) -> tuple[dict[str, Any], bool]:
    """Undo the logged field changes (newest first); also say whether the newest change of each
    field left the value the record holds now (a value changed behind the trail's back does not)."""
    values = dict(current)
    seen: set[str] = set()
    consistent = True
    for field, old, new in updates_newest_first:
        if field not in seen:
            seen.add(field)
            consistent = consistent and current.get(field) == new
        if old is None:
            values.pop(field, None)
        else:
            values[field] = old
    return values, consistent


def matches_commitment(initial: dict[str, Any], created: Any) -> bool:
    if isinstance(created, dict) and set(created) == {"fields", "sha256"}:
        return bool(hashlib.sha256(canonical_json(initial)).hexdigest() == created["sha256"])
    return bool(created == initial)  # archives written before the commitment stored the values themselves


def entry_of(r: RowMapping) -> AuditEntry:
    """One row of the ``audit`` table as the value the parts hand out (its JSON values decoded)."""
    return AuditEntry(
        r["seq"],
        r["at"],
        r["actor"],
        r["entity"],
        r["entity_id"],
        r["action"],
        r["field"],
        json.loads(r["old"]) if r["old"] is not None else None,
        json.loads(r["new"]) if r["new"] is not None else None,
        r["source"],
        r["source_ref"],
        r["info_date"],
    )


_INSERT = (
    "INSERT INTO audit (seq, at, actor, device, entity, entity_id, action, field, old, new, source, source_ref, "
    "info_date, prev_hash, hash, salt, vd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class AuditLog(Part):
    """``archive.audit``: every part appends its entries here, in the transaction of its change."""

    def append(
        self,
        tx: Connection,
        prov: Provenance,
        entries: Iterable[tuple[str, str, str, str | None, Any, Any]],
        refs: Sequence[str] | None = None,
    ) -> None:
        """Append (entity, entity_id, action, field, old, new) entries with one provenance; ``refs``:
        each entry's own source reference instead of the provenance's (a synced change names the
        account that made it on the server there, docs/domain.md "Who did it")."""
        rows = list(entries)
        if not rows:
            return
        last = tx.execute(
            select(schema.audit.c.seq, schema.audit.c.hash).order_by(schema.audit.c.seq.desc()).limit(1)
        ).first()
        seq, prev = (last[0], last[1]) if last else (0, GENESIS)
        now, device, actor = self.clock(), self.arc.meta.device_id, prov.actor or self.actor
        out = []
        for i, (entity, entity_id, action, field, old, new) in enumerate(rows):
            seq += 1
            row = {
                "seq": seq,
                "at": now,
                "actor": actor,
                "device": device,
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "field": field,
                "old": _j(old),
                "new": _j(new),
                "source": prov.source.value,
                "source_ref": refs[i] if refs is not None else prov.source_ref,
                "info_date": prov.info_date,
            }
            h = entry_hash(prev, seal(row))
            out.append(
                (
                    seq,
                    now,
                    actor,
                    device,
                    entity,
                    entity_id,
                    action,
                    field,
                    row["old"],
                    row["new"],
                    row["source"],
                    row["source_ref"],
                    row["info_date"],
                    prev,
                    h,
                    row["salt"],
                    row["vd"],
                )
            )
            prev = h
        tx.exec_driver_sql(_INSERT, out)
        tx.exec_driver_sql("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)", (f"{seq}:{prev}",))

    def redact(self, tx: Connection, entity_ids: Sequence[str]) -> int:
        """Remove the values of every entry about ``entity_ids`` (a destroyed record, its visits and its
        integrity, complaint, signature and service entries), keeping each entry's ``vd`` so the chain
        still verifies (app.models.audit_chain). Returns how many entries were redacted."""
        a = schema.audit.c
        done = 0
        ids = sorted(set(entity_ids))
        for i in range(0, len(ids), 500):
            rows = tx.execute(
                select(a.seq, a.vd, a.salt, a.old, a.new).where(
                    a.entity_id.in_(ids[i : i + 500]), (a.old.is_not(None)) | (a.new.is_not(None)) | a.salt.is_not(None)
                )
            ).mappings()
            for r in rows.all():
                tx.execute(schema.audit.update().where(a.seq == r["seq"]).values(**redacted(r)))
                done += 1
        return done

    def record_action(self, entity: str, action: str, prov: Provenance, details: dict[str, Any]) -> str:
        """Log an action that changes no record (an export, for one): its own entity and a new id,
        the details as the entry's new value, chained like every other entry. Returns the id."""
        entity_id = new_id()
        with self.transaction() as tx:
            self.append(tx, prov, [(entity, entity_id, action, None, None, details)])
        return entity_id

    # ---- the copy on the server -----------------------------------------------------------------
    def pending(self, limit: int) -> list[dict[str, Any]]:
        """The next entries the server has not acknowledged, oldest first, exactly as hashed."""
        a = schema.audit.c
        done = int(self.arc.meta.get(AUDIT_SENT) or 0)
        with self.reading() as c:
            rows = c.execute(select(schema.audit).where(a.seq > done).order_by(a.seq).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def mark_sent(self, seq: int) -> None:
        """The server holds every entry up to ``seq`` (0: send everything again)."""
        self.arc.meta.set(AUDIT_SENT, str(seq))

    def actions(self, entity: str) -> list[AuditEntry]:
        """The entries of one kind of non-record action (``export`` …), oldest first."""
        a = schema.audit.c
        with self.reading() as c:
            rows = c.execute(select(schema.audit).where(a.entity == entity).order_by(a.seq)).mappings().all()
        return [entry_of(r) for r in rows]

    def history(self, entity_id: str) -> list[AuditEntry]:
        """The trail of one record, oldest first; its "create" entry carries the initial values. Who
        looked at it is not its history: the access entries are ``archive.access``'s."""
        a = schema.audit.c
        with self.reading() as c:
            rows = (
                c.execute(
                    select(schema.audit).where(a.entity_id == entity_id, a.entity != ACCESS_ENTITY).order_by(a.seq)
                )
                .mappings()
                .all()
            )
            data = c.execute(select(schema.customer.c.data).where(schema.customer.c.id == entity_id)).scalar()
        entries = [entry_of(r) for r in rows]
        if data is not None and entries and entries[0].action == "create":
            initial, consistent = reconstruct_initial(
                json.loads(data),
                [
                    (cast(str, e.field), e.old, e.new)
                    for e in reversed(entries)  # updates name a field
                    if e.action == "update"
                ],
            )
            ok = consistent and matches_commitment(initial, entries[0].new)
            entries[0] = replace(entries[0], new=initial if ok else None, intact=ok)
        return entries

    def verify_records(self) -> list[str]:
        """Each customer's current values, with its logged changes undone, match its creation commitment."""
        a, cu = schema.audit.c, schema.customer.c
        updates: dict[str, list[tuple[str, Any, Any]]] = {}
        problems: list[str] = []
        with self.reading() as c:
            q = (
                select(a.entity_id, a.field, a.old, a.new)
                .where(a.entity == "customer", a.action == "update")
                .order_by(a.seq.desc())
            )
            for entity_id, field, old, new in c.execute(q):
                updates.setdefault(entity_id, []).append(
                    (field, json.loads(old) if old is not None else None, json.loads(new) if new is not None else None)
                )
            created = {  # a destroyed record's entries have no values left, and it has no row to compare
                i: json.loads(n)
                for i, n in c.execute(select(a.entity_id, a.new).where(a.entity == "customer", a.action == "create"))
                if n is not None
            }
            for cid, code, data in c.execute(select(cu.id, cu.code, cu.data)):
                initial, consistent = reconstruct_initial(json.loads(data), updates.get(cid, []))
                if cid not in created or not consistent or not matches_commitment(initial, created[cid]):
                    problems.append(f"customer {code or cid} does not match its audit trail")
        return problems

    def verify_chain(self) -> list[str]:
        """Problems in the chain (first broken link, truncation, an entry redacted without its record's
        erasure); empty when intact."""
        problems: list[str] = []
        prev, expected_seq = GENESIS, 1
        blanked: dict[str, int] = {}  # redacted entries: entity id → first position
        erased: set[str] = set()
        with self.reading() as c:
            for r in c.execute(select(schema.audit).order_by(schema.audit.c.seq)).mappings():
                if r["seq"] != expected_seq:
                    problems.append(f"audit entry {expected_seq} is missing")
                    return problems
                if r["prev_hash"] != prev or entry_hash(prev, dict(r)) != r["hash"]:
                    problems.append(f"audit entry {r['seq']} was altered")
                    return problems
                if is_redacted(r):
                    blanked.setdefault(r["entity_id"], r["seq"])
                elif r["action"] == "erase" and r["vd"] != LEGACY_REDACTED:
                    erased.add(r["entity_id"])
                    erased.update((json.loads(r["new"]) or {}).get("entries") or [] if r["new"] else [])
                prev, expected_seq = r["hash"], expected_seq + 1
            head = c.execute(select(schema.meta.c.value).where(schema.meta.c.key == "audit_head")).scalar()
        for entity_id, seq in sorted(blanked.items(), key=lambda x: x[1]):
            if entity_id not in erased:
                problems.append(f"audit entry {seq} lost its values and its record was not erased")
                return problems
        last = expected_seq - 1
        if (head or f"0:{GENESIS}") != f"{last}:{prev}":
            problems.append("the end of the audit trail was removed")
        return problems

"""Append-only, hash-chained audit trail.

Every change writes its entries in the same transaction as the change: who,
when, on which device, which field, old and new value, and the date and source
of the collected information. Each entry's hash covers the previous hash, so a
changed, removed or reordered entry breaks the chain; the head is also kept in
``meta`` so a truncated tail is noticed. Triggers refuse UPDATE and DELETE.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from app.models.record import AuditEntry, Provenance
from app.storage import schema

GENESIS = "0" * 64
_SEP = "\x1f"


def _j(v: Any) -> str | None:
    return None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(prev: str, row: dict[str, Any]) -> str:
    parts = [str(row["seq"]), row["at"], row["actor"], row["device"], row["entity"], row["entity_id"], row["action"],
             row["field"] or "", row["old"] or "", row["new"] or "", row["source"], row["source_ref"], row["info_date"] or ""]
    return hashlib.sha256((prev + _SEP + _SEP.join(parts)).encode("utf-8")).hexdigest()


class AuditLog:
    actor: str
    clock: Any
    device_id: str

    def _audit(self, tx: Connection, prov: Provenance, entries: Iterable[tuple[str, str, str, str | None, Any, Any]]) -> None:
        """Append (entity, entity_id, action, field, old, new) entries with one provenance."""
        rows = list(entries)
        if not rows:
            return
        last = tx.execute(select(schema.audit.c.seq, schema.audit.c.hash).order_by(schema.audit.c.seq.desc()).limit(1)).first()
        seq, prev = (last[0], last[1]) if last else (0, GENESIS)
        now, device = self.clock(), self.device_id
        out = []
        for entity, entity_id, action, field, old, new in rows:
            seq += 1
            row = {"seq": seq, "at": now, "actor": prov.actor or self.actor, "device": device, "entity": entity,
                   "entity_id": entity_id, "action": action, "field": field, "old": _j(old), "new": _j(new),
                   "source": prov.source.value, "source_ref": prov.source_ref, "info_date": prov.info_date}
            row["prev_hash"] = prev
            prev = row["hash"] = entry_hash(prev, row)
            out.append(row)
        tx.execute(schema.audit.insert(), out)
        tx.execute(schema.meta.insert().prefix_with("OR REPLACE"), [{"key": "audit_head", "value": f"{seq}:{prev}"}])

    def history(self, entity_id: str) -> list[AuditEntry]:
        a = schema.audit.c
        with self.reading() as c:  # type: ignore[attr-defined]
            rows = c.execute(select(schema.audit).where(a.entity_id == entity_id).order_by(a.seq)).mappings().all()
        return [AuditEntry(r["seq"], r["at"], r["actor"], r["entity"], r["entity_id"], r["action"], r["field"],
                           json.loads(r["old"]) if r["old"] is not None else None,
                           json.loads(r["new"]) if r["new"] is not None else None,
                           r["source"], r["source_ref"], r["info_date"]) for r in rows]

    def verify_audit(self) -> list[str]:
        """Problems in the chain (first broken link, truncation); empty when intact."""
        problems: list[str] = []
        prev, expected_seq = GENESIS, 1
        with self.reading() as c:  # type: ignore[attr-defined]
            for r in c.execute(select(schema.audit).order_by(schema.audit.c.seq)).mappings():
                if r["seq"] != expected_seq:
                    problems.append(f"audit entry {expected_seq} is missing")
                    return problems
                if r["prev_hash"] != prev or entry_hash(prev, dict(r)) != r["hash"]:
                    problems.append(f"audit entry {r['seq']} was altered")
                    return problems
                prev, expected_seq = r["hash"], expected_seq + 1
            head = c.execute(select(schema.meta.c.value).where(schema.meta.c.key == "audit_head")).scalar()
        last = expected_seq - 1
        if (head or f"0:{GENESIS}") != f"{last}:{prev}":
            problems.append("the end of the audit trail was removed")
        return problems

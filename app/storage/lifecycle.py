"""The archive's lifecycle part (``archive.lifecycle``): closing an outlet (销户) or reopening it here, and
erasing a record the server destroyed at the end of its retention (docs/domain.md, "The archive's
lifecycle").

A close or reopen is shown at once (the customer's ``closure`` and ``closed`` columns) and queued as a
``customer.close`` mutation; the server's answer settles it like any other. An ``erase`` from the feed
removes the customer's row, its search entries, visits, queued work, conflict and autosave, and the
photos no other customer or visit here refers to; the trail keeps one ``erase`` entry without values.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from app.models.record import Provenance
from app.models.wire import MutationKind
from app.storage import schema
from app.storage.db import Part

C = schema.customer.c
V = schema.visit.c
P = schema.photo.c


class Lifecycle(Part):
    """``archive.lifecycle``: closures and erasures."""

    def record_closure(self, record_id: str, closure: dict[str, Any], prov: Provenance) -> None:
        """A close or reopen decided here (offline too): shown at once, queued for the server.
        ``closure``: action (close | reopen), day, reason, as the mutation carries it."""
        closing = closure["action"] == "close"
        shown = {
            "state": "closed" if closing else "reopened",
            "day": closure.get("day"),
            "reason": closure["reason"],
            "by": prov.actor or self.actor,
            "at": self.clock(),
        }
        with self.transaction() as tx:
            old = tx.execute(select(C.closure).where(C.id == record_id, C.deleted_at.is_(None))).first()
            if old is None:
                raise KeyError(record_id)
            tx.execute(
                schema.customer.update()
                .where(C.id == record_id)
                .values(closure=json.dumps(shown, ensure_ascii=False), closed=int(closing), updated_at=self.clock())
            )
            before = json.loads(old[0]).get("state") if old[0] else None
            self.arc.audit.append(tx, prov, [("customer", record_id, "closure", None, before, shown)])
            self.arc.outbox.queue(tx, MutationKind.CLOSE.value, record_id, {"closure": closure})

    def erase(self, tx: Connection, record_id: str, prov: Provenance) -> int:
        """Erase a record the server destroyed; returns 1 if this archive held it, else 0. Its visits,
        integrity entries, complaints, signatures and service records go with it, and the values of every
        audit entry about any of them are redacted (the trail still verifies: app.models.audit_chain)."""
        row = tx.execute(select(C.pk, C.data).where(C.id == record_id)).first()
        shas: set[str] = set()
        for (photos,) in tx.execute(select(V.photos).where(V.customer_id == record_id)):
            shas.update(json.loads(photos or "[]"))
        if row is not None:
            shas.update(_photo_refs(json.loads(row.data)))
        related: set[str] = set()
        for table in (schema.visit, schema.integrity_entry, schema.complaint, schema.signature, schema.service_record):
            related.update(tx.execute(select(table.c.id).where(table.c.customer_id == record_id)).scalars())
        for (photos,) in tx.execute(
            select(schema.integrity_entry.c.photos).where(schema.integrity_entry.c.customer_id == record_id)
        ):
            shas.update(json.loads(photos or "[]"))
        shas.update(
            tx.execute(select(schema.signature.c.image).where(schema.signature.c.customer_id == record_id)).scalars()
        )
        for table in (schema.visit, schema.integrity_entry, schema.complaint, schema.signature, schema.service_record):
            tx.execute(delete(table).where(table.c.customer_id == record_id))
        tx.execute(delete(schema.outbox).where(schema.outbox.c.record_id == record_id))
        tx.execute(delete(schema.conflict).where(schema.conflict.c.record_id == record_id))
        tx.execute(delete(schema.autosave).where(schema.autosave.c.customer_id == record_id))
        if row is not None:
            self.arc.customers.unindex(tx, [row.pk])
            for index in ("customer_trgm", "customer_gram"):  # a deleted row's terms stay until a merge
                tx.exec_driver_sql(f"INSERT INTO {index} ({index}) VALUES ('optimize')")
            tx.execute(delete(schema.customer).where(C.pk == row.pk))
        for sha in sorted(shas):
            if not _still_used(tx, sha):
                tx.execute(delete(schema.photo).where(P.sha256 == sha))
        redacted = self.arc.audit.redact(tx, [record_id, *related])
        if row is None and not redacted:
            return 0
        # no value: the ids whose entries were redacted (so ``audit verify`` knows why), and how many
        details = {"entries": sorted(related), "redacted": redacted}
        self.arc.audit.append(tx, prov, [("customer", record_id, "erase", None, None, details)])
        return 1 if row is not None else 0


def _photo_refs(values: dict[str, Any]) -> set[str]:
    """The photo hashes a customer's values name (photo fields hold lists of SHA-256 hex digests)."""
    out: set[str] = set()
    for v in values.values():
        if isinstance(v, list):
            out.update(x for x in v if isinstance(x, str) and len(x) == 64)
    return out


def _still_used(tx: Connection, sha: str) -> bool:
    """Whether another customer, visit, integrity entry or signature of this archive names the photo."""
    like = f"%{sha}%"
    ie, sg = schema.integrity_entry.c, schema.signature.c
    return (
        tx.execute(select(C.pk).where(C.data.like(like)).limit(1)).first() is not None
        or tx.execute(select(V.pk).where(V.photos.like(like)).limit(1)).first() is not None
        or tx.execute(select(ie.pk).where(ie.photos.like(like)).limit(1)).first() is not None
        or tx.execute(select(sg.pk).where(sg.image == sha).limit(1)).first() is not None
    )

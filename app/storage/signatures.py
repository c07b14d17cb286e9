"""The archive's signatures part (``archive.signatures``): the customer's signatures on its basic information.

A signature made here (its PNG already in the archive's photos, content-addressed) is written, audited and
queued (``signature.add``) in one transaction, marked ``pending``; the server's answer marks it ``synced``
or ``refused`` with the reason, and never blocks the customer's own changes. The feed brings a customer's
signatures whole (``take_server``): rows as the server has them replace the synced ones; pending ones wait
for their answer. Whether one is outdated is worked out when read, against the customer's values now
(app.validation.consent.changed_fields, the server's rule too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from app.models.record import Provenance
from app.models.remote import PushResult
from app.models.signature import Signature
from app.models.sync_state import OutboxRow
from app.models.wire import MutationKind, ResultStatus
from app.storage import schema
from app.storage.answers import refusal_reason, server_iso
from app.storage.db import Part
from app.validation.consent import MESSAGES, changed_fields

S = schema.signature.c


def _signature(r: Any, values: Mapping[str, Any]) -> Signature:
    fields = json.loads(r["fields"])
    return Signature(
        r["id"],
        r["customer_id"],
        r["signed_on"],
        r["image"],
        fields,
        r["digest"],
        r["version"],
        r["verified_by"],
        r["recorded_at"],
        r["state"],
        r["error"],
        tuple(changed_fields(fields, values)),
    )


class Signatures(Part):
    """``archive.signatures``: signatures made here or received from the server."""

    def add(self, sig: Signature, prov: Provenance) -> Signature:
        """Store a signature (checked by the caller), audit it and queue it for the server."""
        sig = replace(sig, verified_by=prov.actor or self.actor, recorded_at=self.clock(), state="pending", error="")
        sent = {
            "id": sig.id,
            "signed_on": sig.signed_on,
            "image": sig.image,
            "fields": dict(sig.values),
            "digest": sig.digest,
        }
        with self.transaction() as tx:
            tx.execute(
                schema.signature.insert().values(
                    id=sig.id,
                    customer_id=sig.customer_id,
                    signed_on=sig.signed_on,
                    image=sig.image,
                    fields=json.dumps(dict(sig.values), ensure_ascii=False, sort_keys=True),
                    digest=sig.digest,
                    version=sig.version,
                    verified_by=sig.verified_by,
                    recorded_at=sig.recorded_at,
                    state="pending",
                    error="",
                )
            )
            audited = {"customer_id": sig.customer_id, "signed_on": sig.signed_on, "digest": sig.digest}
            self.arc.audit.append(tx, prov, [("signature", sig.id, "create", None, None, audited)])
            self.arc.outbox.queue(tx, MutationKind.SIGNATURE.value, sig.customer_id, {"signature": sent})
        return sig

    def of_customer(self, customer_id: str, values: Mapping[str, Any]) -> list[Signature]:
        """The customer's signatures, newest first, each with the signed fields changed since (``values``: the
        customer's values now)."""
        with self.reading() as c:
            rows = c.execute(
                select(schema.signature)
                .where(S.customer_id == customer_id)
                .order_by(S.signed_on.desc(), S.recorded_at.desc(), S.pk.desc())
            ).mappings()
            return [_signature(r, values) for r in rows]

    # ---- the server's answers and feed ---------------------------------------------------------------
    def answered(self, tx: Connection, row: OutboxRow, result: PushResult) -> None:
        """The server's answer to one of our rows (inside the answers' transaction)."""
        sid = ((row.extra or {}).get("signature") or {}).get("id")
        ok = result.status in (ResultStatus.APPLIED, ResultStatus.MERGED)
        held = not ok and all(e.code == "signature.duplicate" for e in result.errors) and bool(result.errors)
        state, error = ("synced", "") if ok or held else ("refused", refusal_reason(result, MESSAGES))
        tx.execute(schema.signature.update().where(S.id == sid).values(state=state, error=error))

    def take_server(
        self, tx: Connection, customer_id: str, found: Sequence[Mapping[str, Any]], prov: Provenance
    ) -> None:
        """A customer's signatures as the server has them (from the feed), in the caller's transaction."""
        sigs = [s for s in found if isinstance(s.get("id"), str) and isinstance(s.get("image"), str)]
        ids = [s["id"] for s in sigs]
        known = set(tx.execute(select(S.id).where(S.customer_id == customer_id, S.state == "synced")).scalars())
        tx.execute(delete(schema.signature).where(S.customer_id == customer_id, (S.state == "synced") | S.id.in_(ids)))
        rows = [
            {
                "id": s["id"],
                "customer_id": customer_id,
                "signed_on": str(s.get("signed_on") or ""),
                "image": s["image"],
                "fields": json.dumps(
                    s.get("fields") if isinstance(s.get("fields"), dict) else {}, ensure_ascii=False, sort_keys=True
                ),
                "digest": str(s.get("digest") or ""),
                "version": int(s.get("version") or 0),
                "verified_by": str(s.get("verified_by") or ""),
                "recorded_at": server_iso(s.get("recorded_at")),
                "state": "synced",
                "error": "",
            }
            for s in sigs
        ]
        if rows:
            tx.execute(schema.signature.insert(), rows)
        self.arc.audit.append(
            tx,
            prov,
            [
                ("signature", r["id"], "create", None, None, {"customer_id": customer_id, "signed_on": r["signed_on"]})
                for r in rows
                if r["id"] not in known
            ],
        )

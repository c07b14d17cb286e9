"""The archive's integrity part (``archive.integrity``): the outlet's integrity entries and complaints.

A local entry, complaint or complaint step is written, audited and queued (``integrity.add``,
``complaint.open``, ``complaint.step``) in one transaction, marked ``pending``. The server's answer marks
it ``synced`` or ``refused`` (a refused step puts the complaint back as the server last had it, with the
reason), and never blocks the customer's own changes. The feed brings each customer's file whole
(``take_server``): rows as the server has them replace the synced ones; pending ones wait for their answer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from app.models.integrity import Complaint, IntegrityEntry, OverdueComplaint
from app.models.record import Provenance
from app.models.remote import PushResult
from app.models.sync_state import OutboxRow
from app.models.wire import MutationKind, ResultStatus
from app.storage import schema
from app.storage.answers import refusal_reason, server_iso
from app.storage.db import Part
from app.validation.integrity import ACTIONS, MESSAGES, OPEN_STATUSES

E = schema.integrity_entry.c
K = schema.complaint.c
C = schema.customer.c
KINDS = frozenset({MutationKind.INTEGRITY.value, MutationKind.COMPLAINT.value, MutationKind.COMPLAINT_STEP.value})
#: The complaint's columns the server decides (the rest are the client's bookkeeping).
SERVER_KEYS = (
    "channel",
    "received_on",
    "content",
    "complainant_name",
    "complainant_phone",
    "status",
    "assignee",
    "deadline",
    "handling",
    "answer",
    "response",
    "closed_on",
    "revision",
    "created_by",
)


def _entry(r: Any) -> IntegrityEntry:
    return IntegrityEntry(
        r["id"],
        r["customer_id"],
        r["kind"],
        r["source"],
        r["occurred_on"],
        r["text"],
        r["handling"],
        tuple(json.loads(r["photos"])),
        r["recorded_by"],
        r["recorded_at"],
        r["state"],
        r["error"],
    )


def _complaint(r: Any) -> Complaint:
    return Complaint(**{k: r[k] for k in ("id", "customer_id", *SERVER_KEYS, "state", "error")})


class Integrity(Part):
    """``archive.integrity``: integrity entries and complaints, made here or received from the server."""

    # ---- entries -----------------------------------------------------------------------------------
    def add_entry(self, entry: IntegrityEntry, prov: Provenance) -> IntegrityEntry:
        """Store an entry (checked by the caller), audit it and queue it for the server."""
        entry = replace(entry, recorded_by=prov.actor or self.actor, recorded_at=self.clock(), state="pending")
        fields = {
            "kind": entry.kind,
            "source": entry.source,
            "occurred_on": entry.occurred_on,
            "text": entry.text,
            "handling": entry.handling,
            "photos": list(entry.photos),
        }
        with self.transaction() as tx:
            tx.execute(
                schema.integrity_entry.insert().values(
                    **{**asdict(entry), "photos": json.dumps(list(entry.photos))},
                )
            )
            self.arc.audit.append(
                tx, prov, [("integrity", entry.id, "create", None, None, {**fields, "customer_id": entry.customer_id})]
            )
            self.arc.outbox.queue(
                tx, MutationKind.INTEGRITY.value, entry.customer_id, {"entry": {"id": entry.id, **fields}}
            )
        return entry

    def entries(self, customer_id: str) -> list[IntegrityEntry]:
        with self.reading() as c:
            rows = c.execute(
                select(schema.integrity_entry)
                .where(E.customer_id == customer_id)
                .order_by(E.occurred_on.desc(), E.pk.desc())
            ).mappings()
            return [_entry(r) for r in rows]

    def all_entries(self) -> list[tuple[IntegrityEntry, str, str]]:
        """Every entry of the customers held here, with the outlet's code and shop name (the export)."""
        with self.reading() as c:
            q = (
                select(schema.integrity_entry, C.code, C.shop_name)
                .join(schema.customer, C.id == E.customer_id)
                .where(C.deleted_at.is_(None))
                .order_by(C.code, E.occurred_on)
            )
            return [(_entry(r), r["code"] or "", r["shop_name"] or "") for r in c.execute(q).mappings()]

    def all_complaints(self) -> list[tuple[Complaint, str]]:
        """Every complaint of the customers held here, with the outlet's code (the export)."""
        with self.reading() as c:
            q = (
                select(schema.complaint, C.code)
                .join(schema.customer, C.id == K.customer_id)
                .where(C.deleted_at.is_(None))
                .order_by(C.code, K.received_on)
            )
            return [(_complaint(r), r["code"] or "") for r in c.execute(q).mappings()]

    # ---- complaints --------------------------------------------------------------------------------
    def open_complaint(self, complaint: Complaint, prov: Provenance) -> Complaint:
        complaint = replace(complaint, status="received", revision=1, created_by=prov.actor or self.actor)
        sent = {
            "id": complaint.id,
            "channel": complaint.channel,
            "received_on": complaint.received_on,
            "content": complaint.content,
            "complainant_name": complaint.complainant_name,
            "complainant_phone": complaint.complainant_phone,
        }
        with self.transaction() as tx:
            tx.execute(schema.complaint.insert().values(**asdict(complaint), server=None))
            # the audit keeps that a complaint came in, not who made it (kept apart, shown masked)
            audited = {k: v for k, v in sent.items() if not k.startswith("complainant")}
            self.arc.audit.append(
                tx,
                prov,
                [("complaint", complaint.id, "create", None, None, {**audited, "customer_id": complaint.customer_id})],
            )
            self.arc.outbox.queue(tx, MutationKind.COMPLAINT.value, complaint.customer_id, {"complaint": sent})
        return complaint

    def complaint(self, complaint_id: str) -> Complaint | None:
        with self.reading() as c:
            r = c.execute(select(schema.complaint).where(K.id == complaint_id)).mappings().first()
            return _complaint(r) if r is not None else None

    def step_complaint(self, complaint: Complaint, step: dict[str, Any], prov: Provenance) -> Complaint:
        """Take a step (checked by the caller against ``complaint``, as stored) here at once, and queue it with
        the revision it follows; the server checks it again."""
        action, text = step["action"], (step.get("text") or "").strip()
        changed: dict[str, Any] = {"status": ACTIONS[action], "revision": complaint.revision + 1}
        if action == "assign":
            changed["assignee"] = step["assignee"].strip()
            if step.get("deadline"):
                changed["deadline"] = step["deadline"]
        elif action == "handle":
            changed["handling"] = text
        elif action == "answer":
            changed["answer"] = text
        else:
            changed["response"], changed["closed_on"] = text, (prov.info_date or self.clock()[:10])
        sent = {"complaint_id": complaint.id, "action": action, "revision": complaint.revision}
        sent.update({k: step[k] for k in ("assignee", "deadline") if step.get(k)})
        if text:
            sent["text"] = text
        with self.transaction() as tx:
            tx.execute(
                schema.complaint.update().where(K.id == complaint.id).values(**changed, state="pending", error="")
            )
            self.arc.audit.append(
                tx, prov, [("complaint", complaint.id, action, "status", complaint.status, changed["status"])]
            )
            self.arc.outbox.queue(tx, MutationKind.COMPLAINT_STEP.value, complaint.customer_id, {"step": sent})
        return replace(complaint, **changed, state="pending", error="")

    def complaints(self, customer_id: str) -> list[Complaint]:
        with self.reading() as c:
            rows = c.execute(
                select(schema.complaint).where(K.customer_id == customer_id).order_by(K.received_on.desc(), K.pk.desc())
            ).mappings()
            return [_complaint(r) for r in rows]

    def overdue(self, today: dt.date) -> list[OverdueComplaint]:
        """Complaints of the customers held here not answered by their deadline, the most overdue first."""
        with self.reading() as c:
            q = (
                select(schema.complaint, C.code, C.shop_name)
                .join(schema.customer, C.id == K.customer_id)
                .where(
                    C.deleted_at.is_(None),
                    K.status.in_(OPEN_STATUSES),
                    K.deadline != "",
                    K.deadline < today.isoformat(),
                )
                .order_by(K.deadline, K.received_on)
            )
            return [
                OverdueComplaint(_complaint(r), r["shop_name"] or "", r["code"] or "") for r in c.execute(q).mappings()
            ]

    # ---- the server's answers and feed ---------------------------------------------------------------
    def answered(self, tx: Connection, row: OutboxRow, result: PushResult) -> None:
        """The server's answer to one of our rows (inside the answers' transaction)."""
        extra = row.extra or {}
        ok = result.status in (ResultStatus.APPLIED, ResultStatus.MERGED)
        held = not ok and all(e.code in ("integrity.duplicate", "complaint.duplicate") for e in result.errors)
        state, error = ("synced", "") if ok or held else ("refused", refusal_reason(result, MESSAGES))
        if row.kind == MutationKind.INTEGRITY.value:
            eid = (extra.get("entry") or {}).get("id")
            tx.execute(schema.integrity_entry.update().where(E.id == eid).values(state=state, error=error))
        elif row.kind == MutationKind.COMPLAINT.value:
            cid = (extra.get("complaint") or {}).get("id")
            tx.execute(schema.complaint.update().where(K.id == cid).values(state=state, error=error))
        else:
            cid = (extra.get("step") or {}).get("complaint_id")
            if state == "synced":
                tx.execute(schema.complaint.update().where(K.id == cid).values(state="synced", error=""))
                return
            server = tx.execute(select(K.server).where(K.id == cid)).scalar()
            back = {k: v for k, v in (json.loads(server) if server else {}).items() if k in SERVER_KEYS}
            tx.execute(schema.complaint.update().where(K.id == cid).values(**back, state="synced", error=error))

    def take_server(self, tx: Connection, customer_id: str, file: dict[str, Any], prov: Provenance) -> None:
        """A customer's integrity file as the server has it (from the feed), in the caller's transaction."""
        entries = [e for e in file.get("entries") or [] if isinstance(e, dict) and e.get("id")]
        ids = [e["id"] for e in entries]
        # with the pending ones: after a server restore (archive.recovery) ours wait as pending
        known = set(tx.execute(select(E.id).where(E.customer_id == customer_id)).scalars())
        tx.execute(
            delete(schema.integrity_entry).where(E.customer_id == customer_id, (E.state == "synced") | E.id.in_(ids))
        )
        rows = [
            {
                "id": e["id"],
                "customer_id": customer_id,
                "kind": str(e.get("kind") or ""),
                "source": str(e.get("source") or ""),
                "occurred_on": str(e.get("occurred_on") or ""),
                "text": str(e.get("text") or ""),
                "handling": str(e.get("handling") or ""),
                "photos": json.dumps([p for p in e.get("photos") or [] if isinstance(p, str)]),
                "recorded_by": str(e.get("recorded_by") or ""),
                "recorded_at": server_iso(e.get("recorded_at")),
                "state": "synced",
                "error": "",
            }
            for e in entries
        ]
        if rows:
            tx.execute(schema.integrity_entry.insert(), rows)
        audit: list[tuple[str, str, str, str | None, Any, Any]] = [
            ("integrity", r["id"], "create", None, None, {k: r[k] for k in ("kind", "occurred_on", "customer_id")})
            for r in rows
            if r["id"] not in known
        ]
        self._take_complaints(tx, customer_id, file.get("complaints") or [], audit)
        self.arc.audit.append(tx, prov, audit)

    def _take_complaints(
        self,
        tx: Connection,
        customer_id: str,
        found: Sequence[Any],
        audit: list[tuple[str, str, str, str | None, Any, Any]],
    ) -> None:
        local = {
            r["id"]: r for r in tx.execute(select(schema.complaint).where(K.customer_id == customer_id)).mappings()
        }
        seen = set()
        for c in found:
            if not isinstance(c, dict) or not c.get("id"):
                continue
            seen.add(c["id"])
            values = {k: ("" if c.get(k) is None else c.get(k)) for k in SERVER_KEYS}
            values["revision"] = int(c.get("revision") or 1)
            snapshot = json.dumps(values, ensure_ascii=False, sort_keys=True)
            mine = local.get(c["id"])
            if mine is None:
                tx.execute(
                    schema.complaint.insert().values(
                        id=c["id"], customer_id=customer_id, **values, state="synced", error="", server=snapshot
                    )
                )
                audit.append(("complaint", c["id"], "create", None, None, {"status": values["status"]}))
            elif mine["state"] == "pending":  # our step waits for its answer: keep it, remember the server's
                tx.execute(schema.complaint.update().where(K.id == c["id"]).values(server=snapshot))
            else:
                if mine["status"] != values["status"]:
                    audit.append(("complaint", c["id"], "status", "status", mine["status"], values["status"]))
                # a refusal's reason stays until the person takes another step, or the complaint is closed
                error = "" if values["status"] == "closed" else mine["error"]
                tx.execute(
                    schema.complaint.update()
                    .where(K.id == c["id"])
                    .values(**values, state="synced", error=error, server=snapshot)
                )
        gone = [cid for cid, r in local.items() if cid not in seen and r["state"] == "synced"]
        if gone:
            tx.execute(delete(schema.complaint).where(K.id.in_(gone)))


def is_integrity_kind(kind: str) -> bool:
    return kind in KINDS

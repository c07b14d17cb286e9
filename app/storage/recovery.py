"""The archive's side of a server restore (``archive.recovery``): what this computer sends again when
the server was restored from a backup older than what it had acknowledged here.

The server's database has an epoch that ``server restore`` replaces (docs/sync-protocol.md, "After a
server restore"). When the sync engine sees another epoch than the one kept here, ``begin`` resets the
cursor (the copy is rebuilt from the feed's start), marks every photo as not uploaded (the server asks
for those it lacks) and moves the audit trail's acknowledgement one entry back (the upload then finds
where the server's copy ends). While the feed is read again, a record the server shows at a lower
version than the one acknowledged here has lost changes: ``rebase`` puts the local record onto the
server's state and queues what was lost (a deletion too); after the feed, ``finish`` queues the records the server no
longer has (those this user owns) and this user's visits. The outbox (unsynced work) and records in
conflict are kept throughout; queued rows go out as new mutations on the server's versions, so none is
a false conflict.

Who sends what again: a record's values, its re-creation and its submission come from its owner's
computer; a review decision from the computer of the one who took it (with the official code it
issued: the server keeps that code); visits from the computer that recorded them (a visit the server
holds already is answered ``visit.duplicate`` and settles quietly); integrity entries and complaints from
the computer that recorded them: ``begin`` notes them (``INTEGRITY``) and marks them ``pending``, so the
feed's integrity files do not drop them; one the server still has comes back ``synced`` (an entry) or
with the server's copy (a complaint: ``finish`` takes it), and ``finish`` queues those the server did not
send back (``integrity.add``, ``complaint.open``). A complaint sent again
starts over on the server as received, with its deadline; the steps taken on it after the backup are not
replayed (they are in the audit trails), so the person who keeps it takes them again. Service records the
same way (``SERVICE``; ``service.add``): one sent again starts over in its first status (a plan open again).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from app.models.catalogue import EditableBy, FormDefinition
from app.models.record import Provenance, Quality, Source, new_id
from app.models.remote import RemoteRecord
from app.models.wire import MutationKind, canonical_json
from app.storage import schema
from app.storage.audit import AUDIT_SENT
from app.storage.db import Part
from app.storage.integrity import SERVER_KEYS as COMPLAINT_KEYS
from app.storage.service import SERVER_KEYS as SERVICE_KEYS

C, OUT, V = schema.customer.c, schema.outbox.c, schema.visit.c
E, K = schema.integrity_entry.c, schema.complaint.c
INTEGRITY = "restore_integrity"  # JSON: the entries and complaints of this computer the server may have lost
SERVICE = "restore_service"  # JSON: the service records of this computer the server may have lost
R = schema.service_record.c
SAVE, SUBMIT, DECIDE, VISIT, DELETE = (
    MutationKind.SAVE.value,
    MutationKind.SUBMIT.value,
    MutationKind.DECIDE.value,
    MutationKind.VISIT.value,
    MutationKind.DELETE.value,
)
EPOCH = "server_epoch"  # the epoch of the server database this archive's copy follows
PENDING = "restore_pending"  # set while a recovery has not finished (a new epoch was seen)


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def _dumps(value: Any) -> str:
    return canonical_json(value).decode("utf-8")


def _system_keys(form: FormDefinition) -> set[str]:
    """Fields only the server sets (the official code): never sent back as a change."""
    return {s.key for s in form.fields if s.editable_by is EditableBy.SYSTEM}


class Recovery(Part):
    """``archive.recovery``: noticing a server restore, and queueing what the server lost."""

    def __init__(self, arc: Any) -> None:
        super().__init__(arc)
        self.rebased = 0  # records ``rebase`` queued again since ``take_rebased`` was last asked

    def take_rebased(self) -> int:
        n, self.rebased = self.rebased, 0
        return n

    def epoch(self) -> str | None:
        return self.arc.meta.get(EPOCH)

    def set_epoch(self, epoch: str) -> None:
        self.arc.meta.set(EPOCH, epoch)

    def pending(self) -> bool:
        return bool(self.arc.meta.get(PENDING))

    def _me(self, tx: Connection) -> str:
        """The server account this archive syncs as (the records' ``owner`` and ``review.by`` name it)."""
        me = tx.execute(select(schema.meta.c.value).where(schema.meta.c.key == "sync_user")).scalar()
        return str(me or self.actor)

    def begin(self, epoch: str) -> None:
        """The server's database is another one than this copy follows (a restore): start again."""
        with self.transaction() as tx:
            self.arc.meta.set(EPOCH, epoch, tx)
            self.arc.meta.set(PENDING, epoch, tx)
            self.arc.meta.set("sync_cursor", "0", tx)
            tx.execute(update(schema.photo).values(uploaded_at=None))
            mine = {self._me(tx), self.actor}
            entries = list(tx.execute(select(E.id).where(E.state == "synced", E.recorded_by.in_(mine))).scalars())
            complaints = list(tx.execute(select(K.id).where(K.state == "synced", K.created_by.in_(mine))).scalars())
            self.arc.meta.set(INTEGRITY, json.dumps({"entries": entries, "complaints": complaints}), tx)
            tx.execute(update(schema.integrity_entry).where(E.id.in_(entries)).values(state="pending"))
            # the server's copy is forgotten: the feed brings it again when the server still has the complaint
            tx.execute(update(schema.complaint).where(K.id.in_(complaints)).values(state="pending", server=None))
            served = list(tx.execute(select(R.id).where(R.state == "synced", R.recorded_by.in_(mine))).scalars())
            self.arc.meta.set(SERVICE, json.dumps(served), tx)
            tx.execute(update(schema.service_record).where(R.id.in_(served)).values(state="pending", server=None))
            sent = int(tx.execute(select(schema.meta.c.value).where(schema.meta.c.key == AUDIT_SENT)).scalar() or 0)
            self.arc.meta.set(AUDIT_SENT, str(max(0, sent - 1)), tx)
            self.arc.audit.append(
                tx, Provenance(self.actor, Source.SYNC), [("sync", "server", "restored", None, None, epoch)]
            )

    # ---- while the feed is read again --------------------------------------------------------
    def rebase(
        self,
        tx: Connection,
        form: FormDefinition,
        record: RemoteRecord,
        quality: Callable[[dict[str, Any]], Quality],
    ) -> None:
        """The server shows ``record`` at a lower version than the one acknowledged here: it lost changes.
        The local record moves onto the server's version. Its owner keeps its values (acknowledged and
        unsynced) and sends the difference; anyone else takes the server's values with their own unsynced
        edits on top. Then the submission and the decision this user made are queued again."""
        cur = tx.execute(select(schema.customer).where(C.id == record.id)).mappings().first()
        if cur is None:
            return
        if cur["deleted_at"] is not None:  # deleted here and acknowledged: the deletion is sent again
            self._redelete(tx, cur, record)
            return
        me = self._me(tx)
        data, acked = json.loads(cur["data"]), _loads(cur["server_data"]) or {}
        if cur["owner"] in (None, me):
            new_data = data
        else:
            unsynced = {k: data.get(k) for k in set(data) | set(acked) if data.get(k) != acked.get(k)}
            new_data = {k: v for k, v in {**record.values, **unsynced}.items() if v not in (None, "", [])}
        server_view = dict(record.values)
        for key in _system_keys(form):
            if key in new_data:
                server_view[key] = new_data[key]
            else:
                server_view.pop(key, None)
        conflict = cur["sync_state"] == "conflict"
        self.arc.customers.write(
            tx,
            cur["pk"],
            form,
            new_data,
            quality(new_data),
            _dumps(new_data),
            record.code if record.code_official else cur["code"],
            server_data=_dumps(server_view),
            version=record.version,
            status=record.status,
            review=_dumps(record.review) if record.review else None,
            code=record.code if record.code_official else cur["code"],
            code_official=int(record.code_official),
            approved_data=_dumps(record.approved_values) if record.approved_values else None,
            owner=record.owner,
            sync_state="conflict" if conflict else "synced",
            sync_errors=None,
            updated_at=self.clock(),
        )
        self._unfreeze(tx, record.id)
        self.rebased += 1
        if not conflict:  # a record in conflict waits for a person's choice, made on the new version
            self.arc.outbox.queue(tx, SAVE, record.id)
        self._queue_review(tx, cur, record.status, me)

    def _redelete(self, tx: Connection, cur: Any, record: RemoteRecord) -> None:
        """A deletion the server lost: queued again on the server's version (the record stays deleted here)."""
        tx.execute(
            update(schema.customer)
            .where(C.pk == cur["pk"])
            .values(version=record.version, server_data=_dumps(record.values))
        )
        self._unfreeze(tx, record.id)
        self.rebased += 1
        if not self._queued(tx, record.id, DELETE):
            self.arc.outbox.queue(tx, DELETE, record.id)

    def _unfreeze(self, tx: Connection, record_id: str) -> None:
        """Rows sent before the restore were answered by a database that is gone: they are worked out
        again from the record (a new id: the server may hold the old one with another body)."""
        for (seq,) in tx.execute(select(OUT.seq).where(OUT.record_id == record_id, OUT.state == "sent")).all():
            tx.execute(
                update(schema.outbox)
                .where(OUT.seq == seq)
                .values(state="pending", body=None, mutation_id=new_id(), attempts=0)
            )

    def _queued(self, tx: Connection, record_id: str, kind: str) -> bool:
        q = select(func.count()).where(OUT.record_id == record_id, OUT.kind == kind)
        return bool(tx.execute(q.select_from(schema.outbox)).scalar())

    def _queue_review(self, tx: Connection, cur: Any, server_status: str, me: str) -> None:
        """The submission (the owner's) and the decision (the decider's) the server lost, queued again."""
        review = _loads(cur["review"]) or {}
        status = cur["status"]
        if (
            (
                (server_status == "draft" and status in ("pending", "approved", "returned"))
                or (server_status == "returned" and status in ("pending", "approved"))  # a resubmission lost
            )
            and review.get("submitted_by") == me
            and cur["owner"] in (None, me)
            and not self._queued(tx, cur["id"], SUBMIT)
        ):
            extra = {k: review[k] for k in ("note", "urgent") if review.get(k)}
            self.arc.outbox.queue(tx, SUBMIT, cur["id"], extra or None)
            server_status = "pending"
        if (
            status in ("approved", "returned")
            and server_status == "pending"
            and review.get("by") == me
            and review.get("action") in ("approve", "return")
            and not self._queued(tx, cur["id"], DECIDE)
        ):
            decision: dict[str, Any] = {
                "action": review["action"],
                "reason": review.get("reason") or "",
                "fields": list(review.get("fields") or []),
            }
            if review["action"] == "approve" and cur["code_official"] and cur["code"]:
                decision["code"] = cur["code"]  # the server keeps the code this approval issued
            self.arc.outbox.queue(tx, DECIDE, cur["id"], {"decision": decision})

    # ---- after the feed ----------------------------------------------------------------------
    def finish(self, form: FormDefinition, seen: set[str]) -> int:
        """The feed was read from its start: re-create the records of this user the server no longer has,
        queue this user's visits again, and end the recovery. Returns the records queued again."""
        with self.transaction() as tx:
            me = self._me(tx)
            rows = (
                tx.execute(select(schema.customer).where(C.deleted_at.is_(None), C.version > 0, C.owner.in_([me])))
                .mappings()
                .all()
            )
            recreated = [r for r in rows if r["id"] not in seen]
            system = _system_keys(form)
            for cur in recreated:
                data = json.loads(cur["data"])
                tx.execute(delete(schema.conflict).where(schema.conflict.c.record_id == cur["id"]))
                tx.execute(
                    update(schema.customer)
                    .where(C.pk == cur["pk"])
                    .values(
                        version=0,
                        server_data=_dumps({k: data[k] for k in system if k in data}),
                        status="draft",
                        sync_state="pending",
                        sync_errors=None,
                    )
                )
                self._unfreeze(tx, cur["id"])
                first = tx.execute(select(func.min(OUT.seq)).where(OUT.record_id == cur["id"])).scalar()
                if first is None or tx.execute(select(OUT.kind).where(OUT.seq == first)).scalar() != SAVE:
                    self._queue_first(tx, cur["id"])
                self._queue_review(tx, cur, "draft", me)
            self._queue_visits(tx, seen | {r["id"] for r in recreated})
            self._queue_integrity(tx, seen | {r["id"] for r in recreated})
            self._queue_service(tx, seen | {r["id"] for r in recreated})
            tx.execute(delete(schema.meta).where(schema.meta.c.key == PENDING))
        return len(recreated)

    def _queue_first(self, tx: Connection, record_id: str) -> None:
        """A save row ahead of every row queued for the record (its re-creation must come first)."""
        low = tx.execute(select(func.min(OUT.seq))).scalar()
        tx.execute(
            schema.outbox.insert().values(
                seq=(low or 1) - 1,
                mutation_id=new_id(),
                kind=SAVE,
                record_id=record_id,
                state="pending",
                body=None,
                extra=None,
                created_at=self.clock(),
                attempts=0,
            )
        )

    def _queue_visits(self, tx: Connection, on_server: set[str]) -> None:
        """This computer's visits to customers the server has (or gets back), sent again."""
        queued = set()
        for (extra,) in tx.execute(select(OUT.extra).where(OUT.kind == VISIT)).all():
            visit = (_loads(extra) or {}).get("visit") or {}
            queued.add(visit.get("id"))
        live = select(C.id).where(C.deleted_at.is_(None))
        rows = (
            tx.execute(
                select(schema.visit)
                .where(V.deleted_at.is_(None), V.created_by == self.actor, V.customer_id.in_(live))
                .order_by(V.pk)
            )
            .mappings()
            .all()
        )
        for v in rows:
            if v["id"] in queued or v["customer_id"] not in on_server:
                continue
            body = {
                "id": v["id"],
                "visited_on": v["visited_on"],
                "purpose": v["purpose"],
                "notes": v["notes"],
                "sales_anomaly": v["sales_anomaly"],
                "photos": json.loads(v["photos"]),
            }
            if v["orders"] is not None:  # its order collection (schema v6)
                body |= {"orders": v["orders"], "order_quantity": v["order_quantity"] or 0}
                body["order_amount"] = v["order_amount"] or "0"
            self.arc.outbox.queue(tx, VISIT, v["customer_id"], {"visit": body})

    def _queue_integrity(self, tx: Connection, on_server: set[str]) -> None:
        """This computer's integrity entries and complaints the server did not send back, sent again for the
        customers the server has (or gets back); the others (their customer gone from the server) rest as
        they were. A complaint the server sent back takes the server's copy."""
        noted = _loads(tx.execute(select(schema.meta.c.value).where(schema.meta.c.key == INTEGRITY)).scalar()) or {}
        tx.execute(delete(schema.meta).where(schema.meta.c.key == INTEGRITY))
        entry_keys = ("kind", "source", "occurred_on", "text", "handling")
        ids = noted.get("entries") or []
        for e in tx.execute(select(schema.integrity_entry).where(E.id.in_(ids), E.state == "pending")).mappings():
            state = "synced"
            if e["customer_id"] in on_server:
                body = {"id": e["id"], **{k: e[k] for k in entry_keys}, "photos": json.loads(e["photos"])}
                self.arc.outbox.queue(tx, MutationKind.INTEGRITY.value, e["customer_id"], {"entry": body})
                state = "pending"
            tx.execute(update(schema.integrity_entry).where(E.id == e["id"]).values(state=state))
        complaint_keys = ("channel", "received_on", "content", "complainant_name", "complainant_phone")
        ids = noted.get("complaints") or []
        for c in tx.execute(select(schema.complaint).where(K.id.in_(ids), K.state == "pending")).mappings().all():
            if c["server"]:  # the server still has it: its copy, as the feed would have put it
                values = {k: v for k, v in json.loads(c["server"]).items() if k in COMPLAINT_KEYS}
                tx.execute(update(schema.complaint).where(K.id == c["id"]).values(**values, state="synced"))
            elif c["customer_id"] in on_server:
                body = {"id": c["id"], **{k: c[k] for k in complaint_keys}}
                self.arc.outbox.queue(tx, MutationKind.COMPLAINT.value, c["customer_id"], {"complaint": body})
            else:
                tx.execute(update(schema.complaint).where(K.id == c["id"]).values(state="synced"))

    def _queue_service(self, tx: Connection, on_server: set[str]) -> None:
        """This computer's service records the server did not send back, sent again (``service.add``) for the
        customers the server has; one the server sent back takes the server's copy; the others rest as they were."""
        ids = _loads(tx.execute(select(schema.meta.c.value).where(schema.meta.c.key == SERVICE)).scalar()) or []
        tx.execute(delete(schema.meta).where(schema.meta.c.key == SERVICE))
        rows = tx.execute(select(schema.service_record).where(R.id.in_(ids), R.state == "pending")).mappings().all()
        for r in rows:
            if r["server"]:  # the server still has it: its copy, as the feed would have put it
                values = {k: v for k, v in json.loads(r["server"]).items() if k in SERVICE_KEYS}
                values["body"] = json.dumps(values.get("body") or {}, ensure_ascii=False, sort_keys=True)
                tx.execute(update(schema.service_record).where(R.id == r["id"]).values(**values, state="synced"))
            elif r["customer_id"] in on_server:
                body = {
                    k: v for k, v in json.loads(r["body"]).items() if k not in ("done_on", "visit_id", "cancel_reason")
                }
                sent = {"id": r["id"], "kind": r["kind"], "on_date": r["on_date"], "body": body}
                self.arc.outbox.queue(tx, MutationKind.SERVICE.value, r["customer_id"], {"service": sent})
            else:
                tx.execute(update(schema.service_record).where(R.id == r["id"]).values(state="synced"))

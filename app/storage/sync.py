"""The archive's outbox part (``archive.outbox``), the client's side of sync: the outbox, the
server's view of each record, conflicts, and applying the server's answers and feed pages.

Every local change queues its mutation in the same transaction as the change (customers.py,
media.py call ``queue``). A "customer.save" row carries no body until it is sent: its changes
are the difference between the record and the server's last known state, computed then and
frozen (with the row marked ``sent``) before the request leaves, so a retry after a crash or a
lost answer resends exactly the same mutation. At most one row per record is in flight.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.engine import Connection

from app.models.catalogue import FormDefinition
from app.models.record import Provenance, Quality, Source, new_id
from app.models.remote import FeedChange, FieldConflict, PushResult, RemoteRecord
from app.models.sync_state import LocalRecord, OutboxRow
from app.models.wire import ChangeKind, MutationKind, ResultStatus
from app.storage import schema
from app.storage.customer_rows import field_changes, provenance
from app.storage.db import Part
from app.storage.incoming import Incoming, dumps, loads
from app.storage.integrity import is_integrity_kind
from app.storage.people import PEOPLE
from app.storage.service import is_service_kind

if TYPE_CHECKING:
    from app.storage.archive import Archive

OUT = schema.outbox.c
C = schema.customer.c
SAVE, SUBMIT, DELETE, VISIT, DECIDE = (
    MutationKind.SAVE.value,
    MutationKind.SUBMIT.value,
    MutationKind.DELETE.value,
    MutationKind.VISIT.value,
    MutationKind.DECIDE.value,
)
BLOCKED_STATES = ("conflict", "rejected", "revoked")


def _held_visit(result: PushResult) -> bool:
    """A visit the server answers it holds already (sent again after a restore): settled, not refused."""
    return bool(result.errors) and all(e.code == "visit.duplicate" for e in result.errors)


class Outbox(Part):
    """``archive.outbox``: the sync tables, and what the server's answers and feed pages do to the records."""

    def __init__(self, arc: Archive) -> None:
        super().__init__(arc)
        self.incoming = Incoming(arc)

    # ---- queueing (called inside the local change's transaction) -----------------------------
    def queue(self, tx: Connection, kind: str, record_id: str, extra: dict[str, Any] | None = None) -> None:
        if kind == SAVE:
            last_sent = (
                tx.execute(select(func.max(OUT.seq)).where(OUT.record_id == record_id, OUT.state == "sent")).scalar()
                or 0
            )
            pending = tx.execute(
                select(OUT.seq).where(
                    OUT.record_id == record_id, OUT.kind == SAVE, OUT.state == "pending", OUT.seq > last_sent
                )
            ).first()
            if pending is not None:  # its changes are computed when it is sent: this edit is included
                if extra:
                    tx.execute(schema.outbox.update().where(OUT.seq == pending[0]).values(extra=dumps(extra)))
                return
        tx.execute(
            schema.outbox.insert().values(
                mutation_id=new_id(),
                kind=kind,
                record_id=record_id,
                state="pending",
                body=None,
                extra=dumps(extra) if extra else None,
                created_at=self.clock(),
                attempts=0,
            )
        )
        tx.execute(
            schema.customer.update()
            .where(C.id == record_id, C.sync_state.not_in(BLOCKED_STATES))
            .values(sync_state="pending")
        )

    def queue_new(self, tx: Connection, ids: Sequence[str], prov: Provenance) -> None:
        """Outbox rows for many new local customers at once (the bulk path of an import)."""
        now = self.clock()
        extra = json.dumps({"provenance": provenance(prov)}, ensure_ascii=False)
        tx.exec_driver_sql(
            "INSERT INTO outbox (mutation_id, kind, record_id, state, extra, created_at, attempts) "
            "VALUES (?, 'customer.save', ?, 'pending', ?, ?, 0)",
            [(new_id(), i, extra, now) for i in ids],
        )
        tx.execute(schema.customer.update().where(C.id.in_(list(ids))).values(sync_state="pending"))

    # ---- who did it ------------------------------------------------------------------------------

    def remember_people(self, found: dict[str, str], tx: Connection | None = None) -> None:
        if tx is None:
            with self.transaction() as t:
                return self.remember_people(found, t)
        text = tx.execute(select(schema.meta.c.value).where(schema.meta.c.key == PEOPLE)).scalar()
        known = loads(text) or {}
        if any(known.get(k) != v for k, v in found.items()):
            self.arc.meta.set(PEOPLE, dumps({**known, **found}), tx)
        return None

    def people(self) -> dict[str, str]:
        """Login name -> display name of every account the server has named to this archive."""
        value = loads(self.arc.meta.get(PEOPLE))
        return value if isinstance(value, dict) else {}

    # ---- what the engine sends -----------------------------------------------------------------
    def outbox_count(self) -> int:
        with self.reading() as c:
            return int(c.execute(select(func.count()).select_from(schema.outbox)).scalar() or 0)

    def outbox_heads(self, limit: int) -> list[tuple[OutboxRow, LocalRecord | None]]:
        """The first queued row of each record that may be sent now (none for records in conflict)."""
        first = select(func.min(OUT.seq)).group_by(OUT.record_id).scalar_subquery()
        q = select(schema.outbox).where(OUT.seq.in_(first)).order_by(OUT.seq).limit(limit * 4)
        out: list[tuple[OutboxRow, LocalRecord | None]] = []
        with self.reading() as c:
            rows = c.execute(q).mappings().all()
            recs = {
                r["id"]: r
                for r in c.execute(select(schema.customer).where(C.id.in_([r["record_id"] for r in rows]))).mappings()
            }
            for r in rows:
                rec = recs.get(r["record_id"])
                if rec is not None and rec["sync_state"] in BLOCKED_STATES:
                    continue
                local = (
                    None
                    if rec is None
                    else LocalRecord(
                        rec["id"],
                        json.loads(rec["data"]),
                        loads(rec["server_data"]),
                        rec["version"],
                        rec["status"],
                        rec["form_version"],
                        rec["sync_state"],
                        rec["code"],
                        bool(rec["code_official"]),
                    )
                )
                out.append(
                    (
                        OutboxRow(
                            r["seq"],
                            r["mutation_id"],
                            r["kind"],
                            r["record_id"],
                            r["state"],
                            loads(r["body"]),
                            loads(r["extra"]),
                        ),
                        local,
                    )
                )
                if len(out) >= limit:
                    break
        return out

    def freeze(self, bodies: Sequence[tuple[int, dict[str, Any]]], drop: Sequence[int] = ()) -> None:
        """Fix the bodies of rows about to be sent and mark them sent, before the request leaves; drop
        the rows ``drop`` (nothing left to send, e.g. edited back to the server's value)."""
        sent = dict(body=bindparam("frozen_body"), state="sent", sent_at=self.clock(), attempts=OUT.attempts + 1)
        with self.transaction() as tx:
            if drop:
                tx.execute(delete(schema.outbox).where(OUT.seq.in_(list(drop))))
            if bodies:  # one statement for the page (executemany), not one built and compiled per row
                tx.execute(
                    schema.outbox.update().where(OUT.seq == bindparam("frozen_seq")).values(**sent),
                    [{"frozen_seq": seq, "frozen_body": dumps(body)} for seq, body in bodies],
                )

    # ---- the server's answers ------------------------------------------------------------------
    def apply_push_results(
        self,
        form: FormDefinition,
        results: Sequence[tuple[OutboxRow, PushResult]],
        quality: Callable[[dict[str, Any]], Quality],
    ) -> None:
        """One transaction: each answered row leaves the outbox; records take the server's state.
        (At most one row per record is in flight, so the records of one answer are distinct.)"""
        prov = Provenance(self.actor, Source.SYNC)
        with self.transaction() as tx:
            tx.execute(delete(schema.outbox).where(OUT.seq.in_([row.seq for row, _r in results])))
            taken: list[tuple[RemoteRecord, dict[str, Any] | None]] = []
            for row, result in results:
                status, record = result.status, result.record
                if is_integrity_kind(row.kind) or is_service_kind(row.kind) or row.kind == MutationKind.SIGNATURE.value:
                    # its own record's state; a refusal never blocks the customer
                    part = self.arc.signatures if row.kind == MutationKind.SIGNATURE.value else self.arc.integrity
                    (self.arc.service if is_service_kind(row.kind) else part).answered(tx, row, result)
                    if record is not None:
                        taken.append((record, None))
                    continue
                if status in (ResultStatus.APPLIED, ResultStatus.MERGED) and record is not None:
                    taken.append((record, row.body))
                elif status is ResultStatus.CONFLICT:
                    self._rebase_on_conflict(tx, form, row, result.conflicts, record, quality, prov)
                elif status is ResultStatus.REJECTED and row.kind == VISIT and _held_visit(result):
                    if record is not None:  # sent again after a server restore: the server has it already
                        taken.append((record, row.body))
                elif status is ResultStatus.REJECTED:
                    if row.kind == DECIDE and record is not None:  # a stale decision: show what the server has instead
                        self.incoming.take_record(tx, form, record, quality, prov)
                    tx.execute(
                        schema.customer.update()
                        .where(C.id == row.record_id)
                        .values(sync_state="rejected", sync_errors=dumps([e.as_wire() for e in result.errors]))
                    )
            self.incoming.take_records(tx, form, self._keep_queued_state(tx, taken), quality, prov)
            self.incoming.remember_people(tx, [r.record for _row, r in results if r.record is not None])
            self._settle_many(tx, [row.record_id for row, _r in results])

    def _rebase_on_conflict(
        self,
        tx: Connection,
        form: FormDefinition,
        row: OutboxRow,
        conflicts: Sequence[FieldConflict],
        record: RemoteRecord | None,
        quality: Callable[[dict[str, Any]], Quality],
        prov: Provenance,
    ) -> None:
        """Move the local record onto the server's version: the server's values where only the server
        changed a field, ours where only we did, and ours (for now) where both did — those wait for a
        person's choice. Nothing of either side is dropped."""
        cur = tx.execute(select(schema.customer).where(C.id == row.record_id)).mappings().first()
        if cur is None:
            return
        mine, base = json.loads(cur["data"]), loads(cur["server_data"]) or {}
        server = record.values if record is not None else {}
        conflicting = {c.field for c in conflicts}
        rebased: dict[str, Any] = {}
        for key in set(mine) | set(server) | set(base):
            ours = key in conflicting or mine.get(key) != base.get(key)
            value = mine.get(key) if ours else server.get(key)
            if value not in (None, "", []):
                rebased[key] = value
        q = quality(rebased)
        self.arc.customers.write(
            tx,
            cur["pk"],
            form,
            rebased,
            q,
            dumps(rebased),
            cur["code"],
            server_data=dumps(server),
            version=record.version if record else cur["version"],
            status=record.status if record else cur["status"],
            sync_state="conflict",
        )
        if record is not None:
            self.incoming.append_synced(
                tx, form, prov, field_changes(row.record_id, mine, rebased), {record.id: record}
            )
        else:
            self.arc.audit.append(tx, prov, field_changes(row.record_id, mine, rebased))
        tx.execute(
            schema.conflict.insert()
            .prefix_with("OR REPLACE")
            .values(
                record_id=row.record_id,
                mutation_id=row.mutation_id,
                fields=dumps([c.as_wire() for c in conflicts]),
                server_record=dumps(record.wire if record is not None and record.wire is not None else {}),
                created_at=self.clock(),
            )
        )

    def _keep_queued_state(
        self, tx: Connection, taken: list[tuple[RemoteRecord, dict[str, Any] | None]]
    ) -> list[tuple[RemoteRecord, dict[str, Any] | None]]:
        """A record with more rows still queued (saved, then submitted) keeps its local status and
        review round until those are answered: the answer to the save must not show it returned
        again for a moment, nor write that into its history."""
        ids = [rec.id for rec, _f in taken]
        busy = set(tx.execute(select(OUT.record_id).where(OUT.record_id.in_(ids)).distinct()).scalars())
        if not busy:
            return taken
        local = {
            r[0]: (r[1], loads(r[2])) for r in tx.execute(select(C.id, C.status, C.review).where(C.id.in_(list(busy))))
        }
        out = []
        for rec, frozen in taken:
            if rec.id in local:
                status, review = local[rec.id]
                rec = replace(rec, status=status, review=review)
            out.append((rec, frozen))
        return out

    def _settle(self, tx: Connection, record_id: str) -> None:
        self._settle_many(tx, [record_id])

    def _settle_many(self, tx: Connection, record_ids: Sequence[str]) -> None:
        """Each record is "pending" while it has rows in the outbox, else "synced" (unless blocked)."""
        ids = list(dict.fromkeys(record_ids))
        busy = set(tx.execute(select(OUT.record_id).where(OUT.record_id.in_(ids)).distinct()).scalars())
        for state, group in (("pending", [i for i in ids if i in busy]), ("synced", [i for i in ids if i not in busy])):
            if group:
                tx.execute(
                    schema.customer.update()
                    .where(C.id.in_(group), C.sync_state.not_in(BLOCKED_STATES))
                    .values(sync_state=state)
                )

    # ---- the feed ------------------------------------------------------------------------------
    def apply_feed_page(
        self,
        form: FormDefinition,
        changes: Sequence[FeedChange],
        cursor: int,
        quality: Callable[[dict[str, Any]], Quality],
        seen: set[str] | None = None,
        known: dict[str, Quality] | None = None,
    ) -> int:
        """One page and its cursor in one transaction; records with unsent work are left alone.
        ``known``: the completeness of records new to this archive, worked out ahead of time."""
        prov = Provenance(self.actor, Source.SYNC)
        rids = [rid for c in changes if (rid := c.rid)]
        if seen is not None:
            seen.update(rids)
        taken: dict[str, RemoteRecord] = {}  # the newest state of each record in this page
        regressed: dict[str, RemoteRecord] = {}  # records the server shows older than acknowledged here
        integrity: list[tuple[str, dict[str, Any]]] = []  # the customers' integrity files, in feed order
        signed: list[tuple[str, tuple[dict[str, Any], ...]]] = []  # the customers' signatures, in feed order
        served: list[tuple[str, tuple[dict[str, Any], ...]]] = []  # the customers' service records
        with self.transaction() as tx:
            busy = set(tx.execute(select(OUT.record_id).where(OUT.record_id.in_(rids)).distinct()).scalars())
            have: dict[str, tuple[int, Any, str]] = {
                r[0]: (r[1], r[2], r[3])
                for r in tx.execute(select(C.id, C.version, C.deleted_at, C.sync_state).where(C.id.in_(rids)))
            }
            busy |= {rid for rid, (_v, _d, state) in have.items() if state == "conflict"}
            applied = 0
            for change in changes:
                kind = change.kind
                if kind is ChangeKind.FORM and change.form:
                    self.arc.meta.set("published_form", dumps(change.form), tx)
                    continue
                rid = change.rid
                if not rid:
                    continue
                if kind is ChangeKind.ERASE:
                    applied += self._take_feed_records(tx, form, taken, quality, prov, known)
                    applied += self.arc.lifecycle.erase(tx, rid, prov)
                    have.pop(rid, None)
                    continue
                if kind is ChangeKind.REVOKE:
                    applied += self._take_feed_records(tx, form, taken, quality, prov, known)
                    self._revoke(tx, rid, keep=rid in busy, prov=prov)
                    have.pop(rid, None)
                elif kind is ChangeKind.RECORD and change.record is not None:
                    record = change.record
                    held = have.get(rid)
                    if record.integrity is not None and (held is None or held[2] != "revoked"):
                        integrity.append((rid, record.integrity))
                    if record.signatures is not None and (held is None or held[2] != "revoked"):
                        signed.append((rid, record.signatures))
                    if record.service is not None and (held is None or held[2] != "revoked"):
                        served.append((rid, record.service))
                    if held is not None and held[0] > record.version and not record.deleted and held[2] != "revoked":
                        regressed[rid] = record  # the server lost changes acknowledged here: it was restored
                        continue
                    if rid in busy:
                        continue
                    if held is not None and held[0] >= record.version and held[1] is None and not record.deleted:
                        continue  # our own change coming back, or one we already hold
                    taken.pop(rid, None)
                    taken[rid] = record
            applied += self._take_feed_records(tx, form, taken, quality, prov, known)
            # after the records; an empty file for a customer with none of that kind here changes nothing
            here = _holding(tx, (schema.integrity_entry.c.customer_id, schema.complaint.c.customer_id), integrity)
            for rid, file in integrity:
                if file.get("entries") or file.get("complaints") or rid in here:
                    self.arc.integrity.take_server(tx, rid, file, prov)
            here = _holding(tx, (schema.signature.c.customer_id,), signed)
            for rid, sigs in signed:
                if sigs or rid in here:
                    self.arc.signatures.take_server(tx, rid, sigs, prov)
            here = _holding(tx, (schema.service_record.c.customer_id,), served)
            for rid, kept in served:
                if kept or rid in here:
                    self.arc.service.take_server(tx, rid, kept, prov)
            for record in regressed.values():
                self.arc.recovery.rebase(tx, form, record, quality)
            self.incoming.remember_people(tx, [c.record for c in changes if c.record is not None])
            self.arc.meta.set("sync_cursor", str(cursor), tx)
        return applied

    def _take_feed_records(
        self,
        tx: Connection,
        form: FormDefinition,
        taken: dict[str, RemoteRecord],
        quality: Callable[[dict[str, Any]], Quality],
        prov: Provenance,
        known: dict[str, Quality] | None,
    ) -> int:
        n = len(taken)
        self.incoming.take_records(tx, form, [(record, None) for record in taken.values()], quality, prov, known)
        taken.clear()
        return n

    def _revoke(self, tx: Connection, record_id: str, keep: bool, prov: Provenance) -> None:
        """The record left this user's scope. With unsent local work it is kept, flagged; else removed."""
        if keep:
            tx.execute(schema.customer.update().where(C.id == record_id).values(sync_state="revoked"))
            return
        pk = tx.execute(select(C.pk).where(C.id == record_id, C.deleted_at.is_(None))).scalar()
        if pk is not None:
            tx.execute(schema.customer.update().where(C.pk == pk).values(deleted_at=self.clock(), sync_state="revoked"))
            self.arc.customers.unindex(tx, [pk])
            self.arc.audit.append(tx, prov, [("customer", record_id, "delete", None, None, None)])

    def forget_unseen(self, seen: set[str]) -> int:
        """After a rebuild from cursor 0: remove synced records the server no longer shows us."""
        with self.transaction() as tx:
            rows = tx.execute(select(C.pk, C.id).where(C.deleted_at.is_(None), C.sync_state == "synced")).all()
            gone = [(pk, cid) for pk, cid in rows if cid not in seen]
            for pk, _cid in gone:
                tx.execute(
                    schema.customer.update().where(C.pk == pk).values(deleted_at=self.clock(), sync_state="revoked")
                )
                self.arc.customers.unindex(tx, [pk])
            return len(gone)

    # ---- conflicts -----------------------------------------------------------------------------
    def conflict_of(self, record_id: str) -> tuple[list[FieldConflict], dict[str, Any]] | None:
        """The conflicting fields, and the server's record as it came with them."""
        with self.reading() as c:
            r = c.execute(select(schema.conflict).where(schema.conflict.c.record_id == record_id)).mappings().first()
        if r is None:
            return None
        fields = [
            FieldConflict(f["field"], f.get("base"), f.get("mine"), f.get("server")) for f in json.loads(r["fields"])
        ]
        return fields, json.loads(r["server_record"])

    def resolve_conflict(
        self,
        form: FormDefinition,
        record_id: str,
        choices: dict[str, Any],
        quality: Callable[[dict[str, Any]], Quality],
        prov: Provenance,
    ) -> None:
        """The person's value for each conflicting field; the record (already on the server's version)
        is queued again, so the choice and our other changes go to the server as a new mutation."""
        with self.transaction() as tx:
            conflict = (
                tx.execute(select(schema.conflict).where(schema.conflict.c.record_id == record_id)).mappings().first()
            )
            row = tx.execute(select(schema.customer).where(C.id == record_id)).mappings().first()
            if conflict is None or row is None:
                raise KeyError(record_id)
            fields = {c["field"] for c in json.loads(conflict["fields"])}
            old = json.loads(row["data"])
            values = dict(old)
            for key in fields:
                chosen = choices.get(key, old.get(key))
                if chosen in (None, "", []):
                    values.pop(key, None)
                else:
                    values[key] = chosen
            q = quality(values)
            self.arc.customers.write(
                tx,
                row["pk"],
                form,
                values,
                q,
                dumps(values),
                row["code"],
                sync_state="pending",
                updated_at=self.clock(),
            )
            tx.execute(delete(schema.conflict).where(schema.conflict.c.record_id == record_id))
            self.arc.audit.append(tx, prov, field_changes(record_id, old, values))
            self.queue(tx, SAVE, record_id)

    def record_decision(self, record_id: str, decision: dict[str, Any], prov: Provenance) -> None:
        """A review decision taken here (offline too): shown at once, queued for the server."""
        status = "approved" if decision["action"] == "approve" else "returned"
        review = {**decision, "by": prov.actor or self.actor, "at": self.clock()}
        with self.transaction() as tx:
            old = tx.execute(select(C.status).where(C.id == record_id)).scalar()
            if old is None:
                raise KeyError(record_id)
            tx.execute(
                schema.customer.update()
                .where(C.id == record_id)
                .values(status=status, review=dumps(review), updated_at=self.clock())
            )
            self.arc.audit.append(
                tx,
                prov,
                [
                    ("customer", record_id, "status", None, old, status),
                    ("customer", record_id, "review", None, None, review),
                ],
            )
            self.queue(tx, DECIDE, record_id, {"decision": decision})

    def withdraw_submission(self, record_id: str, prov: Provenance) -> bool:
        """Undo a submission still waiting in the outbox; False once it has been sent."""
        with self.transaction() as tx:
            row = tx.execute(
                select(OUT.seq).where(OUT.record_id == record_id, OUT.kind == SUBMIT, OUT.state == "pending")
            ).first()
            status = tx.execute(select(C.status).where(C.id == record_id)).scalar()
            if row is None or status != "pending":
                return False
            tx.execute(delete(schema.outbox).where(OUT.seq == row[0]))
            tx.execute(
                schema.customer.update().where(C.id == record_id).values(status="draft", updated_at=self.clock())
            )
            self.arc.audit.append(tx, prov, [("customer", record_id, "status", None, "pending", "draft")])
            self._settle(tx, record_id)
            return True

    def review_of(self, record_id: str) -> dict[str, Any] | None:
        with self.reading() as c:
            review: dict[str, Any] | None = loads(c.execute(select(C.review).where(C.id == record_id)).scalar())
            return review

    def clear_rejection(self, tx: Connection, record_id: str) -> None:
        tx.execute(
            schema.customer.update()
            .where(C.id == record_id, C.sync_state == "rejected")
            .values(sync_state="pending", sync_errors=None)
        )

    def sync_summary(self) -> dict[str, int]:
        with self.reading() as c:
            states: dict[str, int] = dict(
                c.execute(select(C.sync_state, func.count()).where(C.deleted_at.is_(None)).group_by(C.sync_state)).all()
            )
            outbox = int(c.execute(select(func.count()).select_from(schema.outbox)).scalar() or 0)
        return {"outbox": outbox, **{k: int(v) for k, v in states.items()}}

    def unsettled(self) -> int:
        """Outbox rows, and records in conflict or refused by the server: what a sync leaves to do."""
        summary = self.sync_summary()
        return summary["outbox"] + summary.get("conflict", 0) + summary.get("rejected", 0)


def _holding(tx: Connection, columns: Sequence[Any], files: Sequence[tuple[str, Any]]) -> set[str]:
    """The customers among ``files``' that have rows in any of ``columns``' tables here (one query a table)."""
    ids = [rid for rid, _f in files]
    found: set[str] = set()
    for col in columns if ids else ():
        found.update(tx.execute(select(col).where(col.in_(ids)).distinct()).scalars())
    return found

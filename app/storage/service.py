"""The archive's service part (``archive.service``): visit plans, care dates, satisfaction surveys, observations.

A record or a step made here is written, audited and queued (``service.add``, ``service.step``) in one
transaction, marked ``pending``. The server's answer marks it ``synced`` or ``refused`` (a refused step puts
the record back as the server last had it, with the reason), and never blocks the customer's own changes.
The feed brings each customer's service records whole (``take_server``): rows as the server has them replace
the synced ones; pending ones wait for their answer.
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
from app.models.service import ServiceItem, ServiceRecord
from app.models.sync_state import OutboxRow
from app.models.wire import MutationKind, ResultStatus
from app.storage import schema
from app.storage.answers import refusal_reason, server_iso
from app.storage.db import Part
from app.validation.service import KINDS, MESSAGES, STEPS

R = schema.service_record.c
C = schema.customer.c
WIRE_KINDS = frozenset({MutationKind.SERVICE.value, MutationKind.SERVICE_STEP.value})
#: The columns the server decides (the rest are the client's bookkeeping).
SERVER_KEYS = ("kind", "on_date", "body", "status", "revision", "recorded_by", "recorded_at")


def _record(r: Any) -> ServiceRecord:
    return ServiceRecord(
        r["id"],
        r["customer_id"],
        r["kind"],
        r["on_date"],
        json.loads(r["body"]),
        r["status"],
        r["revision"],
        r["recorded_by"],
        r["recorded_at"],
        r["state"],
        r["error"],
    )


def _dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(dict(body), ensure_ascii=False, sort_keys=True)


class Service(Part):
    """``archive.service``: service records made here or received from the server."""

    def add(self, rec: ServiceRecord, prov: Provenance) -> ServiceRecord:
        """Store a record (checked by the caller, its status worked out), audit it and queue it."""
        rec = replace(rec, revision=1, recorded_by=prov.actor or self.actor, recorded_at=self.clock())
        rec = replace(rec, state="pending", error="")
        sent = {"id": rec.id, "kind": rec.kind, "on_date": rec.on_date, "body": dict(rec.body)}
        with self.transaction() as tx:
            tx.execute(
                schema.service_record.insert().values(
                    id=rec.id,
                    customer_id=rec.customer_id,
                    kind=rec.kind,
                    on_date=rec.on_date,
                    body=_dumps(rec.body),
                    status=rec.status,
                    revision=1,
                    recorded_by=rec.recorded_by,
                    recorded_at=rec.recorded_at,
                    state="pending",
                    error="",
                    server=None,
                )
            )
            audited = {"customer_id": rec.customer_id, "kind": rec.kind, "on_date": rec.on_date, "status": rec.status}
            self.arc.audit.append(tx, prov, [("service", rec.id, "create", None, None, audited)])
            self.arc.outbox.queue(tx, MutationKind.SERVICE.value, rec.customer_id, {"service": sent})
        return rec

    def get(self, record_id: str) -> ServiceRecord | None:
        with self.reading() as c:
            r = c.execute(select(schema.service_record).where(R.id == record_id)).mappings().first()
            return _record(r) if r is not None else None

    def step(self, rec: ServiceRecord, step: Mapping[str, Any], prov: Provenance) -> ServiceRecord:
        """Take a step (checked by the caller against ``rec`` as stored) here at once, and queue it with the
        revision it follows; the server checks it again."""
        action = step["action"]
        body = dict(rec.body)
        if action == "done":
            body["done_on"] = step["done_on"]
            if step.get("visit_id"):
                body["visit_id"] = step["visit_id"]
        else:
            body["cancel_reason"] = step["reason"].strip()
        status = STEPS[(rec.kind, action)][1]
        sent = {"record_id": rec.id, "action": action, "revision": rec.revision}
        sent.update({k: step[k] for k in ("done_on", "visit_id", "reason") if step.get(k)})
        with self.transaction() as tx:
            tx.execute(
                schema.service_record.update()
                .where(R.id == rec.id)
                .values(body=_dumps(body), status=status, revision=rec.revision + 1, state="pending", error="")
            )
            self.arc.audit.append(tx, prov, [("service", rec.id, action, "status", rec.status, status)])
            self.arc.outbox.queue(tx, MutationKind.SERVICE_STEP.value, rec.customer_id, {"service_step": sent})
        return replace(rec, body=body, status=status, revision=rec.revision + 1, state="pending", error="")

    def of_customer(self, customer_id: str) -> list[ServiceRecord]:
        """The customer's service records, the latest day first."""
        with self.reading() as c:
            rows = c.execute(
                select(schema.service_record)
                .where(R.customer_id == customer_id)
                .order_by(R.on_date.desc(), R.pk.desc())
            ).mappings()
            return [_record(r) for r in rows]

    def listed(self, kinds: Sequence[str] = KINDS, statuses: Sequence[str] | None = None) -> list[ServiceItem]:
        """The service records of the customers held here (not closed), with their outlet, by day."""
        with self.reading() as c:
            q = (
                select(schema.service_record, C.code, C.shop_name, C.owner)
                .join(schema.customer, C.id == R.customer_id)
                .where(C.deleted_at.is_(None), C.closed == 0, R.kind.in_(list(kinds)))
                .order_by(R.on_date, C.code)
            )
            if statuses is not None:
                q = q.where(R.status.in_(list(statuses)))
            return [
                ServiceItem(_record(r), r["shop_name"] or "", r["code"] or "", r["owner"] or "")
                for r in c.execute(q).mappings()
            ]

    # ---- the server's answers and feed ---------------------------------------------------------------
    def answered(self, tx: Connection, row: OutboxRow, result: PushResult) -> None:
        """The server's answer to one of our rows (inside the answers' transaction)."""
        extra = row.extra or {}
        ok = result.status in (ResultStatus.APPLIED, ResultStatus.MERGED)
        held = not ok and bool(result.errors) and all(e.code == "service.duplicate" for e in result.errors)
        state, error = ("synced", "") if ok or held else ("refused", refusal_reason(result, MESSAGES))
        if row.kind == MutationKind.SERVICE.value:
            rid = (extra.get("service") or {}).get("id")
            tx.execute(schema.service_record.update().where(R.id == rid).values(state=state, error=error))
            return
        rid = (extra.get("service_step") or {}).get("record_id")
        if state == "synced":
            tx.execute(schema.service_record.update().where(R.id == rid).values(state="synced", error=""))
            return
        server = tx.execute(select(R.server).where(R.id == rid)).scalar()
        back = {k: v for k, v in (json.loads(server) if server else {}).items() if k in SERVER_KEYS}
        if "body" in back:
            back["body"] = _dumps(back["body"])
        tx.execute(schema.service_record.update().where(R.id == rid).values(**back, state="synced", error=error))

    def take_server(self, tx: Connection, customer_id: str, found: Sequence[Any], prov: Provenance) -> None:
        """A customer's service records as the server has them (from the feed), in the caller's transaction."""
        local = {
            r["id"]: r for r in tx.execute(select(schema.service_record).where(R.customer_id == customer_id)).mappings()
        }
        seen: set[str] = set()
        audit: list[tuple[str, str, str, str | None, Any, Any]] = []
        for s in found:
            if not isinstance(s, dict) or not isinstance(s.get("id"), str) or s.get("kind") not in KINDS:
                continue
            seen.add(s["id"])
            values = {
                "kind": s["kind"],
                "on_date": str(s.get("on_date") or ""),
                "body": s.get("body") if isinstance(s.get("body"), dict) else {},
                "status": str(s.get("status") or ""),
                "revision": int(s.get("revision") or 1),
                "recorded_by": str(s.get("recorded_by") or ""),
                "recorded_at": server_iso(s.get("recorded_at")),
            }
            snapshot = json.dumps(values, ensure_ascii=False, sort_keys=True)
            row = {**values, "body": _dumps(values["body"])}
            mine = local.get(s["id"])
            if mine is None:
                tx.execute(
                    schema.service_record.insert().values(
                        id=s["id"], customer_id=customer_id, **row, state="synced", error="", server=snapshot
                    )
                )
                audit.append(("service", s["id"], "create", None, None, {"kind": s["kind"], "status": row["status"]}))
            elif mine["state"] == "pending":  # ours waits for its answer: keep it, remember the server's
                tx.execute(schema.service_record.update().where(R.id == s["id"]).values(server=snapshot))
            else:
                if mine["status"] != row["status"]:
                    audit.append(("service", s["id"], "status", "status", mine["status"], row["status"]))
                tx.execute(
                    schema.service_record.update()
                    .where(R.id == s["id"])
                    .values(
                        **row, state="synced", error=mine["error"] if mine["state"] == "synced" else "", server=snapshot
                    )
                )
        gone = [rid for rid, r in local.items() if rid not in seen and r["state"] == "synced"]
        if gone:
            tx.execute(delete(schema.service_record).where(R.id.in_(gone)))
        self.arc.audit.append(tx, prov, audit)


def is_service_kind(kind: str) -> bool:
    return kind in WIRE_KINDS

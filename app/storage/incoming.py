"""The server's version of records taken into the archive, for the outbox part (``archive.outbox``):
the push's answers and the feed's pages share it.

A record the archive never held is inserted as the server has it; a known one takes the server's
values except where it was edited here after the body in flight was frozen (``_merge``), in one
statement for the usual answer to our own push; each change is written to the history naming the
account that made it on the server (``made_by``), and the display names the server sends are kept.
``Incoming`` is a helper of ``Outbox`` (app/storage/sync.py), which holds one; it is not a part of
the archive of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from app.models.catalogue import FormDefinition
from app.models.record import CustomerStatus, NewCustomer, Provenance, Quality
from app.models.remote import RemoteRecord
from app.models.wire import canonical_json
from app.storage import schema
from app.storage.customer_rows import field_changes
from app.storage.db import Part
from app.storage.people import AuditRow, made_by, people_of, system_fields

C = schema.customer.c


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def dumps(value: Any) -> str:
    try:
        return canonical_json(value).decode("utf-8")
    except TypeError:  # orjson refuses a lone surrogate or a value nested 255 deep; the server refuses them by name
        return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _review_audit(record: RemoteRecord, row: Any) -> list[tuple[str, str, str, str | None, Any, Any]]:
    """A decision that arrived from the server, for the record's history (each round shows)."""
    new, old = record.review or {}, loads(row["review"]) or {}

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return r.get("action"), r.get("by"), r.get("reason"), tuple(r.get("fields") or ())

    if new.get("action") and key(new) != key(old):  # (our own decision coming back has another "at")
        return [("customer", record.id, "review", None, None, new)]
    return []


def _closure_columns(record: RemoteRecord) -> dict[str, Any]:
    """The customer row's lifecycle columns from the server's record (closure JSON, closed flag)."""
    closure = record.closure
    return {
        "closure": dumps(closure) if closure else None,
        "closed": int(bool(closure and closure.get("state") == "closed")),
    }


def _closure_audit(record: RemoteRecord, row: Any) -> list[tuple[str, str, str, str | None, Any, Any]]:
    """A close or reopen made on the server, as one entry of this archive's trail."""
    new, old = record.closure, loads(row["closure"])
    if not new or new == old:
        return []
    return [("customer", record.id, "closure", None, (old or {}).get("state"), new)]


def _merge(
    data: dict[str, Any], base: dict[str, Any], server: dict[str, Any], frozen: dict[str, Any] | None
) -> dict[str, Any]:
    """The server's values, except where the local record was edited after ``frozen`` was sent
    (or, without a frozen body, since the server's last known state ``base``)."""
    sent = (frozen or {}).get("changes") or {}
    merged: dict[str, Any] = {}
    for key in set(data) | set(server) | set(base):
        local = data.get(key)
        edited_since = local != (sent[key]["new"] if key in sent else base.get(key))
        value = local if edited_since else server.get(key)
        if value not in (None, "", []):
            merged[key] = value
    return merged


class Incoming(Part):
    """The server's records taken into the archive (a helper of ``archive.outbox``)."""

    def append_synced(
        self,
        tx: Connection,
        form: FormDefinition,
        prov: Provenance,
        entries: Sequence[AuditRow],
        records: dict[str, RemoteRecord],
    ) -> None:
        """The history entries of changes that came from the server, each naming (as its source
        reference) the account that made it there (``made_by``); the entry's actor stays this
        archive's user, who received it (server/audit.py: a device's trail names only its user)."""
        if not entries:
            return
        system = system_fields(form)
        refs = [made_by(records[e[1]], e, system) if e[1] in records else "" for e in entries]
        self.arc.audit.append(tx, prov, entries, refs)

    def remember_people(self, tx: Connection, records: Sequence[RemoteRecord]) -> None:
        """Keep the display names the server sent (PEOPLE), for the history and the list."""
        found = people_of(records)
        if found:
            self.arc.outbox.remember_people(found, tx)

    def take_records(
        self,
        tx: Connection,
        form: FormDefinition,
        items: Sequence[tuple[RemoteRecord, dict[str, Any] | None]],
        quality: Callable[[dict[str, Any]], Quality],
        prov: Provenance,
        known: dict[str, Quality] | None = None,
    ) -> None:
        """The bulk form of ``take_record`` (distinct records): new ones inserted together;
        those whose values stay as they are (the usual answer to our own push) take the server's
        version, status and code in one statement; the rest go one by one."""
        if not items:
            return
        rows = {
            r["id"]: r
            for r in tx.execute(select(schema.customer).where(C.id.in_([rec.id for rec, _f in items]))).mappings()
        }
        self.insert_remotes(tx, form, [rec for rec, _f in items if rec.id not in rows], quality, prov, known)
        light: list[dict[str, Any]] = []
        audit: list[tuple[str, str, str, str | None, Any, Any]] = []
        now = self.clock()
        for record, frozen in items:
            row = rows.get(record.id)
            if row is None:
                continue
            data = json.loads(row["data"])
            merged = _merge(data, loads(row["server_data"]) or {}, record.values, frozen)
            code = record.code or row["code"] or record.provisional_code
            if merged != data or code != row["code"] or record.deleted or row["deleted_at"] is not None:
                self.take_record(tx, form, record, quality, prov, frozen, row=row)
                continue
            status = record.status
            if status != row["status"]:
                audit.append(("customer", record.id, "status", None, row["status"], status))
            audit += _review_audit(record, row) + _closure_audit(record, row)
            light.append(
                {
                    "b_id": record.id,
                    "server_data": dumps(record.values),
                    "version": record.version,
                    "status": status,
                    "code_official": int(record.code_official),
                    "approved_data": dumps(record.approved_values) if record.approved_values else None,
                    "review": dumps(record.review) if record.review else None,
                    "owner": record.owner,
                    "updated_at": now if status != row["status"] else row["updated_at"],
                    **_closure_columns(record),
                }
            )
        if light:
            # executemany: the SET clause takes its columns from the parameters' keys
            tx.execute(schema.customer.update().where(C.id == bindparam("b_id")).values(sync_errors=None), light)
        self.append_synced(tx, form, prov, audit, {rec.id: rec for rec, _f in items})

    def take_record(
        self,
        tx: Connection,
        form: FormDefinition,
        record: RemoteRecord,
        quality: Callable[[dict[str, Any]], Quality],
        prov: Provenance,
        frozen: dict[str, Any] | None = None,
        row: Any = None,
    ) -> None:
        """The server's state of a record, keeping local edits made after ``frozen`` was sent."""
        if row is None:
            row = tx.execute(select(schema.customer).where(C.id == record.id)).mappings().first()
        server_values = record.values
        if row is None:
            self.insert_remotes(tx, form, [record], quality, prov)
            return
        data = json.loads(row["data"])
        merged = _merge(data, loads(row["server_data"]) or {}, server_values, frozen)
        q = quality(merged)
        code = record.code or row["code"] or record.provisional_code
        values = dict(
            server_data=dumps(server_values),
            version=record.version,
            status=record.status,
            code=code,
            code_official=int(record.code_official),
            approved_data=dumps(record.approved_values) if record.approved_values else None,
            review=dumps(record.review) if record.review else None,
            owner=record.owner,
            sync_errors=None,
            updated_at=self.clock(),
            **_closure_columns(record),
        )
        # deleted on the server; or back in this user's scope after it was revoked here
        values["deleted_at"] = (row["deleted_at"] or self.clock()) if record.deleted else None
        self.arc.customers.write(tx, row["pk"], form, merged, q, dumps(merged), code, deleted=record.deleted, **values)
        audit = field_changes(record.id, data, merged)
        if values["status"] != row["status"]:
            audit.append(("customer", record.id, "status", None, row["status"], values["status"]))
        audit += _review_audit(record, row) + _closure_audit(record, row)
        self.append_synced(tx, form, prov, audit, {record.id: record})

    def insert_remotes(
        self,
        tx: Connection,
        form: FormDefinition,
        records: Sequence[RemoteRecord],
        quality: Callable[[dict[str, Any]], Quality],
        prov: Provenance,
        known: dict[str, Quality] | None = None,
    ) -> None:
        """Records this archive has never held (distinct), inserted together as the server has them
        (with their completeness from ``known`` where it was worked out ahead of time)."""
        records = [r for r in records if not r.deleted]
        if not records:
            return
        items = []
        for record in records:
            values = {k: v for k, v in record.values.items() if v not in (None, "", [])}
            q = (known or {}).get(record.id) or quality(values)
            items.append(NewCustomer(record.id, values, q, CustomerStatus(record.status)))
        self.arc.customers.insert_remote(
            tx,
            form,
            items,
            prov,
            [
                {
                    "server_data": dumps(r.values),
                    "version": r.version,
                    "code": r.code or r.provisional_code,  # a collector's customer by the code the collector sees
                    "code_official": r.code_official,
                    "approved_data": dumps(r.approved_values) if r.approved_values else None,
                    "review": dumps(r.review) if r.review else None,
                    "owner": r.owner,
                    **_closure_columns(r),
                }
                for r in records
            ],
            [made_by(r, ("customer", r.id, "create", None, None, None), frozenset()) for r in records],
        )

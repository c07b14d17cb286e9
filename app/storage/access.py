"""The archive's access part (``archive.access``): who saw personal data, and how (audit R9, R10).

Opening a customer's page, searching the list, exporting and printing are each logged: who, when,
on which device, which customer or the query (source: 查阅、检索、导出、打印 … 应有记录). The entries
are the audit trail's own (entity ``access``; an export keeps its entity ``export``), so they are
hash-chained with every change, cannot be altered or removed here, and reach the server with the
trail at the next sync (server/access.py lists them). An entry about one customer carries its id as
the entity id, so "who looked at this customer" is one indexed lookup here and on the server.

A search is logged when the list runs it (after the typing pause), once per distinct text: the
list running the same query again after a sync or a filter change is not another search.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import or_, select

from app.models.record import AuditEntry, Provenance, Source, new_id
from app.models.remote import ExportRequest
from app.models.wire import ACCESS_ENTITY, EXPORT_ENTITY, AccessKind
from app.storage import schema
from app.storage.audit import entry_of
from app.storage.db import Part

#: meta key: the user's export requests as the server last listed them (JSON list).
REQUESTS = "export_requests"
#: Longest search text kept in the log (a pasted paragraph is not a query).
MAX_QUERY = 200


class AccessLog(Part):
    """``archive.access``: the access entries, written through ``archive.audit``."""

    def __init__(self, arc: Any) -> None:
        super().__init__(arc)
        self._last_search: str | None = None

    def record(
        self,
        kind: AccessKind,
        actor: str = "",
        customer_id: str | None = None,
        details: Mapping[str, Any] | None = None,
        source_ref: str = "",
    ) -> str:
        """Log one access; returns the entry's entity id (the customer's id, else a new id)."""
        entity = EXPORT_ENTITY if kind is AccessKind.EXPORT else ACCESS_ENTITY
        entity_id = customer_id or new_id()
        body = {"kind": kind.value, **({"customer": customer_id} if customer_id else {}), **(details or {})}
        prov = Provenance(actor or self.actor, Source.SYSTEM, source_ref)
        with self.transaction() as tx:
            self.arc.audit.append(tx, prov, [(entity, entity_id, kind.value, None, None, body)])
        return entity_id

    def opened(self, customer_id: str, actor: str = "") -> None:
        """A customer's page was opened (its values shown)."""
        self.record(AccessKind.OPEN, actor, customer_id)

    def printed(self, customer_id: str, actor: str = "", file: str = "") -> None:
        self.record(AccessKind.PRINT, actor, customer_id, {"file": file} if file else None)

    def searched(self, text: str, results: int, actor: str = "") -> bool:
        """The list was searched for ``text`` (``results`` customers found); logged once per distinct
        text in a row. Returns whether an entry was written."""
        query = " ".join(text.split())[:MAX_QUERY]
        if not query or query == self._last_search:
            return False
        self.record(AccessKind.SEARCH, actor, None, {"query": query, "results": results})
        self._last_search = query
        return True

    # ---- export requests (server/access.py), as the server last listed them ---------------------------
    def keep_requests(self, requests: Sequence[ExportRequest]) -> None:
        self.arc.meta.set(REQUESTS, json.dumps([asdict(r) for r in requests], ensure_ascii=False))

    def requests(self) -> list[ExportRequest]:
        raw = self.arc.meta.get(REQUESTS)
        return [ExportRequest(**r) for r in json.loads(raw)] if raw else []

    def entries(self, customer_id: str | None = None) -> list[AuditEntry]:
        """The access log, oldest first: every entry, or those about one customer."""
        a = schema.audit.c
        q = select(schema.audit).where(or_(a.entity == ACCESS_ENTITY, a.entity == EXPORT_ENTITY))
        if customer_id is not None:
            q = select(schema.audit).where(a.entity_id == customer_id, a.entity == ACCESS_ENTITY)
        with self.reading() as c:
            return [entry_of(r) for r in c.execute(q.order_by(a.seq)).mappings()]

"""The archive's customers part: create, update with per-field audit, list and search reads.

Their siblings over the same table: ``archive.duplicates`` (duplicates.py), ``archive.figures``
(figures.py); the open forms' autosave is ``archive.autosave`` (autosave.py).

``Customers.write`` is the one place a changed customer row takes its new values (local edits,
and the outbox's rebase, server records and conflict choices alike)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.engine import Connection

from app.models.catalogue import FieldRole, FormDefinition
from app.models.record import (
    Customer,
    CustomerRow,
    CustomerStatus,
    CustomerUpdate,
    ListQuery,
    NewCustomer,
    OverdueRule,
    Provenance,
    Quality,
)
from app.storage import schema
from app.storage.audit import creation_commitment
from app.storage.customer_rows import (
    INSERT,
    SORT_COLUMNS,
    dumps,
    field_changes,
    provenance,
    role_columns,
    search_body,
    to_customer,
)
from app.storage.db import Part
from app.storage.search import broad, grams, plan
from app.validation.integrity import OPEN_STATUSES

C = schema.customer.c
K = schema.complaint.c
P = schema.service_record.c


class Customers(Part):
    """``archive.customers``: the customer records, their search entries and the open forms' autosave."""

    def index(self, tx: Connection, items: Sequence[tuple[int, str]]) -> None:
        """Search entries for (pk, search body) pairs that have none."""
        tx.exec_driver_sql("INSERT INTO customer_trgm (rowid, body) VALUES (?, ?)", list(items))
        tx.exec_driver_sql("INSERT INTO customer_gram (rowid, body) VALUES (?, ?)", [(pk, grams(b)) for pk, b in items])

    def unindex(self, tx: Connection, pks: Sequence[int]) -> None:
        for table in ("customer_trgm", "customer_gram"):
            tx.exec_driver_sql(f"DELETE FROM {table} WHERE rowid = ?", [(pk,) for pk in pks])

    def write(
        self,
        tx: Connection,
        pk: int,
        form: FormDefinition,
        values: dict[str, Any],
        q: Quality,
        data: str,
        search_code: str | None,
        /,
        deleted: bool = False,
        **columns: Any,
    ) -> None:
        """The one function that writes a changed customer row: its values (``data``: their JSON), their
        quality figures, the columns mirroring their roles, any other ``columns`` (``code``, ``status``…);
        then its search entries, under ``search_code`` (none if it is ``deleted``)."""
        tx.execute(
            schema.customer.update()
            .where(C.pk == pk)
            .values(
                data=data,
                completeness=q.completeness,
                missing_count=q.missing_count,
                error_count=q.error_count,
                warning_count=q.warning_count,
                **columns,
                **role_columns(form, values),
            )
        )
        self.unindex(tx, [pk])
        if not deleted:
            self.index(tx, [(pk, search_body(form, values, search_code))])

    def _provisional_codes(self, tx: Connection, n: int) -> list[str]:
        seq = int(tx.execute(select(schema.meta.c.value).where(schema.meta.c.key == "provisional_seq")).scalar() or 0)
        tx.execute(schema.meta.insert().prefix_with("OR REPLACE"), [{"key": "provisional_seq", "value": str(seq + n)}])
        prefix = self.arc.meta.device_id.replace("-", "")[:4].upper()
        return [f"TMP-{prefix}-{seq + i:06d}" for i in range(1, n + 1)]

    # ---- writes ----------------------------------------------------------------------------
    def insert(
        self, form: FormDefinition, items: Sequence[NewCustomer], prov: Provenance, tx: Connection | None = None
    ) -> list[str]:
        """New local customers (a provisional code for those without an official one), their search
        entries, their audit entries and their mutations in the outbox, all in one transaction."""
        if tx is None:
            with self.transaction() as t:
                return self.insert(form, items, prov, t)
        if items:
            self._insert(tx, form, items, prov, None)
            self.arc.outbox.queue_new(tx, [it.id for it in items], prov)
        return [it.id for it in items]

    def insert_remote(
        self,
        tx: Connection,
        form: FormDefinition,
        items: Sequence[NewCustomer],
        prov: Provenance,
        remote: Sequence[dict[str, Any]],
        by: Sequence[str] | None = None,
    ) -> None:
        """Records that came from the server, new to this archive, with each one's code, code_official,
        version, server_data, approved_data, review and owner in ``remote`` (stored as they are; no
        provisional code is given, nothing is queued); ``by``: who created each on the server (the
        source reference of its "create" entry)."""
        if items:
            self._insert(tx, form, items, prov, remote, by)

    def _insert(
        self,
        tx: Connection,
        form: FormDefinition,
        items: Sequence[NewCustomer],
        prov: Provenance,
        remote: Sequence[dict[str, Any]] | None,
        by: Sequence[str] | None = None,
    ) -> None:
        """New customers, their search entries and their audit entries (``remote``: as the server has them)."""
        now, actor = self.clock(), prov.actor or self.actor
        code_spec = form.by_role(FieldRole.CUSTOMER_CODE)
        if remote is not None:
            official = [bool(m.get("code_official")) for m in remote]
            codes = [m.get("code") or None for m in remote]
        else:
            official = [bool(code_spec and it.values.get(code_spec.key)) for it in items]
            provisional = iter(self._provisional_codes(tx, official.count(False)))
            codes = [
                it.values[code_spec.key] if o and code_spec else next(provisional)
                for it, o in zip(items, official, strict=True)
            ]
        first_pk = (tx.execute(select(func.max(C.pk))).scalar() or 0) + 1
        rows, index, audit = [], [], []
        for n, (it, is_official, code) in enumerate(zip(items, official, codes, strict=True)):
            pk = first_pk + n
            q = it.quality
            data = dumps(it.values)
            m = remote[n] if remote is not None else None
            tail = (
                (
                    m.get("version", 0),
                    None,
                    None,
                    None,
                    m.get("server_data"),
                    m.get("approved_data"),
                    m.get("review"),
                    m.get("owner"),
                    "synced",
                    None,
                    m.get("closure"),
                    int(bool(m.get("closed"))),
                )
                if m is not None
                else (0, None, None, None, None, None, None, None, "local", None, None, 0)
            )
            rows.append(
                (
                    pk,
                    it.id,
                    code,
                    int(is_official),
                    it.status.value,
                    form.form_id,
                    form.version,
                    data,
                    q.completeness,
                    q.missing_count,
                    q.error_count,
                    q.warning_count,
                    *role_columns(form, it.values).values(),
                    None,
                    now,
                    actor,
                    now,
                    actor,
                    *tail,
                )
            )
            index.append((pk, search_body(form, it.values, code)))
            audit.append(("customer", it.id, "create", None, None, creation_commitment(data, len(it.values))))
        tx.exec_driver_sql(INSERT, rows)
        self.index(tx, index)
        self.arc.audit.append(tx, prov, audit, by)

    def update(
        self, form: FormDefinition, items: Sequence[CustomerUpdate], prov: Provenance, tx: Connection | None = None
    ) -> int:
        """Write the fields that changed (and the status); returns how many records changed."""
        if tx is None:
            with self.transaction() as t:
                return self.update(form, items, prov, t)
        current = {
            r["id"]: r
            for r in tx.execute(
                select(schema.customer).where(C.id.in_([it.id for it in items]), C.deleted_at.is_(None))
            ).mappings()
        }
        now, actor = self.clock(), prov.actor or self.actor
        code_spec = form.by_role(FieldRole.CUSTOMER_CODE)
        changed, audit = 0, []
        for it in items:
            r = current.get(it.id)
            if r is None:
                raise KeyError(it.id)
            old = json.loads(r["data"])
            diffs = field_changes(it.id, old, it.values)
            status = it.status.value if it.status else r["status"]
            if not diffs and status == r["status"]:
                continue
            changed += 1
            code, official = r["code"], r["code_official"]
            if code_spec and it.values.get(code_spec.key) and it.values.get(code_spec.key) != code:
                code, official = it.values[code_spec.key], 1
            self.write(
                tx,
                r["pk"],
                form,
                it.values,
                it.quality,
                dumps(it.values),
                code,
                status=status,
                code=code,
                code_official=official,
                updated_at=now,
                updated_by=actor,
            )
            audit += diffs
            if status != r["status"]:
                audit.append(("customer", it.id, "status", None, r["status"], status))
            if diffs:
                self.arc.outbox.clear_rejection(tx, it.id)
                self.arc.outbox.queue(tx, "customer.save", it.id, {"provenance": provenance(prov)})
        self.arc.audit.append(tx, prov, audit)
        return changed

    def set_status(
        self, ids: Iterable[str], status: CustomerStatus, prov: Provenance, note: str = "", urgent: bool = False
    ) -> int:
        """A local status change; a submission (→ pending) is queued for the server, with the
        collector's note and whether it is an emergency change, and opens a new review round."""
        ids = list(ids)
        with self.transaction() as tx:
            rows = tx.execute(select(C.id, C.status).where(C.id.in_(ids), C.deleted_at.is_(None))).all()
            todo = [(i, s) for i, s in rows if s != status.value]
            if todo:
                tx.execute(
                    schema.customer.update()
                    .where(C.id.in_([i for i, _ in todo]))
                    .values(status=status.value, updated_at=self.clock(), updated_by=prov.actor or self.actor)
                )
                self.arc.audit.append(tx, prov, [("customer", i, "status", None, s, status.value) for i, s in todo])
                if status is CustomerStatus.PENDING:
                    review = dumps(
                        {
                            "submitted_at": self.clock(),
                            "submitted_by": prov.actor or self.actor,
                            "note": note.strip(),
                            "urgent": urgent,
                        }
                    )
                    tx.execute(schema.customer.update().where(C.id.in_([i for i, _ in todo])).values(review=review))
                    extra = {k: v for k, v in (("note", note.strip()), ("urgent", urgent)) if v}
                    for i, _s in todo:
                        self.arc.outbox.queue(tx, "customer.submit", i, extra or None)
            return len(todo)

    def soft_delete(self, customer_id: str, prov: Provenance) -> bool:
        with self.transaction() as tx:
            pk = tx.execute(select(C.pk).where(C.id == customer_id, C.deleted_at.is_(None))).scalar()
            if pk is None:
                return False
            tx.execute(schema.customer.update().where(C.pk == pk).values(deleted_at=self.clock()))
            self.unindex(tx, [pk])
            self.arc.audit.append(tx, prov, [("customer", customer_id, "delete", None, None, None)])
            self.arc.outbox.queue(tx, "customer.delete", customer_id)
            return True

    # ---- reads -----------------------------------------------------------------------------
    def get(self, customer_id: str) -> Customer | None:
        with self.reading() as c:
            r = c.execute(select(schema.customer).where(C.id == customer_id)).mappings().first()
        return to_customer(r) if r else None

    def by_code(self, code: str) -> Customer | None:
        """The live customer whose code (official or provisional) or id is ``code``."""
        with self.reading() as c:
            r = (
                c.execute(select(schema.customer).where(C.deleted_at.is_(None), (C.code == code) | (C.id == code)))
                .mappings()
                .first()
            )
        return to_customer(r) if r else None

    def many(self, ids: Sequence[str], tx: Connection | None = None) -> dict[str, Customer]:
        out: dict[str, Customer] = {}
        with self.reading(tx) as c:
            for i in range(0, len(ids), 500):
                for r in c.execute(select(schema.customer).where(C.id.in_(ids[i : i + 500]))).mappings():
                    out[r["id"]] = to_customer(r)
        return out

    def iterate(self, pks: Sequence[int] | None = None, batch: int = 500) -> Iterator[Customer]:
        """All live customers (or those ``pks``, in that order), a batch at a time."""
        if pks is None:
            with self.reading() as c:
                pks = list(c.execute(select(C.pk).where(C.deleted_at.is_(None)).order_by(C.pk)).scalars())
        for i in range(0, len(pks), batch):
            chunk = list(pks[i : i + batch])
            with self.reading() as c:
                found = {r["pk"]: r for r in c.execute(select(schema.customer).where(C.pk.in_(chunk))).mappings()}
            for pk in chunk:
                if pk in found:
                    yield to_customer(found[pk])

    def count(self, status: CustomerStatus | None = None) -> int:
        q = select(func.count()).select_from(schema.customer).where(C.deleted_at.is_(None))
        if status is not None:
            q = q.where(C.status == status.value)
        with self.reading() as c:
            return int(c.execute(q).scalar() or 0)

    def status_counts(self) -> dict[CustomerStatus, int]:
        """The working customers by status (a closed outlet, 销户, is counted by ``closed_count``)."""
        with self.reading() as c:
            rows = c.execute(
                select(C.status, func.count()).where(C.deleted_at.is_(None), C.closed == 0).group_by(C.status)
            ).all()
        counts = {s: 0 for s in CustomerStatus}
        counts.update({CustomerStatus(s): n for s, n in rows})
        return counts

    def closed_count(self) -> int:
        with self.reading() as c:
            q = select(func.count()).select_from(schema.customer).where(C.deleted_at.is_(None), C.closed == 1)
            return int(c.execute(q).scalar() or 0)

    def list_pks(self, lq: ListQuery, limit: int | None = None) -> list[int]:
        """The customers a list shows, in its order (all of them: ids are small, rows load in windows)."""
        return self.search_pks(
            lq.text,
            lq.status,
            lq.incomplete,
            lq.sort,
            lq.descending,
            limit,
            lq.overdue,
            lq.sync_problems,
            lq.include_closed,
        )

    def search_pks(
        self,
        query: str = "",
        status: CustomerStatus | None = None,
        incomplete: bool = False,
        sort: str = "updated_at",
        descending: bool = True,
        limit: int | None = None,
        overdue: OverdueRule | None = None,
        sync_problems: bool = False,
        include_closed: bool = False,
    ) -> list[int]:
        """The live customers matching the filters; a closed outlet (销户) only with ``include_closed``.

        A first page (``limit``) of terms that each match thousands of customers walks the list in its
        order and stops at the page (``search.broad``); otherwise the matches are looked up and sorted."""
        with self.reading() as c:
            return list(
                c.execute(
                    self._search(
                        c, query, status, incomplete, sort, descending, limit, overdue, sync_problems, include_closed
                    )
                ).scalars()
            )

    def _search(
        self,
        c: Connection,
        query: str,
        status: CustomerStatus | None,
        incomplete: bool,
        sort: str,
        descending: bool,
        limit: int | None,
        overdue: OverdueRule | None,
        sync_problems: bool,
        include_closed: bool,
    ) -> Any:
        q = select(C.pk).where(C.deleted_at.is_(None))
        if not include_closed:
            q = q.where(C.closed == 0)
        conditions = plan(query)
        key = C.pk + 0 if limit is not None and broad(c, conditions) else C.pk  # +0: no lookups by key
        for n, (table, expr) in enumerate(conditions):
            q = q.where(
                key.in_(text(f"SELECT rowid FROM {table} WHERE {table} MATCH :m{n}").bindparams(**{f"m{n}": expr}))
            )
        if status is not None:
            q = q.where(C.status == status.value)
        if incomplete:
            q = q.where((C.missing_count > 0) | (C.error_count > 0))
        if overdue is not None:
            created = func.substr(C.created_at, 1, 10)
            late = [
                C.id.in_(select(K.customer_id).where(self._my_complaint(), K.deadline < overdue.today)),
                C.id.in_(select(P.customer_id).where(self._my_plan(), P.on_date < overdue.today)),
            ]
            q = q.where(
                or_(
                    *(late if overdue.today else []),
                    and_(  # app.validation.completeness.new_customer_late, in SQL
                        C.binding_date.is_not(None),
                        C.binding_date <= overdue.bound_by,
                        (C.status != CustomerStatus.APPROVED.value) | (C.missing_count > 0) | (C.error_count > 0),
                    ),
                    func.coalesce(C.last_quarterly_check, created) < overdue.quarter_start,
                    func.coalesce(C.last_static_review, created) < overdue.half_year_start,
                )
            )
        if sync_problems:
            q = q.where(C.sync_state.in_(("conflict", "rejected", "revoked")))
        col = SORT_COLUMNS.get(sort, C.updated_at)
        q = q.order_by(col.desc() if descending else col.asc(), C.pk.desc() if descending else C.pk.asc())
        return q if limit is None else q.limit(limit)

    def _my_complaint(self) -> Any:
        """A complaint of the user's still waiting for its answer (``OPEN_STATUSES``): assigned to the user,
        or not assigned yet and about a customer the user keeps (the customers' list and its to-do)."""
        mine = (K.assignee == self.actor) | ((K.assignee == "") & (C.owner.is_(None) | (C.owner == self.actor)))
        return and_(K.customer_id == C.id, K.status.in_(OPEN_STATUSES), K.deadline != "", mine)

    def _my_plan(self) -> Any:
        """An open visit plan (app.validation.service) of a customer the user keeps (the to-do list)."""
        mine = C.owner.is_(None) | (C.owner == self.actor)
        return and_(P.customer_id == C.id, P.kind == "plan", P.status == "open", mine)

    def rows(self, pks: Sequence[int]) -> list[CustomerRow]:
        """List rows for ``pks``, in that order (the table model asks for one window at a time)."""
        due = select(func.min(K.deadline)).where(self._my_complaint()).correlate(schema.customer).scalar_subquery()
        plan = select(func.min(P.on_date)).where(self._my_plan()).correlate(schema.customer).scalar_subquery()
        cols = [
            C.pk,
            C.id,
            C.code,
            C.code_official,
            C.shop_name,
            C.contact_name,
            C.phone,
            C.address,
            C.status,
            C.completeness,
            C.last_visit,
            C.updated_at,
            C.missing_count,
            C.error_count,
            C.binding_date,
            C.last_quarterly_check,
            C.last_static_review,
            C.created_at,
            C.sync_state,
            C.owner,
            C.closed,
            due,
            plan,
        ]
        with self.reading() as c:
            found = {r[0]: r for r in c.execute(select(*cols).where(C.pk.in_(list(pks)))).all()}
        return [
            CustomerRow(
                r[0],
                r[1],
                r[2],
                bool(r[3]),
                r[4],
                r[5],
                r[6],
                r[7],
                CustomerStatus(r[8]),
                r[9],
                r[10],
                r[11],
                r[12],
                r[13],
                r[14],
                r[15],
                r[16],
                r[17],
                r[18],
                r[19],
                bool(r[20]),
                r[21],
                r[22],
            )
            for pk in pks
            if (r := found.get(pk)) is not None
        ]

    def pending_rows(self) -> list[dict[str, Any]]:
        """What the review queue lists: every live pending customer, with its review round."""
        cols = [
            C.id,
            C.code,
            C.code_official,
            C.shop_name,
            C.contact_name,
            C.owner,
            C.review,
            C.binding_date,
            C.warning_count,
            C.error_count,
            C.missing_count,
            C.updated_at,
            C.sync_state,
            C.approved_data.is_not(None).label("is_change"),
        ]
        with self.reading() as c:
            rows = c.execute(
                select(*cols).where(C.status == CustomerStatus.PENDING.value, C.deleted_at.is_(None))
            ).mappings()
            return [
                {**r, "review": json.loads(r["review"]) if r["review"] else {}, "is_change": bool(r["is_change"])}
                for r in rows
            ]

    def mark_checked(self, ids: Sequence[str], kind: str, day: str, prov: Provenance) -> int:
        """Record a quarterly check or a review of the static information (§3.5) on these customers."""
        col = {"quarterly": "last_quarterly_check", "static": "last_static_review"}[kind]
        with self.transaction() as tx:
            rows = tx.execute(select(C.id, getattr(C, col)).where(C.id.in_(list(ids)), C.deleted_at.is_(None))).all()
            if rows:
                tx.execute(schema.customer.update().where(C.id.in_([r[0] for r in rows])).values({col: day}))
                self.arc.audit.append(tx, prov, [("customer", cid, "check", col, old, day) for cid, old in rows])
                for cid, _old in rows:  # the server keeps them for the monthly report's overdue list
                    self.arc.outbox.queue(tx, "customer.check", cid, {"check": {"kind": kind, "day": day}})
            return len(rows)

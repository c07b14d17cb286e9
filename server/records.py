"""Customer records as the server holds them, and the unit of work that writes a batch in bulk.

A push loads every record it names once (locked ``FOR UPDATE`` on PostgreSQL, in id order so two
batches cannot deadlock), changes them in memory mutation by mutation, and writes everything with
a few ``executemany`` statements at the end: new rows, changed rows, the version chain, decisions,
visits, photo references, stored mutation results, and the feed entries numbered at commit.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update

from app.models.catalogue import FormDefinition
from app.models.wire import canonical_json
from app.validation.compiled import compiled
from server import completeness, onboarding, outbound
from server.accounts import User
from server.config import CHINA_TZ, iso
from server.db import FeedEntry, Tx, bulk_insert
from server.schema import (
    customer_checks,
    customer_versions,
    customers,
    mutations,
    photo_refs,
    photos,
    review_decisions,
    visits,
)
from server.scope import Directory, visible_clause
from server.secrecy import View, view_of


def dumps(obj: Any) -> str:
    return canonical_json(obj).decode("utf-8")


@dataclass
class Rec:
    id: str
    version: int
    status: str
    code: str | None
    code_official: bool
    form_version: int
    values: dict[str, Any]
    approved_values: dict[str, Any] | None
    field_versions: dict[str, int]
    review: dict[str, Any] | None
    missing_photos: list[str]
    owner_id: int
    created_by_id: int
    deleted: bool
    created_at: float
    updated_at: float
    is_new: bool = False
    dirty: bool = False
    updated_by_id: int | None = None  # who made this version (read with the feed's page; set by ``touch``)
    provisional_code: str | None = None  # the code the collector's laptop shows until approval
    closure: dict[str, Any] | None = None  # the last close or reopen (销户): state, day, reason, by, by_name, at
    closed_at: float | None = None  # set while closed (the retention runs from it)
    # the completeness columns as stored (server.completeness) and the values they were computed from
    stamp: dict[str, Any] | None = None
    stamped_data: str | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def field_version(self, key: str) -> int:
        """The version that last changed ``key``. A new record's fields are not listed (they are all
        version 1: one fewer JSON object of every field per new customer), nor are fields never set (0)."""
        v = self.field_versions.get(key)
        return v if v is not None else (1 if key in self.values else 0)

    @classmethod
    def from_row(cls, r: Any) -> Rec:
        return cls(
            r.id,
            r.version,
            r.status,
            r.code,
            bool(r.code_official),
            r.form_version,
            json.loads(r.data),
            json.loads(r.approved_data) if r.approved_data else None,
            json.loads(r.field_versions),
            json.loads(r.review) if r.review else None,
            json.loads(r.missing_photos),
            r.owner_id,
            r.created_by_id,
            bool(r.deleted),
            r.created_at,
            r.updated_at,
            updated_by_id=r._mapping.get("v_actor_id"),
            provisional_code=r._mapping.get("provisional_code"),
            closure=json.loads(c) if (c := r._mapping.get("closure")) else None,
            closed_at=r._mapping.get("closed_at"),
            stamp=_stamp_of(r._mapping),
            stamped_data=r.data,
        )

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "status": self.status,
            "code": self.code,
            "code_official": self.code_official,
            "form_version": self.form_version,
            "data": dumps(self.values),
            "approved_data": dumps(self.approved_values) if self.approved_values is not None else None,
            "field_versions": dumps(self.field_versions),
            "review": dumps(self.review) if self.review else None,
            "missing_photos": dumps(self.missing_photos) if self.missing_photos else "[]",
            "owner_id": self.owner_id,
            "created_by_id": self.created_by_id,
            "deleted": self.deleted,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "provisional_code": self.provisional_code,
            "closure": dumps(self.closure) if self.closure else None,
            "closed_at": self.closed_at,
            "licence_no": number[:40] if isinstance(number := self.values.get("licence_no"), str) else None,
        }

    def to_wire(self, d: Directory, view: View) -> dict[str, Any]:
        """The protocol's ``Record`` as ``view``'s caller may see it (values they may not see are placeholders:
        server.secrecy). ``updated_by`` (who made this version) and ``people`` (the display
        name of each account the record names) were added later: older clients ignore them."""
        gone = view.hidden(self.owner_id, self.created_by_id, self.values, d)
        people = {}
        for uid in (self.owner_id, self.created_by_id, self.updated_by_id):
            user = d.get(uid) if uid is not None else None
            if user is not None:
                people[user.name] = user.display_name or user.name
        return {
            "id": self.id,
            "version": self.version,
            "status": self.status,
            "code": self.code,
            "code_official": self.code_official,
            "values": view.apply(gone, self.values),
            "approved_values": view.apply(gone, self.approved_values) if self.approved_values is not None else None,
            "owner": d.name(self.owner_id),
            "created_by": d.name(self.created_by_id),
            "updated_at": iso(self.updated_at),
            "review": dict(self.review) if self.review else None,
            "missing_photos": list(self.missing_photos),
            "deleted": self.deleted,
            "updated_by": d.name(self.updated_by_id),
            "people": people,
            "provisional_code": None if self.code_official else self.provisional_code,
            "closure": dict(self.closure) if self.closure else None,
        }


def _stamp_of(m: Any) -> dict[str, Any] | None:
    """The completeness columns of a row that has them all (a row read with ``select(customers)``)."""
    if m.get("cmp_form") is None or any(k not in m for k in completeness.STAMP_KEYS):
        return None
    return {k: m[k] for k in completeness.STAMP_KEYS}


def photo_refs_of(form: FormDefinition, values: dict[str, Any]) -> list[str]:
    keys = compiled(form).photo_keys
    out: list[str] = []
    for key in keys:
        if key in values:
            for ref in values.get(key) or []:
                if ref not in out:
                    out.append(ref)
    return out


# Built once: each push reads the customers it changes (locked on PostgreSQL: two pushes to one customer
# take turns).
_LOAD = select(customers).where(customers.c.id.in_(bindparam("ids", expanding=True))).order_by(customers.c.id)
_LOAD_LOCKED = _LOAD.with_for_update()


@dataclass
class UnitOfWork:
    """One push (or admin command): the records it touches and the rows it will write."""

    tx: Tx
    user: User
    form: FormDefinition
    directory: Directory
    now: float = field(default_factory=time.time)
    records: dict[str, Rec] = field(default_factory=dict)
    versions: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    visit_rows: list[dict[str, Any]] = field(default_factory=list)
    check_rows: list[dict[str, Any]] = field(default_factory=list)
    mutation_rows: list[dict[str, Any]] = field(default_factory=list)
    refs: dict[str, set[str]] = field(default_factory=dict)  # record id -> photo hashes to reference
    known_photos: dict[str, bool] = field(default_factory=dict)
    codes_given: set[str] = field(default_factory=set)
    # record id -> (approved values, approved?) as read: the outbound feed's "before" (server/outbound.py)
    published: dict[str, tuple[dict[str, Any] | None, bool]] = field(default_factory=dict)
    seen: View | None = None  # the caller's view of values (server.secrecy), made when first needed
    # where new licensees come from: their onboarding cases say so (server/onboarding.py)
    onboarding_source: str = "collector"
    # record id -> when the licence system had the licensee (server/inbound_licences.py): its case's clock
    licence_issued: dict[str, float] = field(default_factory=dict)

    today: dt.date = dt.date.min

    def __post_init__(self) -> None:
        """Dates are checked against the date in China (UTC+8), where every client is."""
        self.today = dt.datetime.fromtimestamp(self.now, CHINA_TZ).date()

    @property
    def iso_now(self) -> str:
        return iso(self.now)

    @property
    def view(self) -> View:
        """What the caller may see of the records' values (server.secrecy)."""
        if self.seen is None:
            self.seen = view_of(self.tx.conn, self.user, self.form)
        return self.seen

    def load(self, ids: Iterable[str]) -> None:
        wanted = sorted(set(ids) - set(self.records))
        q = _LOAD_LOCKED if self.tx.db.is_postgres else _LOAD
        for i in range(0, len(wanted), 500):
            for row in self.tx.conn.execute(q, {"ids": wanted[i : i + 500]}).all():
                rec = self.records[row.id] = Rec.from_row(row)
                self.published[rec.id] = (outbound.approved_view(rec), rec.status == "approved" and not rec.deleted)

    def load_photos(self, hashes: Iterable[str]) -> None:
        known = self.known_photos
        wanted = sorted({h for h in hashes if h not in known})  # not a set of every photo known so far, per record
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            have = {r.sha256 for r in self.tx.conn.execute(select(photos.c.sha256).where(photos.c.sha256.in_(chunk)))}
            self.known_photos.update({h: h in have for h in chunk})

    def missing(self, hashes: Iterable[str]) -> list[str]:
        hashes = list(hashes)
        self.load_photos(hashes)
        return [h for h in hashes if not self.known_photos[h]]

    def new_record(self, rid: str, owner: User) -> Rec:
        rec = Rec(
            rid,
            0,
            "draft",
            None,
            False,
            self.form.version,
            {},
            None,
            {},
            None,
            [],
            owner.id,
            owner.id,
            False,
            self.now,
            self.now,
            is_new=True,
        )
        self.records[rid] = rec
        return rec

    def touch(
        self,
        rec: Rec,
        kind: str,
        changes: dict[str, Any],
        mutation_id: str | None,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        """A new version of ``rec``, chained to the previous one."""
        prev = rec.version
        rec.version += 1
        rec.updated_at = self.now
        rec.updated_by_id = self.user.id
        rec.form_version = self.form.version
        rec.dirty = True
        self.versions.append(
            {
                "record_id": rec.id,
                "version": rec.version,
                "prev_version": prev,
                "kind": kind,
                "changes": dumps(changes),
                "status": rec.status,
                "actor_id": self.user.id,
                "mutation_id": mutation_id,
                "provenance": dumps(provenance) if provenance else None,
                "at": self.now,
            }
        )

    def refresh_photos(self, rec: Rec) -> None:
        refs = photo_refs_of(self.form, rec.values)
        self.refs.setdefault(rec.id, set()).update(refs)
        rec.missing_photos = self.missing(refs)

    def visit_ids(self) -> set[str]:
        return {v["id"] for v in self.visit_rows}

    def visit_exists(self, vid: str) -> bool:
        return self.tx.conn.execute(select(visits.c.id).where(visits.c.id == vid)).first() is not None

    def add_visit(self, rec: Rec, body: dict[str, Any]) -> None:
        self.visit_rows.append(
            {
                "id": body["id"],
                "customer_id": rec.id,
                "data": dumps(body),
                "created_by_id": self.user.id,
                "created_at": self.now,
                "visited_on": body["visited_on"],
            }
        )
        self.refs.setdefault(rec.id, set()).update(body["photos"])

    def flush(self) -> None:
        """Write everything in bulk; the feed entries are numbered afterwards, at commit."""
        conn = self.tx.conn
        new = [self._row(r) for r in self.records.values() if r.dirty and r.is_new]
        changed = [self._row(r) for r in self.records.values() if r.dirty and not r.is_new]
        if new:
            bulk_insert(conn, customers, new)
            drafts = [r["id"] for r in new if r["status"] == "draft" and not r["deleted"]]
            onboarding.open_new(self.tx, drafts, self.onboarding_source, self.now, self.user.id, self.licence_issued)
        if changed:
            cols = [c.name for c in customers.columns if c.name != "id"]
            stmt = update(customers).where(customers.c.id == bindparam("b_id")).values({c: bindparam(c) for c in cols})
            conn.execute(stmt, [{**{c: r[c] for c in cols}, "b_id": r["id"]} for r in changed])
        for table, rows in (
            (customer_versions, self.versions),
            (review_decisions, self.decisions),
            (visits, self.visit_rows),
            (customer_checks, self.check_rows),
            (mutations, self.mutation_rows),
        ):
            bulk_insert(conn, table, rows)
        self._write_refs()
        for r in self.records.values():
            if r.dirty:
                before, was_approved = self.published.get(r.id, (None, False))
                out = outbound.outbound_row(r, before, was_approved, self.now)
                if out is not None:
                    self.tx.add_outbound(out)
                    self.published[r.id] = (outbound.approved_view(r), r.status == "approved" and not r.deleted)
                self.tx.emit(
                    FeedEntry("record", r.id, fresh=r.is_new, owner_id=r.owner_id, created_by_id=r.created_by_id)
                )
                r.dirty = r.is_new = False

    def _row(self, rec: Rec) -> dict[str, Any]:
        """The row of ``rec`` with its completeness (``server.completeness``), computed again when its values,
        the form or the day's view of them may have changed since it was stored."""
        row = rec.to_row()
        held = rec.stamp
        if (
            held is None
            or row["data"] != rec.stamped_data
            or held["cmp_form"] != self.form.version
            or held["cmp_dated"]
            or held["cmp_day"] > self.today.isoformat()
        ):
            rec.stamp = held = completeness.stamp(self.form, rec.values, self.today)
            rec.stamped_data = row["data"]
        row.update(held)
        return row

    def _write_refs(self) -> None:
        pairs = {(h, rid) for rid, hs in self.refs.items() for h in hs}
        if not pairs:
            return
        rids = sorted({rid for _, rid in pairs})
        have: set[tuple[str, str]] = set()
        for i in range(0, len(rids), 500):
            q = select(photo_refs.c.sha256, photo_refs.c.record_id).where(photo_refs.c.record_id.in_(rids[i : i + 500]))
            have.update((r.sha256, r.record_id) for r in self.tx.conn.execute(q))
        todo = sorted(pairs - have)
        if todo:
            self.tx.conn.execute(insert(photo_refs), [{"sha256": h, "record_id": rid} for h, rid in todo])
        self.refs.clear()


def mark_photo_present(tx: Tx, sha: str, uploader: User) -> None:
    """A completed upload: records the uploader may see that were waiting for this photo no longer
    list it as missing. Others keep waiting for their own upload: sending a photo never opens it to
    a customer its sender cannot see (whose record may have named its hash in advance)."""
    q = (
        select(customers)
        .join(photo_refs, and_(photo_refs.c.record_id == customers.c.id, photo_refs.c.sha256 == sha))
        .where(visible_clause(uploader))
        .order_by(customers.c.id)
    )
    if tx.db.is_postgres:
        q = q.with_for_update(of=customers)
    for row in tx.conn.execute(q).all():
        missing = json.loads(row.missing_photos)
        if sha in missing:
            missing.remove(sha)
            tx.conn.execute(
                update(customers)
                .where(customers.c.id == row.id)
                .values(missing_photos=dumps(missing), updated_at=time.time())
            )
            tx.emit(FeedEntry("record", row.id, owner_id=row.owner_id, created_by_id=row.created_by_id))

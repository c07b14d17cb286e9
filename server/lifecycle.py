"""The end of a record's life: retention and destruction (docs/domain.md, "The archive's lifecycle").

A customer that was closed (销户, ``customers.closed_at``) or deleted is kept for the deployment's
retention period of its class (``Settings.retention_closed_days`` / ``retention_deleted_days``); after
that it is *due* for destruction (``due``). Destruction is never automatic: an admin approves it
(``destroy``, through ``server.administration.destroy_records``, which writes the admin log). It removes
the record's values on the server — the customer row, its versions, review decisions, checks, visits,
credit ratings, purchase figures, stored push answers, feed rows and the photos nothing else refers to —
and writes one ``destructions`` row without any personal value. Its integrity entries, complaints, signatures,
service records and outbound changes go too, the webhook batches formed before keep no value of it
(``server.outbound_purge.redact_records``), and the uploaded audit entries about it (and its visits and
entries) are redacted: values and salts removed, the chain's digest kept (``redact_audit``,
app.models.audit_chain). A feed row of kind ``erase`` tells every
client to erase the record and its photos from its archive at its next sync.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.engine import Connection

from app.models.audit_chain import redacted
from server.config import Settings, iso
from server.db import FeedEntry, Tx
from server.outbound_purge import redact_records
from server.schema import (
    audit_entries,
    complaint_steps,
    complaints,
    credit_ratings,
    customer_checks,
    customer_versions,
    customers,
    destructions,
    feed,
    mutations,
    photo_refs,
    photo_uploads,
    photos,
    purchases,
    review_decisions,
    service_records,
    signatures,
    upload_chunks,
    users,
    visits,
)
from server.schema import integrity_entries as integrity
from server.schema_admin import destroyed_ids
from server.schema_integrations import outbound_changes
from server.schema_onboarding import case_notices, change_items, onboarding_case_steps, onboarding_cases

DAY = 86400.0


class LifecycleError(ValueError):
    """A destruction refused (one English line naming the record and why)."""


@dataclass(frozen=True)
class Due:
    """A record past its retention: its class, since when, and the period that applies."""

    record_id: str
    code: str | None
    record_class: str  # closed | deleted
    since: float
    retention_days: int

    def as_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "code": self.code,
            "class": self.record_class,
            "since": iso(self.since),
            "retention_days": self.retention_days,
            "due_since": iso(self.since + self.retention_days * DAY),
        }


def retention(settings: Settings) -> dict[str, int]:
    """The retention period of each record class, in days."""
    return {"closed": settings.retention_closed_days, "deleted": settings.retention_deleted_days}


def _classify(row: Any, settings: Settings) -> tuple[str, float, int] | None:
    """A customer row's retention class, since when it runs and its period (None: an open, live record)."""
    if row.deleted:
        return "deleted", float(row.updated_at), settings.retention_deleted_days
    if row.closed_at is not None:
        return "closed", float(row.closed_at), settings.retention_closed_days
    return None


def due(conn: Connection, settings: Settings, now: float | None = None) -> list[Due]:
    """Every record whose retention has ended, the longest overdue first."""
    now = time.time() if now is None else now
    c = customers.c
    rows = conn.execute(
        select(c.id, c.code, c.deleted, c.closed_at, c.updated_at).where(
            or_(
                (c.deleted.is_(True)) & (c.updated_at <= now - settings.retention_deleted_days * DAY),
                (c.deleted.is_(False)) & (c.closed_at <= now - settings.retention_closed_days * DAY),
            )
        )
    ).all()
    out = []
    for r in rows:
        kind = _classify(r, settings)
        if kind is not None:
            out.append(Due(r.id, r.code, kind[0], kind[1], kind[2]))
    return sorted(out, key=lambda d: (d.since + d.retention_days * DAY, d.record_id))


def _approver(conn: Connection, name: str) -> str:
    row = conn.execute(select(users.c.name, users.c.role, users.c.disabled).where(users.c.name == name)).first()
    if row is None or row.role != "admin" or row.disabled:
        raise LifecycleError(f"{name!r} is not an enabled admin account: only an admin approves a destruction")
    return str(row.name)


def destroy(
    tx: Tx,
    settings: Settings,
    record_ids: list[str],
    approved_by: str,
    reason: str,
    now: float | None = None,
    backups: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Destroy the named records, all or none: each must be past its retention. Returns, per record, what
    was removed (counts only) and ``kept_in_backups``: ``backups``, the names of the backups made before,
    which still hold it until their rotation (recorded in the ``destructions`` row too)."""
    now = time.time() if now is None else now
    conn = tx.conn
    reason = reason.strip()
    if not reason:
        raise LifecycleError("say why the records are destroyed (the procedure's reference or decision)")
    if not record_ids:
        raise LifecycleError("name at least one record to destroy")
    approver = _approver(conn, approved_by)
    c = customers.c
    q = select(c.id, c.deleted, c.closed_at, c.updated_at).where(c.id.in_(sorted(set(record_ids)))).order_by(c.id)
    if tx.db.is_postgres:
        q = q.with_for_update()
    rows = {r.id: r for r in conn.execute(q).all()}
    plan = []
    for rid in dict.fromkeys(record_ids):
        row = rows.get(rid)
        if row is None:
            raise LifecycleError(f"there is no customer {rid} (destroyed already?)")
        kind = _classify(row, settings)
        if kind is None:
            raise LifecycleError(f"customer {rid} is neither closed nor deleted: it is not due for destruction")
        if kind[1] + kind[2] * DAY > now:
            raise LifecycleError(
                f"customer {rid} is kept until {iso(kind[1] + kind[2] * DAY)[:10]} ({kind[0]}, {kind[2]} days)"
            )
        plan.append((rid, kind))
    # the webhook batches formed before keep the values until the outbound retention: redacted now, in one
    # scan of the kept batches for up to 200 records
    batches = redact_records(conn, [rid for rid, _kind in plan])
    out = []
    for rid, (record_class, since, days) in plan:
        removed = _remove(conn, rid)
        removed["webhook_batches"] = batches[rid]
        removed["kept_in_backups"] = list(backups)
        destruction = conn.execute(
            insert(destructions)
            .values(
                record_id=rid,
                record_class=record_class,
                since=since,
                retention_days=days,
                approved_by=approver,
                reason=reason,
                at=now,
                removed=json.dumps(removed, sort_keys=True),
            )
            .returning(destructions.c.id)
        ).scalar_one()
        named = sorted({rid, *removed["entries"]})
        conn.execute(insert(destroyed_ids), [{"id": i, "destruction_id": destruction} for i in named])
        tx.emit(FeedEntry("erase", rid))
        counts = {k: v for k, v in removed.items() if k not in ("entries", "kept_in_backups")}
        out.append({"record_id": rid, "class": record_class, "removed": counts, "kept_in_backups": list(backups)})
    return out


def _remove(conn: Connection, rid: str) -> dict[str, Any]:
    """Delete every row that holds the record's values; returns how many of each kind went."""
    shas = set(conn.execute(select(photo_refs.c.sha256).where(photo_refs.c.record_id == rid)).scalars())
    for data in conn.execute(select(visits.c.data).where(visits.c.customer_id == rid)).scalars():
        shas.update(json.loads(data).get("photos") or [])
    cases = select(onboarding_cases.c.id).where(onboarding_cases.c.record_id == rid)
    removed: dict[str, Any] = {}
    related = _related(conn, rid)
    for (data,) in conn.execute(select(integrity.c.photos).where(integrity.c.record_id == rid)):
        shas.update(json.loads(data or "[]"))
    shas.update(conn.execute(select(signatures.c.image).where(signatures.c.record_id == rid)).scalars())
    complaint_ids = select(complaints.c.id).where(complaints.c.record_id == rid)
    for name, stmt in (
        ("photo_refs", delete(photo_refs).where(photo_refs.c.record_id == rid)),
        ("visits", delete(visits).where(visits.c.customer_id == rid)),
        ("checks", delete(customer_checks).where(customer_checks.c.record_id == rid)),
        ("decisions", delete(review_decisions).where(review_decisions.c.record_id == rid)),
        ("credit_ratings", delete(credit_ratings).where(credit_ratings.c.record_id == rid)),
        ("purchases", delete(purchases).where(purchases.c.record_id == rid)),
        # its integrity archive, complaints, signatures and service records (issue 18)
        ("integrity_entries", delete(integrity).where(integrity.c.record_id == rid)),
        ("complaint_steps", delete(complaint_steps).where(complaint_steps.c.complaint_id.in_(complaint_ids))),
        ("complaints", delete(complaints).where(complaints.c.record_id == rid)),
        ("signatures", delete(signatures).where(signatures.c.record_id == rid)),
        ("service_records", delete(service_records).where(service_records.c.record_id == rid)),
        # the approved values the outbound feed kept for other systems
        ("outbound_changes", delete(outbound_changes).where(outbound_changes.c.record_id == rid)),
        ("versions", delete(customer_versions).where(customer_versions.c.record_id == rid)),
        # its onboarding cases and change requests (their notes may name the outlet's people), steps first
        ("case_notices", delete(case_notices).where(case_notices.c.case_id.in_(cases))),
        ("change_items", delete(change_items).where(change_items.c.case_id.in_(cases))),
        ("change_items_other", delete(change_items).where(change_items.c.record_id == rid)),
        ("onboarding_steps", delete(onboarding_case_steps).where(onboarding_case_steps.c.case_id.in_(cases))),
        ("onboarding_cases", delete(onboarding_cases).where(onboarding_cases.c.record_id == rid)),
        # the stored answers to its mutations hold its values (each names the record's id)
        ("mutations", delete(mutations).where(mutations.c.result.contains(rid))),
        ("feed", delete(feed).where(feed.c.record_id == rid)),
        ("customers", delete(customers).where(customers.c.id == rid)),
    ):
        removed[name] = int(conn.execute(stmt).rowcount or 0)
    removed["photos"] = _orphan_photos(conn, sorted(shas))
    removed["audit_redacted"] = redact_audit(conn, [rid, *related])
    removed["entries"] = sorted(related)  # ids only: why ``audit verify`` accepts their redacted entries
    return removed


def _related(conn: Connection, rid: str) -> set[str]:
    """The ids of the record's visits and entries: the clients' audit entries about them name these."""
    out: set[str] = set()
    for col, key in (
        (visits.c.id, visits.c.customer_id),
        (integrity.c.id, integrity.c.record_id),
        (complaints.c.id, complaints.c.record_id),
        (signatures.c.id, signatures.c.record_id),
        (service_records.c.id, service_records.c.record_id),
    ):
        out.update(str(x) for x in conn.execute(select(col).where(key == rid)).scalars())
    return out


def redact_audit(conn: Connection, entity_ids: list[str]) -> int:
    """Remove the values (and salts) of the uploaded audit entries about ``entity_ids``; each keeps its
    ``vd`` (or is marked a redacted legacy entry), so the chain still verifies (app.models.audit_chain)."""
    A = audit_entries.c
    done = 0
    ids = sorted(set(entity_ids))
    for i in range(0, len(ids), 500):
        rows = conn.execute(
            select(A.id, A.vd).where(
                A.entity_id.in_(ids[i : i + 500]), A.old.is_not(None) | A.new.is_not(None) | A.salt.is_not(None)
            )
        ).all()
        for r in rows:
            conn.execute(audit_entries.update().where(A.id == r.id).values(**redacted({"vd": r.vd})))
            done += 1
    return done


def destroyed_among(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` that a destruction removed: a record's id, or one of its visits' and entries'
    (their audit entries stay redacted). Looked up by key, 500 at a time: never every destruction."""
    wanted = sorted(set(ids))
    out: set[str] = set()
    for i in range(0, len(wanted), 500):
        out.update(
            conn.execute(select(destroyed_ids.c.id).where(destroyed_ids.c.id.in_(wanted[i : i + 500]))).scalars()
        )
    return out


def _orphan_photos(conn: Connection, shas: list[str]) -> int:
    """Delete the photos of ``shas`` that no other customer or visit refers to (a photo is stored once)."""
    gone = 0
    for sha in shas:
        if conn.execute(select(func.count()).select_from(photo_refs).where(photo_refs.c.sha256 == sha)).scalar():
            continue
        if conn.execute(select(visits.c.id).where(visits.c.data.contains(sha)).limit(1)).first() is not None:
            continue
        conn.execute(delete(photo_uploads).where(photo_uploads.c.sha256 == sha))
        conn.execute(delete(upload_chunks).where(upload_chunks.c.sha256 == sha))
        gone += int(conn.execute(delete(photos).where(photos.c.sha256 == sha)).rowcount or 0)
    return gone


def destruction_rows(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    """The destructions, newest first (no personal values: ids, classes, dates, approver, reason, counts)."""
    rows = conn.execute(select(destructions).order_by(destructions.c.id.desc()).limit(limit)).all()
    return [
        {
            "record_id": r.record_id,
            "class": r.record_class,
            "since": iso(r.since),
            "retention_days": r.retention_days,
            "approved_by": r.approved_by,
            "reason": r.reason,
            "at": iso(r.at),
            "removed": {k: v for k, v in json.loads(r.removed).items() if k not in ("entries", "kept_in_backups")},
            # the backups made before it, which still hold the record until their rotation (docs/deploy.md)
            "kept_in_backups": json.loads(r.removed).get("kept_in_backups", []),
        }
        for r in rows
    ]

"""``GET /sync/pull``: the change feed, in commit order, filtered by the caller's scope.

The feed holds one row per record (older rows of a record are deleted when a newer one is
written), one ``revoke`` row per user who lost sight of a record, and one row per published form.
A page reads the counter first and then only rows up to it, inside one snapshot, so what it
returns is complete up to the cursor it hands back. Records are sent in their latest state.
Tombstones (deleted records) older than the retention period are purged; the highest number
purged is the horizon, and a cursor below it gets ``410 gone``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, true, union_all, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from app.models.wire import ErrorCode, UserRole
from server import covers
from server.accounts import Caller, User, covered_by
from server.config import Settings, iso
from server.db import Database, Tx
from server.errors import ApiError
from server.forms import definition
from server.integrity import files
from server.records import Rec
from server.schema import customer_versions, customers, feed, feed_counter
from server.scope import Directory, is_admin
from server.secrecy import View, view_of
from server.service import of_records as service_of
from server.signatures import of_records, signed_view


def pull(db: Database, caller: Caller, cursor: int, limit: int, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    # An AB post's start or end passed: its records' rows are written first (server/covers.py), then the page
    # is read again. Looked at in the page's own transaction: nearly always nothing is due, and a transaction
    # of its own cost each pull a round of the pool, BEGIN and COMMIT.
    with db.read() as conn:
        if not covers.due(conn, now):
            return _page(conn, caller, cursor, limit, now)
    covers.settle(db, now)
    with db.read() as conn:
        return _page(conn, caller, cursor, limit, now)


def _page(conn: Connection, caller: Caller, cursor: int, limit: int, now: float) -> dict[str, Any]:
    user = caller.user
    if user.role != UserRole.VIEWER.value and caller.machine is None:
        user = replace(user, covering=covered_by(conn, user.id, now))
    counter = conn.execute(select(feed_counter).where(feed_counter.c.id == 1)).one()
    if (0 < cursor < counter.horizon) or cursor > counter.seq:
        raise ApiError(
            410,
            ErrorCode.GONE,
            "The cursor is older than the tombstone horizon (or unknown to this server): rebuild from cursor 0.",
            extra={"horizon": counter.horizon},
        )
    rows = conn.execute(page_query(user, cursor, counter.seq, limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    directory = Directory.lazy(conn, user)
    directory.want(i for r in rows if r.f_kind == "record" for i in (r.owner_id, r.created_by_id, r.v_actor_id))
    latest = _latest_per_record(rows)
    rids = [r.f_record_id for r in latest if r.f_kind == "record" and r.id is not None]
    held, signed = files(conn, rids, directory), of_records(conn, rids, directory)
    served = service_of(conn, rids, directory)
    view = view_of(conn, user)
    changes = [_change(conn, r, directory, held, signed, served, view) for r in latest]
    return {
        "changes": changes,
        "cursor": rows[-1].f_seq if more else counter.seq,
        "more": more,
        "server_time": iso(time.time()),
        "epoch": counter.epoch,
    }


def epoch(conn: Any) -> str | None:
    """The database's epoch (``feed_counter.epoch``): a restore gives it a new one."""
    value: str | None = conn.execute(select(feed_counter.c.epoch).where(feed_counter.c.id == 1)).scalar()
    return value


def page_query(user: User, cursor: int, top: int, limit: int) -> Select[Any]:
    """The caller's feed rows after ``cursor`` up to ``top``, in feed order, with their customers' rows.

    A feed row is the caller's when it is addressed to everyone or to them, and, for a record, when the
    record is in their scope (``server.scope.visible_clause``), read from the scope the row carries (owner,
    creator, team: kept current, server.schema.feed). The rows are found by :func:`_branches`, each an index
    walked in feed order and stopped after ``limit`` rows: a page reads at most ``limit`` rows per branch,
    whatever the caller's whole feed holds, and joins only the page's rows to their customers. The admin
    reads the feed in order."""
    audience = or_(feed.c.audience_id.is_(None), feed.c.audience_id == user.id)
    window = and_(feed.c.seq > cursor, feed.c.seq <= top)
    head = (feed.c.seq, feed.c.kind, feed.c.record_id, feed.c.form_version)
    if is_admin(user):
        page = select(*head).where(window, audience).order_by(feed.c.seq).limit(limit).subquery("page")
    else:
        parts = [select(*head).where(window, b).order_by(feed.c.seq).limit(limit).subquery() for b in _branches(user)]
        merged = union_all(*(select(p) for p in parts)).subquery("mine")
        page = select(merged).order_by(merged.c.seq).limit(limit).subquery("page")
    return (
        select(
            page.c.seq.label("f_seq"),
            page.c.kind.label("f_kind"),
            page.c.record_id.label("f_record_id"),
            page.c.form_version.label("f_form_version"),
            customers,
            customer_versions.c.actor_id.label("v_actor_id"),  # who made the version sent (by primary key)
        )
        .select_from(
            page.outerjoin(customers, customers.c.id == page.c.record_id).outerjoin(
                customer_versions,
                and_(
                    customer_versions.c.record_id == customers.c.id, customer_versions.c.version == customers.c.version
                ),
            )
        )
        .order_by(page.c.seq)
    )


def _branches(user: User) -> list[ColumnElement[bool]]:
    """The caller's feed rows as disjoint conditions, each led by the index it is walked by in feed order:
    records they own (``ix_feed_owner_seq``), created but do not own (``ix_feed_created_by_seq``, which
    holds only such records), of their
    team but neither (a supervisor: ``ix_feed_team_seq``); rows addressed to them (``ix_feed_audience_seq``)
    and to everyone (``ix_feed_everyone_seq``): a viewer reads only these two. Disjoint, so their union
    needs no de-duplication."""
    record = and_(feed.c.kind == "record", or_(feed.c.audience_id.is_(None), feed.c.audience_id == user.id))

    def other(col: Any) -> ColumnElement[bool]:
        return or_(col.is_(None), col != user.id)

    out = [
        and_(feed.c.owner_id == user.id, record),
        and_(feed.c.created_by_id == user.id, feed.c.owner_id.is_distinct_from(feed.c.created_by_id), record),
    ]
    if user.role == UserRole.VIEWER.value:  # a territory viewer pulls no customer (docs/domain.md, issue 17)
        out = []
    if user.role == UserRole.SUPERVISOR.value:
        out.append(and_(feed.c.team_id == user.id, other(feed.c.owner_id), other(feed.c.created_by_id), record))
    if user.covering and user.role != UserRole.VIEWER.value:  # an AB post: the records of those covered now,
        # unless another branch has them (created by the caller, or of a supervisor's own team)
        team = other(feed.c.team_id) if user.role == UserRole.SUPERVISOR.value else true()
        out.append(and_(feed.c.owner_id.in_(user.covering), other(feed.c.created_by_id), team, record))
    out.append(and_(feed.c.audience_id == user.id, feed.c.kind != "record"))
    out.append(and_(feed.c.audience_id.is_(None), feed.c.kind != "record"))
    return out


def _latest_per_record(rows: Sequence[Any]) -> list[Any]:
    """Within a page a record appears once: a revoke and a later record row leave only the later."""
    last: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r.f_record_id is not None:
            last[r.f_record_id] = i
    return [r for i, r in enumerate(rows) if r.f_record_id is None or last[r.f_record_id] == i]


def _change(
    conn: Any,
    r: Any,
    directory: Directory,
    held: dict[str, Any],
    signed: dict[str, list[dict[str, Any]]],
    served: dict[str, list[dict[str, Any]]],
    view: View,
) -> dict[str, Any]:
    """One change of a page; a record carries its integrity file (``held``: server.integrity.files), its
    signatures, each with the signed fields changed since (``signed``: server.signatures.of_records), and its
    service records (``served``: server.service.of_records)."""
    out: dict[str, Any] = {"seq": r.f_seq, "kind": r.f_kind, "record": None, "record_id": r.f_record_id, "form": None}
    if r.f_kind == "record":
        rec = Rec.from_row(r)
        out["record"] = rec.to_wire(directory, view)
        if r.f_record_id in held:
            out["record"]["integrity"] = held[r.f_record_id]
        if r.f_record_id in signed:
            out["record"]["signatures"] = signed_view(view, rec, directory, signed[r.f_record_id])
        if r.f_record_id in served:
            out["record"]["service"] = served[r.f_record_id]
    elif r.f_kind == "form":
        out["form"] = definition(conn, r.f_form_version)
    return out


def purge_tombstones(db: Database, settings: Settings, now: float | None = None) -> int:
    """Forget deleted records older than the retention period; returns how many feed rows went."""
    cutoff = (now or time.time()) - settings.tombstone_days * 86400

    def work(tx: Tx) -> int:
        old = select(customers.c.id).where(customers.c.deleted.is_(True), customers.c.updated_at < cutoff)
        top = tx.conn.execute(select(func.max(feed.c.seq)).where(feed.c.record_id.in_(old))).scalar()
        if top is None:
            return 0
        gone = tx.conn.execute(delete(feed).where(feed.c.record_id.in_(old))).rowcount
        tx.conn.execute(
            update(feed_counter).where(feed_counter.c.id == 1, feed_counter.c.horizon < top).values(horizon=top)
        )
        return int(gone)

    return db.write(work)

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

from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union,
    union_all,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import BindParameter

from app.models.wire import ErrorCode, UserRole
from server import covers
from server.accounts import Caller, User, covered_by
from server.config import Settings, iso
from server.db import Database, Tx
from server.errors import ApiError
from server.forms import definition, form_by_version
from server.integrity import files
from server.records import Rec
from server.schema import (
    complaints,
    customer_versions,
    customers,
    feed,
    feed_counter,
    forms,
    integrity_entries,
    service_records,
    signatures,
)
from server.schema_admin import departments, user_places
from server.scope import Directory
from server.secrecy import View
from server.service import of_records as service_of
from server.signatures import of_records, signed_view


def pull(db: Database, caller: Caller, cursor: int, limit: int, now: float | None = None) -> dict[str, Any]:
    """A page of the caller's feed. ``now``: the moment the AB posts are judged at (default: the clock)."""
    at = time.time() if now is None else now
    # An AB post's start or end passed: its records' rows are written first (server/covers.py), then the page
    # is read again. Looked at in the page's own first statement (``_CONTEXT``): nearly always nothing is due.
    with db.read() as conn:
        page = _page(conn, caller, cursor, limit, at, now)
        if page is not None:
            return page
    covers.settle(db, at)
    with db.read() as conn:
        settled = _page(conn, caller, cursor, limit, at, now, settled=True)
    assert settled is not None
    return settled


#: What a page needs to know before its rows, in one statement (each its own was a round trip and about
#: a twentieth of a pull of 30 changes): the feed counter, whether an AB post's edge is due
#: (``covers.due``), the form in force, and the caller's department (``secrecy.department_of``).
_CONTEXT = select(
    feed_counter.c.seq,
    feed_counter.c.horizon,
    feed_counter.c.epoch,
    exists(covers.due_query(bindparam("now", type_=Float))).label("due"),
    select(func.max(forms.c.version)).scalar_subquery().label("form_version"),
    select(departments.c.code)
    .select_from(user_places.join(departments, departments.c.id == user_places.c.department_id))
    .where(user_places.c.user_id == bindparam("me", type_=Integer))
    .scalar_subquery()
    .label("department"),
).where(feed_counter.c.id == 1)


def _page(
    conn: Connection,
    caller: Caller,
    cursor: int,
    limit: int,
    now: float,
    clock: float | None,
    settled: bool = False,
) -> dict[str, Any] | None:
    """The page, or None when an AB post's edge is due and not ``settled`` yet. The caller's AB posts are
    worked out after the counter is read, at ``clock`` (None: the time then): a post whose start another
    request recorded (and whose customers' rows it numbered) before that read is seen, so the cursor handed
    back never passes rows of a post the page did not read as the caller's."""
    user = caller.user
    counter = conn.execute(_CONTEXT, {"now": now, "me": user.id}).one()
    if counter.due and not settled:
        return None
    if user.role != UserRole.VIEWER.value and caller.machine is None:
        user = replace(user, covering=covered_by(conn, user.id, time.time() if clock is None else clock))
    if (0 < cursor < counter.horizon) or cursor > counter.seq:
        raise ApiError(
            410,
            ErrorCode.GONE,
            "The cursor is older than the tombstone horizon (or unknown to this server): rebuild from cursor 0.",
            extra={"horizon": counter.horizon},
        )
    rows = conn.execute(*page_statement(user, cursor, counter.seq, limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    directory = Directory.lazy(conn, user)
    directory.want(i for r in rows if r.f_kind == "record" for i in (r.owner_id, r.created_by_id, r.v_actor_id))
    latest = _latest_per_record(rows)
    rids = [r.f_record_id for r in latest if r.f_kind == "record" and r.id is not None]
    has = _attached(conn, rids)
    # every customer of the page gets its (maybe empty) file, signatures and service records; those with
    # none are not looked up (each reader reads nothing for an empty list)
    held: dict[str, Any] = {rid: {"entries": [], "complaints": []} for rid in rids}
    held.update(files(conn, has["integrity"], directory))
    signed: dict[str, list[dict[str, Any]]] = {rid: [] for rid in rids}
    signed.update(of_records(conn, has["signatures"], directory))
    served: dict[str, list[dict[str, Any]]] = {rid: [] for rid in rids}
    served.update(service_of(conn, has["service"], directory))
    view = View(user, form_by_version(conn, counter.form_version), counter.department)
    changes = [_change(conn, r, directory, held, signed, served, view) for r in latest]
    return {
        "changes": changes,
        "cursor": rows[-1].f_seq if more else counter.seq,
        "more": more,
        "server_time": iso(time.time()),
        "epoch": counter.epoch,
    }


_IDS: BindParameter[str] = bindparam("ids", expanding=True)
#: Which of a page's customers have integrity entries or complaints, signatures, service records: one
#: statement, so that a page whose customers have none of them (nearly every page) reads none of those
#: four tables again (each read was about a twentieth of a pull of 30 changes).
_ATTACHED = union(
    select(literal("integrity").label("what"), integrity_entries.c.record_id).where(
        integrity_entries.c.record_id.in_(_IDS)
    ),
    select(literal("integrity"), complaints.c.record_id).where(complaints.c.record_id.in_(_IDS)),
    select(literal("signatures"), signatures.c.record_id).where(signatures.c.record_id.in_(_IDS)),
    select(literal("service"), service_records.c.record_id).where(service_records.c.record_id.in_(_IDS)),
)
_ATTACHED_CHUNK = 200  # ids per statement: four times as many parameters on SQLite (at most 999 in old builds)


def _attached(conn: Connection, rids: Sequence[str]) -> dict[str, list[str]]:
    """The ids among ``rids`` that have integrity entries or complaints, signatures, service records."""
    found: dict[str, set[str]] = {"integrity": set(), "signatures": set(), "service": set()}
    for i in range(0, len(rids), _ATTACHED_CHUNK):
        for what, rid in conn.execute(_ATTACHED, {"ids": list(rids[i : i + _ATTACHED_CHUNK])}):
            found[what].add(rid)
    return {what: sorted(ids) for what, ids in found.items()}


def epoch(conn: Any) -> str | None:
    """The database's epoch (``feed_counter.epoch``): a restore gives it a new one."""
    value: str | None = conn.execute(select(feed_counter.c.epoch).where(feed_counter.c.id == 1)).scalar()
    return value


def page_query(user: User, cursor: int, top: int, limit: int) -> Select[Any]:
    """The caller's feed rows after ``cursor`` up to ``top``, in feed order, with their customers' rows
    (``page_statement`` with its values bound: for EXPLAIN and the tests; a pull executes the statement
    with its parameters)."""
    statement, params = page_statement(user, cursor, top, limit)
    return statement.params(**params)


def page_statement(user: User, cursor: int, top: int, limit: int) -> tuple[Select[Any], dict[str, Any]]:
    """The caller's page as a statement and its parameters.

    A feed row is the caller's when it is addressed to everyone or to them, and, for a record, when the
    record is in their scope (``server.scope.visible_clause``), read from the scope the row carries (owner,
    creator, team: kept current, server.schema.feed). The rows are found by :func:`_branches`, each an index
    walked in feed order and stopped after ``limit`` rows: a page reads at most ``limit`` rows per branch,
    whatever the caller's whole feed holds, and joins only the page's rows to their customers. The admin
    reads the feed in order.

    The statement depends only on the caller's shape (role, an AB post or not), and its values are bound
    parameters: one statement per shape is built per process (``_SHAPES``), as SQLAlchemy would compile it
    once anyway. Building it afresh, with the cache key SQLAlchemy then computes, was an eighth of a pull of
    30 changes. The SQL sent is the same text as before."""
    covering = bool(user.covering) and user.role != UserRole.VIEWER.value
    shape = (user.role, covering)
    statement = _SHAPES.get(shape)
    if statement is None:
        statement = _SHAPES[shape] = _page_shape(user.role, covering)
    params: dict[str, Any] = {"cursor": cursor, "top": top, "limit": limit, "me": user.id}
    if covering:
        params["covering"] = list(user.covering)
    return statement, params


_SHAPES: dict[tuple[str, bool], Select[Any]] = {}


def _page_shape(role: str, covering: bool) -> Select[Any]:
    me, limit = bindparam("me", type_=Integer), bindparam("limit", type_=Integer)
    audience = or_(feed.c.audience_id.is_(None), feed.c.audience_id == me)
    window = and_(
        feed.c.seq > bindparam("cursor", type_=feed.c.seq.type), feed.c.seq <= bindparam("top", type_=feed.c.seq.type)
    )
    head = (feed.c.seq, feed.c.kind, feed.c.record_id, feed.c.form_version)
    if role == UserRole.ADMIN.value:
        page = select(*head).where(window, audience).order_by(feed.c.seq).limit(limit).subquery("page")
    else:
        parts = [
            select(*head).where(window, b).order_by(feed.c.seq).limit(limit).subquery()
            for b in _branches(role, covering, me)
        ]
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


def _branches(role: str, covering: bool, me: Any) -> list[ColumnElement[bool]]:
    """The caller's feed rows as disjoint conditions, each led by the index it is walked by in feed order:
    records they own (``ix_feed_owner_seq``), created but do not own (``ix_feed_created_by_seq``, which
    holds only such records), of their
    team but neither (a supervisor: ``ix_feed_team_seq``); rows addressed to them (``ix_feed_audience_seq``)
    and to everyone (``ix_feed_everyone_seq``): a viewer reads only these two. Disjoint, so their union
    needs no de-duplication. ``me`` is the caller's id (a bound parameter); ``covering``: the caller holds
    an AB post now (the parameter ``covering`` lists whose customers)."""
    record = and_(feed.c.kind == "record", or_(feed.c.audience_id.is_(None), feed.c.audience_id == me))

    def other(col: Any) -> ColumnElement[bool]:
        return or_(col.is_(None), col != me)

    out = [
        and_(feed.c.owner_id == me, record),
        and_(feed.c.created_by_id == me, feed.c.owner_id.is_distinct_from(feed.c.created_by_id), record),
    ]
    if role == UserRole.VIEWER.value:  # a territory viewer pulls no customer (docs/domain.md, issue 17)
        out = []
    if role == UserRole.SUPERVISOR.value:
        out.append(and_(feed.c.team_id == me, other(feed.c.owner_id), other(feed.c.created_by_id), record))
    if covering and role != UserRole.VIEWER.value:  # an AB post: the records of those covered now,
        # unless another branch has them (created by the caller, or of a supervisor's own team)
        team = other(feed.c.team_id) if role == UserRole.SUPERVISOR.value else true()
        out.append(
            and_(
                feed.c.owner_id.in_(bindparam("covering", expanding=True, type_=Integer)),
                other(feed.c.created_by_id),
                team,
                record,
            )
        )
    out.append(and_(feed.c.audience_id == me, feed.c.kind != "record"))
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

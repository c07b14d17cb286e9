"""The outbound feed of approved changes (issue 19): what downstream systems (CRM, call centre, delivery
GIS, settlement) read with ``GET /api/v1/integrations/changes`` or receive by webhook (server/webhooks.py).

A customer's *approved values* are its values while it is approved, the copy kept while a change of it
waits for review (``approved_values``), and nothing before its first approval. Each transaction that
changes them writes one ``outbound_changes`` row per customer (:func:`outbound_row`, called by
``UnitOfWork.flush``): ``approved`` (first approved, or approved again after a change), ``changed``
(a system change to an approved customer: classification, credit, purchase figures) or ``deleted``
(an approved customer deleted). The row keeps the approved values as they were then, so a page or a
webhook batch read again says the same. A collector's change waiting for review writes nothing: it is
not approved yet.

Rows are numbered from the feed counter at commit (``server.db.Tx.number_feed``), so in commit order,
and a page reads the counter first and then only rows up to it in one snapshot, as the client feed
(server/feed.py) does: no change is skipped or repeated across pages, also while others commit. Rows
are purged after the deployment's retention (server/outbound_purge.py; a cursor below the purged ones is
``410``). Each integration sees the rows of its territory (as of the change: the
owner and the owner's supervisor then) and only the fields of its field list (``integrations.fields``;
NULL: every field); a ``changed`` row none of whose changed fields it may see is left out. A value of a class
the integration may not read (机密 / 绝密, or a personal one when it is in the masked view: ``meta.secrecy`` of the
form in force, server/secrecy.py) is sent as its placeholder, by the row's own mark; which fields changed is
still told.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, or_, select
from sqlalchemy.engine import Connection

from app.models.wire import ErrorCode, canonical_json
from server.config import iso
from server.db import Database
from server.errors import ApiError
from server.integrations import Machine
from server.schema import feed_counter
from server.schema_integrations import outbound_changes
from server.secrecy import View, view_of

if TYPE_CHECKING:  # server.records calls this module from its unit of work
    from server.records import Rec

APPROVED, CHANGED, DELETED = "approved", "changed", "deleted"
MAX_LIMIT = 1000


def dumps(obj: Any) -> str:
    return canonical_json(obj).decode("utf-8")


def approved_view(rec: Rec) -> dict[str, Any] | None:
    """The customer's approved values now (None: never approved, or deleted)."""
    if rec.deleted:
        return None
    if rec.status == "approved":
        return dict(rec.values)
    return dict(rec.approved_values) if rec.approved_values is not None else None


def outbound_row(rec: Rec, before: dict[str, Any] | None, was_approved: bool, now: float) -> dict[str, Any] | None:
    """The ``outbound_changes`` row (without seq and team) when ``rec``'s approved values differ from
    ``before`` (its approved values when the transaction read it; ``was_approved``: its status then was
    approved), else None. ``approved``: it became approved; ``changed``: an approved customer changed
    without a review (a system change, a field changed directly); ``deleted``: an approved one deleted."""
    after = approved_view(rec)
    if after == before:
        return None
    if after is None:
        kind, changed = DELETED, sorted(before or {})
    else:
        old = before or {}
        kind = APPROVED if rec.status == "approved" and not was_approved else CHANGED
        changed = sorted(k for k in set(old) | set(after) if old.get(k) != after.get(k))
    return {
        "record_id": rec.id,
        "version": rec.version,
        "kind": kind,
        "code": rec.code if rec.code_official else None,
        "owner_id": rec.owner_id,
        "changed": dumps(changed),
        "data": dumps(after) if after is not None else None,
        "at": now,
    }


def page_query(machine: Machine, cursor: int, top: int, limit: int) -> Select[Any]:
    """The rows of ``machine``'s territory after ``cursor`` up to ``top``, in commit order."""
    q = select(outbound_changes).where(outbound_changes.c.seq > cursor, outbound_changes.c.seq <= top)
    if machine.territory is not None:
        teams = sorted(machine.territory)
        q = q.where(or_(outbound_changes.c.owner_id.in_(teams), outbound_changes.c.team_id.in_(teams)))
    return q.order_by(outbound_changes.c.seq).limit(limit)


def change(row: Any, fields: frozenset[str] | None, view: View) -> dict[str, Any] | None:
    """One change as an integration sees it (only its fields, each hidden value as its placeholder), or None
    when nothing it may see changed."""
    changed = [k for k in json.loads(row.changed) if fields is None or k in fields]
    if row.kind == CHANGED and not changed:
        return None
    values = json.loads(row.data) if row.data is not None else None
    if values is not None:
        values = view.unrelated(values)
    if values is not None and fields is not None:
        values = {k: v for k, v in values.items() if k in fields}
    return {
        "seq": row.seq,
        "kind": row.kind,
        "record_id": row.record_id,
        "code": row.code,
        "version": row.version,
        "at": iso(row.at),
        "changed": changed,
        "values": values,
    }


def counter(conn: Connection) -> int:
    """The newest feed number handed out (a new webhook starts after it)."""
    return int(conn.execute(select(feed_counter.c.seq).where(feed_counter.c.id == 1)).scalar_one())


def read_changes(conn: Connection, machine: Machine, cursor: int, limit: int) -> dict[str, Any]:
    """A page after ``cursor`` in the snapshot of ``conn``: the counter first, then rows up to it."""
    counter = conn.execute(select(feed_counter).where(feed_counter.c.id == 1)).one()
    if cursor > counter.seq:
        raise ApiError(
            410,
            ErrorCode.GONE,
            "The cursor is unknown to this server (a restore or another server): read again from cursor 0.",
            extra={"horizon": counter.outbound_horizon},
        )
    if 0 < cursor < counter.outbound_horizon:  # changes after it were purged (server/outbound_purge.py)
        raise ApiError(
            410,
            ErrorCode.GONE,
            f"Changes up to {counter.outbound_horizon} were purged by the retention: load again from cursor 0.",
            extra={"horizon": counter.outbound_horizon},
        )
    rows: Sequence[Any] = conn.execute(page_query(machine, cursor, counter.seq, limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    fields = frozenset(machine.fields) if machine.fields is not None else None
    view = view_of(conn, machine.as_user())
    changes = [c for c in (change(r, fields, view) for r in rows) if c is not None]
    return {
        "changes": changes,
        "cursor": rows[-1].seq if more else counter.seq,
        "more": more,
        "epoch": counter.epoch,
        "server_time": iso(time.time()),
    }


def changes_page(db: Database, machine: Machine, cursor: int, limit: int) -> dict[str, Any]:
    if cursor < 0 or not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            422, ErrorCode.VALIDATION, f"The cursor is a number of at least 0 and the limit is 1 to {MAX_LIMIT}."
        )
    with db.read() as conn:
        return read_changes(conn, machine, cursor, limit)

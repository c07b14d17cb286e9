"""AB posts (AB岗, issue 18, audit R7; F3 L154 "每个岗位设立AB岗,A岗休假时,B岗负责A岗的基础信息维护工作,
并做好交接记录"): while A is on leave, B keeps A's customers for a set period, and a handover record is
written at its start and at its end.

- An admin, or A's market manager, sets a cover: A (a customer manager), B (a customer manager or market
  manager of A's team, or of a team of the same county: the territory rule), from, to, the reason. Periods of
  one A do not overlap; a cover lasts at most ``MAX_DAYS``.
- The scope follows time alone (server/scope.py, ``User.covering`` read per request by
  :func:`server.accounts.covered_by`): from ``starts_at`` B sees, pulls and edits A's customers as A does;
  from ``ends_at`` no more. No job is needed for that.
- The edges are recorded at the first request after them (:func:`settle`, called by every pull and by the
  lists): at the start A's customers are sent again so that B's client receives them, and the handover record
  names what was open (A's customers not approved, with their state); at the end each customer B no longer
  sees gets a ``revoke`` row addressed to B, as after a reassignment (B's client drops it at its next sync),
  and the closing record names what is still open. Each edge is claimed by a conditional update, so two
  processes never record it twice.
- An admin or the one who may set it ends a cover early (``cut``); it then ends by the same rule.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from sqlalchemy import Select, and_, insert, or_, select, update
from sqlalchemy.engine import Connection

from app.models.wire import UserRole
from server import accounts
from server.accounts import User, covered_by
from server.administration import Actor, AdminError, read_logged, write_logged
from server.config import CHINA_TZ
from server.db import Database, FeedEntry, Tx
from server.schema import customers, users
from server.schema_admin import territories
from server.schema_guard import cover_events, covers
from server.scope import Directory
from server.territories import clean_name

#: The longest cover (a leave): the documents give none; three months is this deployment's choice.
MAX_DAYS = 92
OPEN_STATES = ("draft", "pending", "returned")  # not approved: work A left open


def parse_when(text: str, *, end: bool = False) -> float:
    """A moment: ISO 8601 (a time without a zone is China's); a bare date is the start of that day in China,
    or, for the end of a period, the start of the next one (the whole day is covered)."""
    raw = str(text).strip()
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            moment = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), CHINA_TZ)
        else:
            moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=CHINA_TZ)
        return moment.timestamp()
    except (ValueError, OverflowError):  # not a date, or one at the end of the calendar
        raise AdminError(f"{raw[:40]!r} is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM)") from None


def _iso(at: float | None) -> str | None:
    return None if at is None else dt.datetime.fromtimestamp(at, CHINA_TZ).isoformat(timespec="seconds")


def _active_user(conn: Connection, name: str, what: str) -> User:
    user = accounts.get_user(conn, clean_name(name, what, 64))
    if user is None:
        raise AdminError(f"there is no user {name!r}", 404)
    if user.disabled:
        raise AdminError(f"the user {name!r} is disabled")
    return user


def _team_node_parent(conn: Connection, supervisor_id: int | None) -> int | None:
    if supervisor_id is None:
        return None
    q = select(territories.c.parent_id).where(
        territories.c.level == "team", territories.c.supervisor_id == supervisor_id
    )
    parent: int | None = conn.execute(q).scalar()
    return parent


def _may_cover(conn: Connection, a: User, b: User) -> None:
    """B in A's team (a customer manager of it or its market manager), or in a team of the same county."""
    if a.role != UserRole.COLLECTOR.value:
        raise AdminError(f"{a.name!r} is not a customer manager: an AB post covers a customer manager's customers")
    if b.role not in (UserRole.COLLECTOR.value, UserRole.SUPERVISOR.value):
        raise AdminError(f"{b.name!r} cannot cover customers: only a customer manager or a market manager can")
    if a.id == b.id:
        raise AdminError("a user cannot cover their own customers")
    b_team = b.id if b.role == UserRole.SUPERVISOR.value else b.supervisor_id
    if a.supervisor_id is not None and b_team == a.supervisor_id:
        return
    county = _team_node_parent(conn, a.supervisor_id)
    if county is not None and county == _team_node_parent(conn, b_team):
        return
    raise AdminError(
        f"{b.name!r} is neither in {a.name!r}'s team nor in a team of the same county: choose someone there"
    )


def _may_set(by: User | None, a: User) -> None:
    """An admin (the command line is the server's operator), or A's market manager."""
    if by is None or by.role == UserRole.ADMIN.value:
        return
    if by.role == UserRole.SUPERVISOR.value and a.supervisor_id == by.id:
        return
    raise AdminError("only an administrator or the customer manager's market manager may do this", 403)


def set_cover(
    db: Database,
    actor: Actor,
    by: User | None,
    absent: str,
    cover: str,
    starts: str,
    ends: str,
    reason: str,
    now: float | None = None,
) -> dict[str, Any]:
    """Set a cover of ``absent`` by ``cover`` (``by``: the caller, None for the command line)."""
    moment = time.time() if now is None else now

    def go(tx: Tx) -> dict[str, Any]:
        a, b = _active_user(tx.conn, absent, "the absent user"), _active_user(tx.conn, cover, "the covering user")
        _may_set(by, a)
        _may_cover(tx.conn, a, b)
        start, end = parse_when(starts), parse_when(ends, end=True)
        why = clean_name(reason, "the reason", 500)
        if end <= start:
            raise AdminError("the cover must end after it starts")
        if end <= moment:
            raise AdminError("the cover would be over already: its end is in the past")
        if end - start > MAX_DAYS * 86400:
            raise AdminError(f"a cover lasts at most {MAX_DAYS} days")
        c = covers.c
        clash = tx.conn.execute(
            select(c.id).where(c.absent_id == a.id, c.starts_at < end, c.ends_at > max(start, moment))
        ).first()
        if clash is not None:
            raise AdminError(f"{a.name!r} already has a cover in that period (cover {clash.id})")
        cid = tx.conn.execute(
            insert(covers).values(
                absent_id=a.id,
                cover_id=b.id,
                starts_at=start,
                ends_at=end,
                reason=why,
                set_by=actor.name,
                created_at=moment,
            )
        ).inserted_primary_key[0]  # type: ignore[index]  # set after every single-row INSERT
        _settle(tx, moment)
        return _one(tx.conn, int(cid), moment)

    params = {"absent": absent, "cover": cover, "from": starts, "to": ends, "reason": reason}
    return write_logged(db, actor, "covers.set", absent, params, go, lambda r: {"cover_id": r["id"]})


def cut(db: Database, actor: Actor, by: User | None, cover_id: int, now: float | None = None) -> dict[str, Any]:
    """End a cover now (before its time); one already over is refused."""
    moment = time.time() if now is None else now

    def go(tx: Tx) -> dict[str, Any]:
        row = tx.conn.execute(select(covers).where(covers.c.id == cover_id)).first()
        if row is None:
            raise AdminError(f"there is no cover {cover_id}", 404)
        a = accounts.get_user_by_id(tx.conn, row.absent_id)
        assert a is not None
        _may_set(by, a)
        if row.ends_at <= moment:
            raise AdminError(f"cover {cover_id} is over already")
        tx.conn.execute(
            update(covers)
            .where(covers.c.id == cover_id)
            .values(ends_at=max(moment, row.starts_at), cut_at=moment, cut_by=actor.name)
        )
        _settle(tx, moment)
        return _one(tx.conn, cover_id, moment)

    return write_logged(db, actor, "covers.end", str(cover_id), {}, go)


def _customers_of(conn: Connection, uid: int) -> list[Any]:
    shop = customers.c.data
    q = select(customers.c.id, customers.c.code, customers.c.status, customers.c.created_by_id, shop).where(
        customers.c.owner_id == uid, customers.c.deleted.is_(False)
    )
    return list(conn.execute(q.order_by(customers.c.id)).all())


def _open(rows: list[Any]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if r.status in OPEN_STATES:
            values = json.loads(r.data or "{}")
            out.append({"id": r.id, "code": r.code, "shop": str(values.get("shop_name") or ""), "status": r.status})
    return out


def _event(tx: Tx, row: Any, event: str, at: float, rows: list[Any], d: Directory, ids: list[str]) -> None:
    detail = {"from": d.name(row.absent_id), "to": d.name(row.cover_id), "open": _open(rows), "ids": ids}
    tx.conn.execute(
        insert(cover_events).values(
            cover_id=row.id, event=event, at=at, customers=len(rows), detail=json.dumps(detail, ensure_ascii=False)
        )
    )


def _claim(tx: Tx, cover_id: int, column: str, now: float) -> bool:
    col = covers.c[column]
    done = tx.conn.execute(update(covers).where(covers.c.id == cover_id, col.is_(None)).values({column: now}))
    return bool(done.rowcount)


def _settle(tx: Tx, now: float) -> int:
    """Record the edges passed and not recorded yet (ends first: a cover that follows another starts after)."""
    c = covers.c
    due = tx.conn.execute(
        select(covers)
        .where(
            or_(
                and_(c.end_recorded.is_(None), c.ends_at <= now),
                and_(c.start_recorded.is_(None), c.starts_at <= now),
            )
        )
        .order_by(c.id)
    ).all()
    if not due:
        return 0
    d = Directory.load(tx.conn)
    done = 0
    for row in due:  # the start of one that is over already is recorded before its end
        if row.start_recorded is None and _claim(tx, row.id, "start_recorded", now):
            rows = _customers_of(tx.conn, row.absent_id)
            _event(tx, row, "start", max(row.starts_at, row.created_at), rows, d, [r.id for r in rows])
            if row.ends_at > now:
                for r in rows:  # sent again: B's cursor is past their last rows
                    tx.emit(FeedEntry("record", r.id, owner_id=row.absent_id, created_by_id=r.created_by_id))
            done += 1
        if row.ends_at <= now and _claim(tx, row.id, "end_recorded", now):
            _end(tx, row, now, d)
            done += 1
    return done


def _end(tx: Tx, row: Any, now: float, d: Directory) -> None:
    """The closing record, and a revoke to B for each customer of A's (then or at the start) B no longer sees."""
    rows = _customers_of(tx.conn, row.absent_id)
    start = tx.conn.execute(
        select(cover_events.c.detail).where(cover_events.c.cover_id == row.id, cover_events.c.event == "start")
    ).scalar()
    ids = sorted({r.id for r in rows} | set(json.loads(start or "{}").get("ids", [])))
    _event(tx, row, "end", row.ends_at, rows, d, [r.id for r in rows])
    b = d.get(row.cover_id)
    if b is None or b.role == UserRole.ADMIN.value:
        return
    still = set(covered_by(tx.conn, b.id, now))
    for i in range(0, len(ids), 500):
        q = select(customers.c.id, customers.c.owner_id, customers.c.created_by_id).where(
            customers.c.id.in_(ids[i : i + 500])
        )
        for r in tx.conn.execute(q):
            if b.id not in d.viewers(r.owner_id, r.created_by_id) and r.owner_id not in still:
                tx.emit(FeedEntry("revoke", r.id, b.id))


def due_query(now: Any) -> Select[Any]:
    """The posts with an edge passed at ``now`` (a value or a bound parameter) and not recorded yet."""
    c = covers.c
    return select(c.id).where(
        or_(and_(c.end_recorded.is_(None), c.ends_at <= now), and_(c.start_recorded.is_(None), c.starts_at <= now))
    )


def due(conn: Connection, now: float) -> bool:
    """Whether an edge has passed and is not recorded yet (one indexed look; a pull asks it in its first
    statement, ``server.feed._CONTEXT``)."""
    return conn.execute(due_query(now).limit(1)).first() is not None


def settle(db: Database, now: float | None = None) -> int:
    """Record the edges passed (at most one write transaction, only when there is one to record)."""
    moment = time.time() if now is None else now
    with db.read() as conn:
        if not due(conn, moment):
            return 0
    return db.write(lambda tx: _settle(tx, moment))


def _state(row: Any, now: float) -> str:
    if row.ends_at <= now:
        return "ended"
    return "active" if row.starts_at <= now else "planned"


def _row(row: Any, names: dict[int, str], now: float) -> dict[str, Any]:
    return {
        "id": row.id,
        "absent": names.get(row.absent_id, "?"),
        "cover": names.get(row.cover_id, "?"),
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "starts": _iso(row.starts_at),
        "ends": _iso(row.ends_at),
        "reason": row.reason,
        "set_by": row.set_by,
        "cut_by": row.cut_by,
        "state": _state(row, now),
    }


def _names(conn: Connection) -> dict[int, str]:
    return {r.id: r.name for r in conn.execute(select(users.c.id, users.c.name))}


def _one(conn: Connection, cover_id: int, now: float) -> dict[str, Any]:
    row = conn.execute(select(covers).where(covers.c.id == cover_id)).first()
    if row is None:
        raise AdminError(f"there is no cover {cover_id}", 404)
    out = _row(row, _names(conn), now)
    ev = conn.execute(select(cover_events).where(cover_events.c.cover_id == cover_id).order_by(cover_events.c.id))
    out["handover"] = [
        {
            "event": e.event,
            "at": e.at,
            "when": _iso(e.at),
            "customers": e.customers,
            "open": json.loads(e.detail).get("open", []),
        }
        for e in ev
    ]
    return out


def _visible(by: User | None, row: Any, d: Directory) -> bool:
    if by is None or by.role == UserRole.ADMIN.value:
        return True
    if by.id in (row.absent_id, row.cover_id):
        return True
    return by.role == UserRole.SUPERVISOR.value and d.supervisor_of(row.absent_id) == by.id


def list_covers(db: Database, actor: Actor, by: User | None, now: float | None = None) -> list[dict[str, Any]]:
    """The covers the caller may see (an admin all, a market manager their team's, anyone their own), newest first."""
    moment = time.time() if now is None else now
    settle(db, moment)

    def go(conn: Connection) -> list[dict[str, Any]]:
        d, names = Directory.load(conn), _names(conn)
        rows = conn.execute(select(covers).order_by(covers.c.starts_at.desc(), covers.c.id.desc())).all()
        return [_row(r, names, moment) for r in rows if _visible(by, r, d)]

    return read_logged(db, actor, "covers.list", "", {}, go)


def show(db: Database, actor: Actor, by: User | None, cover_id: int, now: float | None = None) -> dict[str, Any]:
    """One cover with its handover records."""
    moment = time.time() if now is None else now
    settle(db, moment)

    def go(conn: Connection) -> dict[str, Any]:
        row = conn.execute(select(covers).where(covers.c.id == cover_id)).first()
        if row is None or not _visible(by, row, Directory.load(conn)):
            raise AdminError(f"there is no cover {cover_id}", 404)
        return _one(conn, cover_id, moment)

    return read_logged(db, actor, "covers.show", str(cover_id), {}, go)

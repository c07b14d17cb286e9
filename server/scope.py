"""Who sees and edits what (territories), in Python for one record and in SQL for lists.

- collector: sees records assigned to them or created by them; edits those assigned to them;
- supervisor: sees and edits records assigned to a collector of their team or to themselves,
  and decides their reviews;
- admin: everything;
- integration (a machine account, server/integrations.py): sees the customers assigned to the teams
  of its territory (their supervisors and collectors), or all of them for the whole deployment;
  edits and decides nothing through these rules;
- viewer (issue 17: a city, county or province user): no customer through these rules (no record, no
  pull, no write); :func:`for_reports` gives their reports and ledger the teams of the territory subtree
  they are placed at, read from the tree in the request's own transaction (a move counts at once).

AB posts (server/covers.py): while B covers A (``User.covering``, read per request by time), B sees and edits
the records A owns, as A would; when the period ends it stops by itself.

A record outside the caller's scope does not exist for them (404 / rejected ``not_found``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import false, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from app.models.wire import ErrorCode, UserRole
from server.accounts import User, user_from_row
from server.errors import ApiError
from server.schema import customers, users
from server.schema_admin import territories, user_places


@dataclass
class Directory:
    """The server's users, once per transaction: all of them (``load``), or, for a push or a pull page,
    only those it names (``lazy``: read when first asked for, ``want`` reads many in one query), so
    that a small push or page does not cost every user of the province (thousands at 500k customers)."""

    by_id: dict[int, User]
    conn: Connection | None = None  # lazy: where users not read yet are found
    absent: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, conn: Connection) -> Directory:
        return cls({r.id: user_from_row(r) for r in conn.execute(select(users)).all()})

    @classmethod
    def lazy(cls, conn: Connection, *known: User) -> Directory:
        return cls({u.id: u for u in known}, conn)

    def want(self, ids: Iterable[int | None]) -> None:
        """Read the users among ``ids`` not read yet, in one query (nothing for a full directory)."""
        if self.conn is None:
            return
        missing = sorted({i for i in ids if i is not None} - self.by_id.keys() - self.absent)
        for i in range(0, len(missing), 500):
            chunk = missing[i : i + 500]
            self.by_id.update(
                {r.id: user_from_row(r) for r in self.conn.execute(select(users).where(users.c.id.in_(chunk))).all()}
            )
            self.absent.update(set(chunk) - self.by_id.keys())

    def get(self, uid: int) -> User | None:
        if uid not in self.by_id:
            self.want((uid,))
        return self.by_id.get(uid)

    def name(self, uid: int | None) -> str | None:
        user = self.get(uid) if uid is not None else None
        return user.name if user else None

    def supervisor_of(self, uid: int) -> int | None:
        """The supervisor responsible for records assigned to ``uid`` (a supervisor for their own)."""
        user = self.get(uid)
        if user is None:
            return None
        return user.id if user.role == UserRole.SUPERVISOR.value else user.supervisor_id

    def viewers(self, owner_id: int, created_by_id: int) -> set[int]:
        """The non-admin users who may see a record with this owner and creator."""
        out = {owner_id, created_by_id}
        sup = self.supervisor_of(owner_id)
        if sup is not None:
            out.add(sup)
        return out


INTEGRATION = "integration"  # the stand-in role of a machine caller (never a user's role)
VIEWER = UserRole.VIEWER.value
#: roles whose customers are those of a list of teams (``User.teams``): an integration's territory, a
#: viewer's subtree (a viewer's teams are set only by :func:`for_reports`; unset, they see nothing)
BY_TEAMS = frozenset({INTEGRATION, VIEWER})


def subtree_teams(conn: Connection, node_id: int) -> tuple[int, ...]:
    """The market managers (supervisors) of the team nodes at or below ``node_id``, read now: the whole
    table of nodes is small (a province has a few hundred), walked from the node down."""
    rows = conn.execute(select(territories.c.id, territories.c.parent_id, territories.c.supervisor_id)).all()
    kids: dict[int | None, list[Any]] = {}
    for r in rows:
        kids.setdefault(r.parent_id, []).append(r)
    found: set[int] = set()
    stack = [r for r in rows if r.id == node_id]
    seen: set[int] = set()
    while stack:  # bounded: each node at most once
        r = stack.pop()
        if r.id in seen:
            continue
        seen.add(r.id)
        if r.supervisor_id is not None:
            found.add(r.supervisor_id)
        stack.extend(kids.get(r.id, []))
    return tuple(sorted(found))


def for_reports(conn: Connection, user: User) -> User:
    """The caller as the reports and the ledger see them: a viewer with the teams of their subtree (403
    naming the cause when they are not placed in the tree); anyone else unchanged."""
    if user.role != VIEWER:
        return user
    node = conn.execute(select(user_places.c.territory_id).where(user_places.c.user_id == user.id)).scalar()
    if node is None:
        raise ApiError(
            403,
            ErrorCode.FORBIDDEN,
            "You are not placed in the territory tree yet: an administrator places you at your province, "
            "city or county, and you then see the reports of every team below it.",
            fields=[{"field": "territory", "code": "territory.unplaced", "message": "not placed"}],
        )
    return replace(user, teams=subtree_teams(conn, node))


def is_admin(user: User) -> bool:
    return user.role == UserRole.ADMIN.value


def can_see(user: User, rec: Any, d: Directory) -> bool:
    if user.role == VIEWER:
        return user.teams is not None and d.supervisor_of(rec.owner_id) in user.teams
    if user.role == INTEGRATION:
        return user.teams is None or d.supervisor_of(rec.owner_id) in user.teams
    return is_admin(user) or user.id in d.viewers(rec.owner_id, rec.created_by_id) or rec.owner_id in user.covering


def _territory_clause(user: User) -> ColumnElement[bool]:
    """An integration's customers: those assigned to a supervisor of its territory or to their collectors."""
    if user.teams is None:
        return false() if user.role == VIEWER else true()
    teams = sorted(user.teams)
    members = select(users.c.id).where(users.c.supervisor_id.in_(teams))
    return or_(customers.c.owner_id.in_(teams), customers.c.owner_id.in_(members))


def can_edit(user: User, rec: Any, d: Directory) -> bool:
    if is_admin(user):
        return True
    if user.role in BY_TEAMS:
        return False
    if rec.owner_id in user.covering:
        return True
    if user.role == UserRole.SUPERVISOR.value:
        return d.supervisor_of(rec.owner_id) == user.id
    return bool(rec.owner_id == user.id)


def can_decide(user: User, rec: Any, d: Directory) -> bool:
    """Only the responsible supervisor (or an admin) approves or returns a submission."""
    if is_admin(user):
        return True
    return user.role == UserRole.SUPERVISOR.value and d.supervisor_of(rec.owner_id) == user.id


def visible_clause(user: User) -> ColumnElement[bool]:
    """SQL condition on ``customers`` that matches :func:`can_see`."""
    if user.role in BY_TEAMS:
        return _territory_clause(user)
    if is_admin(user):
        return true()
    if user.role == UserRole.SUPERVISOR.value:
        team = select(users.c.id).where(users.c.supervisor_id == user.id)
        return or_(
            customers.c.owner_id == user.id,
            customers.c.created_by_id == user.id,
            customers.c.owner_id.in_(team),
            customers.c.owner_id.in_(user.covering),
        )
    return or_(
        customers.c.owner_id == user.id, customers.c.created_by_id == user.id, customers.c.owner_id.in_(user.covering)
    )


def visible_clause_indexed(user: User, d: Directory) -> ColumnElement[bool]:
    """The same rows as :func:`visible_clause`, as a condition the database answers from the indexes on
    ``owner_id`` and ``created_by_id``: the supervisor's team is taken from the directory (loaded in the
    same transaction) as a list of ids instead of a sub-select, which made the planner scan every customer."""
    if user.role in BY_TEAMS:
        if user.teams is None:
            return false() if user.role == VIEWER else true()
        teams = set(user.teams)
        return customers.c.owner_id.in_(sorted(teams | {u.id for u in d.by_id.values() if u.supervisor_id in teams}))
    if is_admin(user):
        return true()
    if user.role == UserRole.SUPERVISOR.value:
        team = sorted({user.id, *user.covering} | {u.id for u in d.by_id.values() if u.supervisor_id == user.id})
        return or_(customers.c.owner_id.in_(team), customers.c.created_by_id == user.id)
    return or_(customers.c.owner_id.in_(sorted({user.id, *user.covering})), customers.c.created_by_id == user.id)

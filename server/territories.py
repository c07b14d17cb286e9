"""The territory tree (province → city → county → team) and the departments, as service functions shared by
the admin HTTP API (server/territory_api.py) and the command line (server/cli_territories.py), logged in the
admin log like every administrative call (server/administration.py).

Rules (docs/domain.md, "Territories and departments"):

- levels go province → city → county → team (F3 L434–438, issue 17); a node's parent is one level up; a
  root is any level but a team (a city deployment starts at its city);
- names: 1 to 100 characters, no control character, NUL or broken character (lone surrogate), unique
  among their siblings; moving a node under itself or under one of its own nodes is refused;
- a team node names its market manager (a supervisor, at most one team each); the collectors placed in
  the team join that manager's team (``server.admin.set_team``, so the feed follows, as the existing
  team command does). Scope otherwise still follows ``users.supervisor_id`` (server/scope.py);
- a node that still has child nodes, placed users or a market manager is not removed; nor is a
  department that users belong to or that owns fields of the form in force (app/models/owners.py).
"""

from __future__ import annotations

import time
import unicodedata
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from app.models.owners import CODE_RE, owners_of
from app.models.wire import UserRole
from server import admin
from server.accounts import require_user
from server.administration import Actor, AdminError, read_logged, write_logged
from server.db import Database, Tx
from server.forms import current_form
from server.schema import users
from server.schema_admin import departments, territories, user_places

LEVELS = ("province", "city", "county", "team")
NAME_MAX = 100


def clean_name(text: object, what: str = "the name", limit: int = NAME_MAX) -> str:
    """``text`` stripped and in NFC, or AdminError saying what is wrong with it."""
    if not isinstance(text, str):
        raise AdminError(f"{what} must be text")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise AdminError(f"{what} holds a broken character (a lone surrogate): type it again")
    if "\x00" in text:
        raise AdminError(f"{what} holds a NUL character")
    text = unicodedata.normalize("NFC", text.strip())
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text):
        raise AdminError(f"{what} holds a control character (a line break, a tab …)")
    if not text:
        raise AdminError(f"{what} is empty")
    if len(text) > limit:
        raise AdminError(f"{what} has {len(text)} characters; at most {limit}")
    return text


def _node(conn: Connection, node_id: int) -> Any:
    row = conn.execute(select(territories).where(territories.c.id == node_id)).first()
    if row is None:
        raise AdminError(f"there is no territory node {node_id}", 404)
    return row


def _department(conn: Connection, code: str) -> Any:
    row = conn.execute(select(departments).where(departments.c.code == code)).first()
    if row is None:
        raise AdminError(f"there is no department {code!r}", 404)
    return row


def _unique_among_siblings(conn: Connection, parent_id: int | None, name: str, except_id: int | None = None) -> None:
    t = territories.c
    q = select(t.id).where(t.name == name, t.parent_id.is_(None) if parent_id is None else t.parent_id == parent_id)
    if except_id is not None:
        q = q.where(t.id != except_id)
    if conn.execute(q).first() is not None:
        raise AdminError(f"there is already a node {name!r} at this place of the tree")


def _fits(conn: Connection, level: str, parent_id: int | None) -> None:
    if level not in LEVELS:
        raise AdminError(f"the level must be one of {', '.join(LEVELS)}")
    if parent_id is None:
        if level == "team":
            raise AdminError("a team belongs to a county: choose its county")
        return
    parent = _node(conn, parent_id)
    if LEVELS.index(parent.level) + 1 != LEVELS.index(level):
        raise AdminError(f"a {level} cannot sit under a {parent.level} (the tree is {' → '.join(LEVELS)})")


def _supervisor(conn: Connection, name: str, node_id: int | None) -> int:
    user = require_user(conn, name)
    if user.role != UserRole.SUPERVISOR.value or user.disabled:
        raise AdminError(f"{name!r} is not an active market manager (supervisor)")
    t = territories.c
    q = select(t.name).where(t.supervisor_id == user.id)
    if node_id is not None:
        q = q.where(t.id != node_id)
    other = conn.execute(q).scalar()
    if other is not None:
        raise AdminError(f"{name!r} already leads the team {other!r}")
    return user.id


def _join_team(tx: Tx, node_id: int, supervisor: str | None) -> int:
    """The collectors placed in team ``node_id`` join ``supervisor``'s team; returns customers moved."""
    if supervisor is None:
        return 0
    q = (
        select(users.c.name, users.c.supervisor_id)
        .join(user_places, user_places.c.user_id == users.c.id)
        .where(user_places.c.territory_id == node_id, users.c.role == UserRole.COLLECTOR.value)
        .order_by(users.c.name)
    )
    lead = require_user(tx.conn, supervisor).id
    return sum(admin.set_team(tx, r.name, supervisor) for r in tx.conn.execute(q).all() if r.supervisor_id != lead)


# ------------------------------------------------------------------------------------------- reads


def tree(conn: Connection) -> dict[str, Any]:
    """Every node (depth first, siblings by name), every department, and where each user stands."""
    names = dict(conn.execute(select(users.c.id, users.c.name)).all())
    rows = conn.execute(select(territories).order_by(territories.c.name, territories.c.id)).all()
    kids: dict[int | None, list[Any]] = {}
    for r in rows:
        kids.setdefault(r.parent_id, []).append(r)
    places = conn.execute(select(user_places)).all()
    placed: dict[int, list[str]] = {}
    for p in places:
        if p.territory_id is not None:
            placed.setdefault(p.territory_id, []).append(names[p.user_id])
    nodes: list[dict[str, Any]] = []
    stack = list(reversed(kids.get(None, [])))
    while stack:  # bounded: each node once (the tree has no cycle: moves refuse one)
        r = stack.pop()
        nodes.append(
            {
                "id": r.id,
                "parent": r.parent_id,
                "level": r.level,
                "name": r.name,
                "supervisor": names.get(r.supervisor_id),
                "users": sorted(placed.get(r.id, [])),
            }
        )
        stack.extend(reversed(kids.get(r.id, [])))
    owned: dict[str, int] = {}
    for code in owners_of(current_form(conn)).values():
        owned[code] = owned.get(code, 0) + 1
    deps = conn.execute(select(departments).order_by(departments.c.id)).all()
    dep_code = {d.id: d.code for d in deps}
    members: dict[int, int] = {}
    for p in places:
        if p.department_id is not None:
            members[p.department_id] = members.get(p.department_id, 0) + 1
    return {
        "nodes": nodes,
        "departments": [
            {"code": d.code, "name": d.name, "users": members.get(d.id, 0), "fields": owned.get(d.code, 0)}
            for d in deps
        ],
        "places": [
            {
                "user": names[p.user_id],
                "territory": p.territory_id,
                "department": dep_code.get(p.department_id),
                "manager": bool(p.manager),
            }
            for p in sorted(places, key=lambda p: names[p.user_id])
        ],
    }


def department_names(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(departments.c.code, departments.c.name).order_by(departments.c.id)).all())


def show(db: Database, actor: Actor) -> dict[str, Any]:
    return read_logged(db, actor, "territories.list", "", {}, tree)


# ------------------------------------------------------------------------------------------- nodes


def add_node(
    db: Database, actor: Actor, name: str, level: str, parent: int | None, supervisor: str | None = None
) -> dict[str, Any]:
    def go(tx: Tx) -> dict[str, Any]:
        clean = clean_name(name)
        _fits(tx.conn, level, parent)
        _unique_among_siblings(tx.conn, parent, clean)
        if supervisor and level != "team":
            raise AdminError("only a team names a market manager")
        sup = _supervisor(tx.conn, supervisor, None) if supervisor else None
        row = {"parent_id": parent, "level": level, "name": clean, "supervisor_id": sup, "created_at": time.time()}
        node_id = tx.conn.execute(insert(territories).values(**row).returning(territories.c.id)).scalar_one()
        return {"id": node_id, "parent": parent, "level": level, "name": clean, "supervisor": supervisor or None}

    params = {"level": level, "parent": parent, "supervisor": supervisor}
    return write_logged(db, actor, "territories.add", str(name)[:100], params, go, lambda r: {"id": r["id"]})


def rename_node(db: Database, actor: Actor, node_id: int, name: str) -> None:
    def go(tx: Tx) -> dict[str, Any]:
        row = _node(tx.conn, node_id)
        clean = clean_name(name)
        _unique_among_siblings(tx.conn, row.parent_id, clean, node_id)
        tx.conn.execute(update(territories).where(territories.c.id == node_id).values(name=clean))
        return {"old": row.name, "new": clean}

    write_logged(db, actor, "territories.rename", str(node_id), {"name": name}, go, lambda r: dict(r))


def move_node(db: Database, actor: Actor, node_id: int, parent: int | None) -> None:
    def go(tx: Tx) -> dict[str, Any]:
        row = _node(tx.conn, node_id)
        up = parent
        for _ in range(len(LEVELS) + 64):  # walk to the root: the new parent may not be the node or below it
            if up is None:
                break
            if up == node_id:
                raise AdminError(f"{row.name!r} cannot move under itself or one of its own nodes")
            up = _node(tx.conn, up).parent_id
        _fits(tx.conn, row.level, parent)
        _unique_among_siblings(tx.conn, parent, row.name, node_id)
        tx.conn.execute(update(territories).where(territories.c.id == node_id).values(parent_id=parent))
        return {"old_parent": row.parent_id}

    write_logged(db, actor, "territories.move", str(node_id), {"parent": parent}, go, lambda r: dict(r))


def set_supervisor(db: Database, actor: Actor, node_id: int, supervisor: str | None) -> int:
    """The team's market manager (None: none); the collectors placed in it join their team. Returns the
    customers that moved with them."""

    def go(tx: Tx) -> int:
        row = _node(tx.conn, node_id)
        if row.level != "team":
            raise AdminError("only a team names a market manager")
        sup = _supervisor(tx.conn, supervisor, node_id) if supervisor else None
        tx.conn.execute(update(territories).where(territories.c.id == node_id).values(supervisor_id=sup))
        return _join_team(tx, node_id, supervisor)

    return write_logged(
        db, actor, "territories.supervisor", str(node_id), {"supervisor": supervisor}, go, lambda n: {"customers": n}
    )


def remove_node(db: Database, actor: Actor, node_id: int) -> None:
    def go(tx: Tx) -> dict[str, Any]:
        row = _node(tx.conn, node_id)
        children = tx.conn.execute(select(territories.c.name).where(territories.c.parent_id == node_id)).scalars()
        kids = sorted(children)
        if kids:
            raise AdminError(f"{row.name!r} still has {len(kids)} nodes under it ({', '.join(kids[:5])}): move them")
        q = select(users.c.name).join(user_places, user_places.c.user_id == users.c.id)
        placed = sorted(tx.conn.execute(q.where(user_places.c.territory_id == node_id)).scalars())
        if placed:
            raise AdminError(
                f"{row.name!r} still has {len(placed)} users ({', '.join(placed[:5])}): place them elsewhere"
            )
        if row.supervisor_id is not None:
            raise AdminError(f"{row.name!r} still names its market manager: remove the link first")
        tx.conn.execute(delete(territories).where(territories.c.id == node_id))
        return {"name": row.name, "level": row.level}

    write_logged(db, actor, "territories.remove", str(node_id), {}, go, lambda r: dict(r))


# ------------------------------------------------------------------------------------- departments


def _code(code: Any) -> str:
    if not isinstance(code, str) or not CODE_RE.fullmatch(code):
        raise AdminError("a department's code has 1 to 32 lower-case letters, digits, '_' or '-', a letter first")
    return code


def add_department(db: Database, actor: Actor, code: str, name: str) -> None:
    def go(tx: Tx) -> None:
        clean = clean_name(name, "the department's name")
        c = departments.c
        if tx.conn.execute(select(c.id).where((c.code == _code(code)) | (c.name == clean))).first() is not None:
            raise AdminError(f"there is already a department {code!r} or {clean!r}")
        tx.conn.execute(insert(departments).values(code=code, name=clean, created_at=time.time()))

    write_logged(db, actor, "departments.add", str(code)[:32], {"name": name}, go)


def rename_department(db: Database, actor: Actor, code: str, name: str) -> None:
    def go(tx: Tx) -> dict[str, Any]:
        row = _department(tx.conn, code)
        clean = clean_name(name, "the department's name")
        c = departments.c
        if tx.conn.execute(select(c.id).where(c.name == clean, c.id != row.id)).first() is not None:
            raise AdminError(f"there is already a department {clean!r}")
        tx.conn.execute(update(departments).where(c.id == row.id).values(name=clean))
        return {"old": row.name, "new": clean}

    write_logged(db, actor, "departments.rename", str(code)[:32], {"name": name}, go, lambda r: dict(r))


def remove_department(db: Database, actor: Actor, code: str) -> None:
    def go(tx: Tx) -> None:
        row = _department(tx.conn, code)
        n = tx.conn.execute(select(func.count()).where(user_places.c.department_id == row.id)).scalar_one()
        if n:
            raise AdminError(f"{n} users still belong to {row.name!r}: move them to another department first")
        fields = sorted(k for k, v in owners_of(current_form(tx.conn)).items() if v == code)
        if fields:
            raise AdminError(
                f"{row.name!r} owns {len(fields)} fields of the form ({', '.join(fields[:5])}); "
                "give them another owner in the form first"
            )
        tx.conn.execute(delete(departments).where(departments.c.id == row.id))

    write_logged(db, actor, "departments.remove", str(code)[:32], {}, go)


# ------------------------------------------------------------------------------------------- users


def place_user(
    db: Database, actor: Actor, name: str, territory: int | None, department: str | None, manager: bool = False
) -> int:
    """Where ``name`` stands: a territory node and a department (None: none), and whether they are that
    department's manager (at most one a department: the bulk maintenance signature of 市场部 is theirs). A
    collector placed in a team that names its market manager joins that team; returns the customers that
    moved with them."""

    def go(tx: Tx) -> int:
        user = require_user(tx.conn, name)
        node = _node(tx.conn, territory) if territory is not None else None
        dep = _department(tx.conn, department) if department else None
        if manager:
            if dep is None:
                raise AdminError("a department's manager belongs to that department: choose the department")
            if user.disabled:
                raise AdminError(f"{name!r} is disabled and cannot be a department's manager")
            up = user_places.c
            q = select(users.c.name).join(user_places, up.user_id == users.c.id)
            other = tx.conn.execute(q.where(up.department_id == dep.id, up.manager, up.user_id != user.id)).scalar()
            if other is not None:
                raise AdminError(
                    f"{other!r} is already the manager of {dep.name!r}: place them without the manager post first"
                )
        tx.conn.execute(delete(user_places).where(user_places.c.user_id == user.id))
        if node is not None or dep is not None:
            tx.conn.execute(
                insert(user_places).values(
                    user_id=user.id,
                    territory_id=node.id if node is not None else None,
                    department_id=dep.id if dep is not None else None,
                    manager=manager,
                )
            )
        if node is None or node.supervisor_id is None or user.role != UserRole.COLLECTOR.value:
            return 0
        lead = tx.conn.execute(select(users.c.name).where(users.c.id == node.supervisor_id)).scalar_one()
        return admin.set_team(tx, name, lead) if user.supervisor_id != node.supervisor_id else 0

    params = {"territory": territory, "department": department, "manager": manager}
    return write_logged(db, actor, "users.place", name, params, go, lambda n: {"customers": n})

"""``python -m server territory …`` and ``python -m server department …``: the territory tree, the
departments and where users stand, over the same service functions as the admin HTTP API
(server/territories.py), logged in the admin log with ``via`` = ``cli``. Conventions of server/cli.py."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from server import administration as adm
from server import territories as terr
from server.cli_common import CliError, open_db


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


def _node_id(text: str | None, what: str = "NODE") -> int | None:
    """A node's number ('-' or nothing: none)."""
    if text in (None, "", "-"):
        return None
    try:
        value = int(str(text))
    except ValueError:
        raise CliError(f"{what}: {str(text)[:40]!r} is not a node number (see territory list)") from None
    if not 1 <= value < 2**31:
        raise CliError(f"{what}: {value} is not a node number (see territory list)")
    return value


def _need(value: Any, usage: str) -> Any:
    if value in (None, ""):
        raise CliError(usage)
    return value


def cmd_territory(args: argparse.Namespace) -> int:
    actor, db = adm.Actor.cli(), open_db(args)
    a = args.action
    if a == "list":
        out = terr.show(db, actor)
        depth: dict[int, int] = {}
        for n in out["nodes"]:
            depth[n["id"]] = depth[n["parent"]] + 1 if n["parent"] else 0
            extra = f"\tmanager: {n['supervisor']}" if n["supervisor"] else ""
            users = f"\tusers: {', '.join(n['users'])}" if n["users"] else ""
            _out(f"{'  ' * depth[n['id']]}{n['id']}\t{n['level']}\t{n['name']}{extra}{users}")
        return 0
    if a == "add":
        name = _need(args.name, "territory add NAME --level province|city|county|team [--parent NODE]")
        level = _need(args.level, "territory add needs --level province|city|county|team")
        node = terr.add_node(db, actor, name, level, _node_id(args.parent, "--parent"), args.supervisor)
        _out(str(node["id"]))
        _err(f"{node['level']} {node['name']!r} added as node {node['id']}.")
        return 0
    node_id = _node_id(_need(args.node, f"territory {a} NODE …"))
    if node_id is None:
        raise CliError(f"territory {a} needs the node's number (territory list)")
    if a == "rename":
        terr.rename_node(db, actor, node_id, _need(args.name, "territory rename NODE NAME"))
    elif a == "move":
        terr.move_node(db, actor, node_id, _node_id(_need(args.parent, "territory move NODE --parent NODE|-")))
    elif a == "manager":
        sup = _need(args.supervisor, "territory manager NODE --supervisor NAME|-")
        n = terr.set_supervisor(db, actor, node_id, None if sup == "-" else sup)
        _err(f"{n} customers moved with the collectors who joined the team.")
    else:
        terr.remove_node(db, actor, node_id)
    _err(f"Node {node_id}: {a} done.")
    return 0


def cmd_department(args: argparse.Namespace) -> int:
    actor, db = adm.Actor.cli(), open_db(args)
    if args.action == "list":
        for d in terr.show(db, actor)["departments"]:
            _out(f"{d['code']}\t{d['name']}\t{d['users']} users\t{d['fields']} fields")
        return 0
    code = _need(args.code, f"department {args.action} CODE …")
    if args.action == "add":
        terr.add_department(db, actor, code, _need(args.name, "department add CODE NAME"))
    elif args.action == "rename":
        terr.rename_department(db, actor, code, _need(args.name, "department rename CODE NAME"))
    else:
        terr.remove_department(db, actor, code)
    _err(f"Department {code}: {args.action} done.")
    return 0


def cmd_place(args: argparse.Namespace) -> int:
    department = None if args.department in (None, "-") else args.department
    n = terr.place_user(open_db(args), adm.Actor.cli(), args.user, _node_id(args.node), department, args.manager)
    _err(f"{args.user} placed; {n} customers moved with them.")
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The subcommands, on the parser of server/cli.py."""
    t = sub.add_parser("territory", parents=[common], help="the territory tree: province → city → county → team")
    t.add_argument("action", choices=["list", "add", "rename", "move", "manager", "remove"])
    t.add_argument("node", nargs="?", help="add: the name; others: the node's number (territory list)")
    t.add_argument("name", nargs="?", help="rename: the new name")
    t.add_argument("--level", choices=list(terr.LEVELS), help="add: the new node's level")
    t.add_argument("--parent", help="add, move: the parent node's number ('-': a root)")
    t.add_argument("--supervisor", help="add (a team), manager: the team's market manager ('-': none)")
    t.set_defaults(func=_territory)
    d = sub.add_parser("department", parents=[common], help="the departments that own fields")
    d.add_argument("action", choices=["list", "add", "rename", "remove"])
    d.add_argument("code", nargs="?")
    d.add_argument("name", nargs="?")
    d.set_defaults(func=cmd_department)
    p = sub.add_parser("place", parents=[common], help="a user's territory node and department")
    p.add_argument("user")
    p.add_argument("--node", help="the node's number ('-' or nothing: none)")
    p.add_argument("--department", help="the department's code ('-' or nothing: none)")
    p.add_argument("--manager", action="store_true", help="the department's manager (e.g. 市场部经理: bulk signature)")
    p.set_defaults(func=cmd_place)


def _territory(args: argparse.Namespace) -> int:
    if args.action == "add":  # `territory add NAME`: the positional is the name
        args.name, args.node = args.node, None
    return cmd_territory(args)

"""``python -m server integration add|list|show|rotate|revoke``: machine accounts from the command line.

Each action calls the service functions of server/integrations.py (the same an admin HTTP API would
call). A new or rotated token is the only line on stdout (shown once: only its hash is kept), so a
script can capture it; what happened is said on stderr. ``list`` and ``show`` print JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from server import integrations
from server.db import Database
from server.integrations import IntegrationError


def add_parser(sub: Any, common: argparse.ArgumentParser, open_db: Callable[[argparse.Namespace], Database]) -> None:
    p = sub.add_parser("integration", parents=[common], help="machine accounts and their API tokens")
    p.add_argument("action", choices=["add", "list", "show", "rotate", "revoke"])
    p.add_argument("name", nargs="?")
    p.add_argument("--department", help="add: the department that owns the integration")
    p.add_argument(
        "--scope",
        action="append",
        default=[],
        help=f"add: an allowed operation, repeated or comma separated ({', '.join(integrations.SCOPES)})",
    )
    p.add_argument(
        "--team",
        action="append",
        default=None,
        help="add: a supervisor whose team's customers it reaches (repeat; none: the whole deployment)",
    )
    p.add_argument("--rate", type=int, default=integrations.DEFAULT_RATE_PER_MINUTE, help="add: calls a minute")
    p.add_argument("--burst", type=int, default=integrations.DEFAULT_BURST, help="add: calls at once")
    p.add_argument("--grace", type=float, default=0.0, help="rotate: seconds the old token stays valid (default 0)")
    p.add_argument("--calls", type=int, default=20, help="show: the newest N calls (default 20)")
    p.set_defaults(func=lambda args: run(args, open_db))


def run(args: argparse.Namespace, open_db: Callable[[argparse.Namespace], Database]) -> int:
    if args.action != "list" and not args.name:
        raise IntegrationError(f"integration {args.action} needs the integration's name")
    db = open_db(args)
    if args.action == "add":
        if not args.department:
            raise IntegrationError("integration add needs --department")
        scopes = [s for value in args.scope for s in value.split(",")]
        teams = [t for value in args.team for t in value.split(",") if t.strip()] if args.team else None
        _info, token = db.write(
            lambda tx: integrations.add_integration(
                tx,
                args.name,
                args.department,
                scopes,
                territory=teams,
                rate_per_minute=args.rate,
                burst=args.burst,
            )
        )
        sys.stdout.write(token + "\n")
        sys.stderr.write(f"Integration {args.name} added; its token is shown only now: keep it safe.\n")
        return 0
    if args.action == "rotate":
        token = db.write(lambda tx: integrations.rotate(tx, args.name, args.grace))
        sys.stdout.write(token + "\n")
        sys.stderr.write(f"New token of {args.name}; the older ones stay valid {args.grace:g} s more.\n")
        return 0
    if args.action == "revoke":
        db.write(lambda tx: integrations.revoke(tx, args.name))
        sys.stderr.write(f"Integration {args.name} is revoked: its tokens are refused.\n")
        return 0
    with db.read() as conn:
        if args.action == "list":
            out: Any = integrations.list_integrations(conn)
        else:
            out = {
                **integrations.describe(conn, args.name),
                "recent_calls": integrations.calls(conn, args.name, args.calls),
            }
    sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    return 0

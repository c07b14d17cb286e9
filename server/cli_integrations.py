"""``python -m server integration add|list|show|rotate|revoke|fields``: machine accounts from the command line;
``python -m server webhook set|secret|remove|dead|pending|replay|dismiss|deliver|purge``: their webhooks
(server/webhooks.py) and the purge of the outbound tables (server/outbound_purge.py);
``python -m server licensee-rule set|remove|list``: which owner new licensees of a region go to (server/inbound.py).

Each action calls the service functions of server/integrations.py (the same an admin HTTP API would
call). A new or rotated token is the only line on stdout (shown once: only its hash is kept), so a
script can capture it; what happened is said on stderr. ``list`` and ``show`` print JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from typing import Any

from server import inbound, integrations, outbound_purge, webhooks
from server.config import Settings
from server.db import Database, Tx
from server.integrations import IntegrationError


def add_parser(sub: Any, common: argparse.ArgumentParser, open_db: Callable[[argparse.Namespace], Database]) -> None:
    p = sub.add_parser("integration", parents=[common], help="machine accounts and their API tokens")
    p.add_argument("action", choices=["add", "list", "show", "rotate", "revoke", "fields"])
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
    p.add_argument(
        "--field",
        action="append",
        default=None,
        help="add, fields: a form field its outbound feed and webhook carry (repeat or comma separated)",
    )
    p.add_argument("--all-fields", action="store_true", help="fields: carry every field (the default)")
    p.add_argument("--calls", type=int, default=20, help="show: the newest N calls (default 20)")
    p.set_defaults(func=lambda args: run(args, open_db))
    w = sub.add_parser("webhook", parents=[common], help="integrations' webhooks and their dead-letter list")
    w.add_argument(
        "action", choices=["set", "secret", "remove", "dead", "pending", "replay", "dismiss", "deliver", "purge"]
    )
    w.add_argument("name", nargs="?", help="the integration (replay, dismiss: the delivery id)")
    w.add_argument("url", nargs="?", help="set: https://… (http:// only to a loopback address)")
    w.add_argument("--from-start", action="store_true", help="set: a new webhook sends every change so far too")
    w.add_argument("--rounds", type=int, default=1, help="deliver: delivery rounds to run (default 1)")
    w.add_argument("--days", type=float, default=None, help="purge: the retention (default: the deployment's)")
    w.add_argument("--dry-run", action="store_true", help="purge: count what would go, remove nothing")
    w.set_defaults(func=lambda args: run_webhook(args, open_db))
    r = sub.add_parser("licensee-rule", parents=[common], help="who new licensees of a region are assigned to")
    r.add_argument("action", choices=["set", "remove", "list"])
    r.add_argument("prefix", nargs="?", help="set, remove: a region code prefix (2 to 12 digits)")
    r.add_argument("owner", nargs="?", help="set: the collector or supervisor")
    r.set_defaults(func=lambda args: run_rule(args, open_db))


def run_rule(args: argparse.Namespace, open_db: Callable[[argparse.Namespace], Database]) -> int:
    db = open_db(args)
    try:
        if args.action == "set":
            if not (args.prefix and args.owner):
                raise IntegrationError("licensee-rule set needs PREFIX OWNER")
            db.write(lambda tx: inbound.set_rule(tx, args.prefix, args.owner))
            sys.stderr.write(f"New licensees of region {args.prefix}… go to {args.owner}.\n")
            return 0
        if args.action == "remove":
            if not args.prefix:
                raise IntegrationError("licensee-rule remove needs PREFIX")
            db.write(lambda tx: inbound.remove_rule(tx, args.prefix))
            sys.stderr.write(f"The rule for {args.prefix} is removed.\n")
            return 0
    except inbound.InboundError as exc:
        raise IntegrationError(str(exc)) from None
    with db.read() as conn:
        sys.stdout.write(json.dumps(inbound.rules(conn), ensure_ascii=False, indent=1) + "\n")
    return 0


def run(args: argparse.Namespace, open_db: Callable[[argparse.Namespace], Database]) -> int:
    if args.action != "list" and not args.name:
        raise IntegrationError(f"integration {args.action} needs the integration's name")
    db = open_db(args)
    if args.action == "add":
        if not args.department:
            raise IntegrationError("integration add needs --department")
        scopes = [s for value in args.scope for s in value.split(",")]
        teams = [t for value in args.team for t in value.split(",") if t.strip()] if args.team else None

        def add(tx: Tx) -> str:
            _info, token = integrations.add_integration(
                tx, args.name, args.department, scopes, territory=teams, rate_per_minute=args.rate, burst=args.burst
            )
            if args.field:  # in the same transaction: a bad field adds nothing
                integrations.set_fields(tx, args.name, _fields(args))
            return token

        token = db.write(add)
        sys.stdout.write(token + "\n")
        sys.stderr.write(f"Integration {args.name} added; its token is shown only now: keep it safe.\n")
        return 0
    if args.action == "fields":
        if bool(args.field) == bool(args.all_fields):
            raise IntegrationError("integration fields needs --field KEY (repeatable) or --all-fields")
        chosen = db.write(lambda tx: integrations.set_fields(tx, args.name, None if args.all_fields else _fields(args)))
        what = ", ".join(chosen) if chosen else "every field"
        sys.stderr.write(f"The outbound feed of {args.name} carries {what}.\n")
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


def _fields(args: argparse.Namespace) -> list[str]:
    return [f for value in args.field or [] for f in value.split(",") if f.strip()]


def run_webhook(args: argparse.Namespace, open_db: Callable[[argparse.Namespace], Database]) -> int:
    """A new secret is the only line on stdout (shown once); lists print JSON; what happened goes to stderr."""
    if args.action not in ("dead", "pending", "deliver", "purge") and not args.name:
        what = "the delivery id" if args.action in ("replay", "dismiss") else "the integration's name"
        raise IntegrationError(f"webhook {args.action} needs {what}")
    db = open_db(args)
    if args.action == "set":
        if not args.url:
            raise IntegrationError("webhook set needs the URL: webhook set NAME https://…")
        secret = db.write(lambda tx: webhooks.set_webhook(tx, args.name, args.url, from_start=args.from_start))
        if secret is None:
            sys.stderr.write(f"The webhook of {args.name} now posts to {args.url}; its secret is unchanged.\n")
        else:
            sys.stdout.write(secret + "\n")
            sys.stderr.write(f"Webhook of {args.name} set; its signing secret is shown only now: keep it safe.\n")
        return 0
    if args.action == "secret":
        sys.stdout.write(db.write(lambda tx: webhooks.new_secret(tx, args.name)) + "\n")
        sys.stderr.write(f"New signing secret of {args.name}'s webhook; the old one signs nothing more.\n")
        return 0
    if args.action == "remove":
        dead = db.write(lambda tx: webhooks.remove_webhook(tx, args.name))
        sys.stderr.write(f"Webhook of {args.name} removed; {dead} pending batch(es) moved to the dead-letter list.\n")
        return 0
    if args.action == "replay":
        out: Any = db.write(lambda tx: webhooks.replay(tx, args.name))
        sys.stderr.write(f"Delivery {args.name} will be sent again.\n")
    elif args.action == "dismiss":
        out = db.write(lambda tx: webhooks.dismiss(tx, args.name))
        sys.stderr.write(f"Delivery {args.name} is dismissed; the purge removes it after the retention.\n")
    elif args.action == "purge":
        days = Settings.from_env().outbound_retention_days if args.days is None else args.days
        if not 1 <= days <= 100_000:
            raise IntegrationError("the retention (--days) is 1 to 100000 days")
        out = db.write(lambda tx: outbound_purge.purge(tx, days, dry_run=args.dry_run))
    elif args.action == "deliver":
        if not 1 <= args.rounds <= 1000:
            raise IntegrationError("--rounds is 1 to 1000")
        settings = Settings.from_env()
        owner = f"cli:{os.getpid()}:{secrets.token_hex(4)}"
        made = 0
        for i in range(args.rounds):
            if i:
                time.sleep(settings.webhook_poll or 1.0)
            made += webhooks.run_once(db, settings, owner)
        out = {"attempts": made}
    else:
        with db.read() as conn:
            out = webhooks.deliveries(conn, args.name, webhooks.DEAD if args.action == "dead" else webhooks.PENDING)
    sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    return 0

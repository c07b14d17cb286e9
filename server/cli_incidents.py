"""``python -m server incident …``: incident records (a leak, a lost laptop; issue 18), over the same
service functions as the admin HTTP API (server/incidents.py), logged in the admin log with ``via`` =
``cli``. Conventions of server/cli.py: results on stdout, what was done on stderr, one line per refusal."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from server import administration as adm
from server import incidents as inc
from server.cli_common import CliError, open_db


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _when(at: float) -> str:
    china = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.fromtimestamp(at, china).strftime("%Y-%m-%d %H:%M")


def _number(text: str | None) -> int:
    try:
        value = int(str(text))
    except ValueError:
        raise CliError(f"{str(text)[:40]!r} is not an incident number (see incident list)") from None
    if not 1 <= value < 2**31:
        raise CliError(f"{value} is not an incident number (see incident list)")
    return value


def _print(i: dict[str, Any]) -> None:
    _out(f"incident {i['id']}\t{i['kind']}\t{i['occurred_on']}\t{i['state']}")
    _out(f"what happened: {i['summary']}")
    _out(
        f"customers affected: {len(i['customers'])}"
        + (f" ({', '.join(i['customers'][:5])} …)" if i["customers"] else "")
    )
    _out(f"remedy: {i['remedy'] or '—'}")
    _out(f"who was told: {i['notified'] or '—'}")
    for s in i["steps"]:
        detail = ", ".join(f"{k}={v}" for k, v in s["detail"].items())
        _out(f"  {_when(s['at'])}\t{s['action']}\t{s['by']}\t{detail}")


def cmd_incident(args: argparse.Namespace) -> int:
    actor, db = adm.Actor.cli(), open_db(args)
    a = args.action
    if a == "list":
        for r in inc.list_incidents(db, actor, args.state):
            _out(
                f"{r['id']}\t{r['kind']}\t{r['occurred_on']}\t{r['state']}\t{r['customers']} customers\t{r['summary']}"
            )
        return 0
    if a == "open":
        if not args.kind or not args.day or not args.text:
            raise CliError("incident open --kind KIND --day YYYY-MM-DD --text 'what happened' [--customer ID|CODE …]")
        _print(inc.open_incident(db, actor, args.kind, args.day, args.text, args.customer or []))
        return 0
    number = _number(args.number)
    if a == "show":
        _print(inc.show(db, actor, number))
    elif a == "revoke":
        if not args.user or not args.device:
            raise CliError("incident revoke NUMBER --user NAME --device DEVICE_ID")
        _print(inc.revoke_device(db, actor, number, args.user, args.device))
    elif a in ("remedy", "notified"):
        if not args.text:
            raise CliError(f"incident {a} NUMBER --text '…'")
        _print(inc.record(db, actor, number, a, args.text))
    else:
        _print(inc.close(db, actor, number))
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The subcommand, on the parser of server/cli.py."""
    p = sub.add_parser("incident", parents=[common], help="incident records: a leak, a lost laptop (issue 18)")
    p.add_argument("action", choices=["list", "open", "show", "revoke", "remedy", "notified", "close"])
    p.add_argument("number", nargs="?", help="the incident's number (incident list)")
    p.add_argument("--kind", choices=list(inc.KINDS), help="open: what kind of incident")
    p.add_argument("--day", help="open: the day it happened (YYYY-MM-DD)")
    p.add_argument("--text", help="open: what happened; remedy: the remedy; notified: who was told")
    p.add_argument("--customer", action="append", help="open: an affected customer (id or code; repeat)")
    p.add_argument("--user", help="revoke: the device's user")
    p.add_argument("--device", help="revoke: the device id (devices list)")
    p.add_argument("--state", choices=["open", "closed"], help="list: only open or closed ones")
    p.set_defaults(func=cmd_incident)

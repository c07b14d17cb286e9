"""``python -m server cover …`` and ``python -m server alert …``: AB posts and the alerts to admins (issue 18),
over the same service functions as the HTTP API (server/covers.py, server/alerts.py), logged in the admin log
with ``via`` = ``cli``. Conventions of server/cli.py: results on stdout, one line per refusal."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from server import administration as adm
from server import alerts
from server import covers as cov
from server.cli_common import CliError, open_db
from server.config import CHINA_TZ, Settings


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _when(at: float | None) -> str:
    return "—" if at is None else dt.datetime.fromtimestamp(at, CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def _number(text: str | None, what: str) -> int:
    try:
        value = int(str(text))
    except ValueError:
        raise CliError(f"{str(text)[:40]!r} is not a {what} number (see {what} list)") from None
    if not 1 <= value < 2**31:
        raise CliError(f"{value} is not a {what} number (see {what} list)")
    return value


def _print(c: dict[str, Any]) -> None:
    _out(
        f"cover {c['id']}\t{c['absent']} → {c['cover']}\t{_when(c['starts_at'])} – {_when(c['ends_at'])}\t{c['state']}"
    )
    _out(f"reason: {c['reason']}\tset by: {c['set_by']}" + (f"\tended early by: {c['cut_by']}" if c["cut_by"] else ""))
    for h in c.get("handover", []):
        _out(f"  handover {h['event']} {_when(h['at'])}: {h['customers']} customers, {len(h['open'])} open")
        for o in h["open"]:
            _out(f"    {o['code'] or o['id']}\t{o['shop']}\t{o['status']}")


def cmd_cover(args: argparse.Namespace) -> int:
    actor, db = adm.Actor.cli(), open_db(args)
    if args.action == "list":
        for c in cov.list_covers(db, actor, None):
            _out(
                f"{c['id']}\t{c['absent']} → {c['cover']}\t{_when(c['starts_at'])} – {_when(c['ends_at'])}"
                f"\t{c['state']}\t{c['reason']}"
            )
        return 0
    if args.action == "set":
        if not (args.absent and args.cover and args.starts and args.ends and args.reason):
            raise CliError("cover set --absent A --cover B --from DATE --to DATE --reason '…'")
        _print(cov.set_cover(db, actor, None, args.absent, args.cover, args.starts, args.ends, args.reason))
        return 0
    number = _number(args.number, "cover")
    _print(cov.show(db, actor, None, number) if args.action == "show" else cov.cut(db, actor, None, number))
    return 0


def cmd_alert(args: argparse.Namespace) -> int:
    actor, db, settings = adm.Actor.cli(), open_db(args), Settings.from_env()
    if args.action == "list":
        for a in alerts.list_alerts(db, actor, settings, unacknowledged=args.unacknowledged):
            ack = (
                f"acknowledged by {a['acknowledged_by']} {_when(a['acknowledged_at'])}"
                if a["acknowledged_by"]
                else "new"
            )
            _out(
                f"{a['id']}\t{_when(a['raised_at'])}\t{a['kind']}\t{a['subject']}\t{a['count']}/{a['threshold']}\t{ack}"
            )
        return 0
    a = alerts.acknowledge(db, actor, settings, _number(args.number, "alert"))
    _out(f"alert {a['id']} acknowledged by {a['acknowledged_by']} {_when(a['acknowledged_at'])}")
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The subcommands, on the parser of server/cli.py."""
    p = sub.add_parser("cover", parents=[common], help="AB posts: B covers A's customers for a period (issue 18)")
    p.add_argument("action", choices=["list", "set", "show", "end"])
    p.add_argument("number", nargs="?", help="show, end: the cover's number (cover list)")
    p.add_argument("--absent", help="set: A, the customer manager on leave")
    p.add_argument("--cover", help="set: B, who keeps A's customers meanwhile")
    p.add_argument("--from", dest="starts", help="set: first day (YYYY-MM-DD, China) or a time (YYYY-MM-DDTHH:MM)")
    p.add_argument("--to", dest="ends", help="set: last day (the whole day is covered) or a time")
    p.add_argument("--reason", help="set: why (the leave)")
    p.set_defaults(func=cmd_cover)
    a = sub.add_parser("alert", parents=[common], help="alerts to admins: failed logins, refused tokens, exports")
    a.add_argument("action", choices=["list", "ack"])
    a.add_argument("number", nargs="?", help="ack: the alert's number (alert list)")
    a.add_argument("--unacknowledged", action="store_true", help="list: only those not acknowledged yet")
    a.set_defaults(func=cmd_alert)

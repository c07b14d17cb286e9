"""``python -m server filings …``: the deployment's filing kinds (and changing a kind's owner, due day and
shift), what one user owes this month and what is overdue, and every filing of a month or of one state, over
the functions of the HTTP API (server/filings.py). Conventions of server/cli.py; a change of a kind is
written to the admin log."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from sqlalchemy import update

from server import administration, filings
from server.accounts import require_user
from server.cli_common import CliError, open_db
from server.errors import ApiError
from server.onboarding import OnboardingError, check_owner
from server.schema_filings import filing_kinds


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _line(f: dict[str, Any]) -> str:
    when = f["filed_at"] or ("REMIND" if f["remind"] else "")
    return f"{f['month']}\t{f['kind']}\t{f['owner']}\tdue {f['due']}\t{f['state']}\t{when}"


def _set_kind(db: Any, args: argparse.Namespace) -> None:
    values: dict[str, Any] = {}
    if args.due_day is not None:
        if not 1 <= args.due_day <= 31:
            raise CliError("--due-day is a day from 1 to 31 (a shorter month: its last day)")
        values["due_day"] = args.due_day
    if args.shift is not None:
        values["shift"] = args.shift == "yes"

    def work(tx: Any) -> None:
        if args.owner:
            values["owner"] = check_owner(tx.conn, args.owner)
        if not values:
            raise CliError("filings kind CODE needs --owner, --due-day or --shift")
        done = tx.conn.execute(update(filing_kinds).where(filing_kinds.c.code == args.target).values(**values))
        if done.rowcount != 1:
            raise CliError(f"there is no filing kind {args.target!r}")

    try:
        administration.write_logged(db, administration.Actor.cli(), "filing.kind", args.target, values, work)
    except OnboardingError as exc:
        raise CliError(str(exc)) from None


def cmd_filings(args: argparse.Namespace) -> int:
    db, a = open_db(args), args.action
    try:
        if a == "kind":
            if not args.target:
                raise CliError("filings kind CODE [--owner OWNER] [--due-day N] [--shift yes|no]")
            _set_kind(db, args)
            a = "kinds"
        if a == "kinds":
            for k in filings.kinds_wire(db):
                shift = "shift" if k["shift"] else "no shift"
                _out(f"{k['code']}\t{k['owner']}\tday {k['due_day']}\t{shift}\t{k['name']}")
        elif a == "owed":
            if not args.user:
                raise CliError("filings owed needs --user NAME")
            with db.read() as conn:
                user = require_user(conn, args.user)
            mine = filings.mine(db, user)
            for f in [*mine["current"], *mine["overdue"]]:
                _out(_line(f))
        else:
            if args.month:
                filings.parse_month(args.month)
            with db.read() as conn:
                if args.user:
                    who = require_user(conn, args.user)
                    rows = filings.listing(db, who, args.month, args.state)
                else:  # everyone's
                    months = [args.month] if args.month else filings.months_back(time.time(), filings.LOOKBACK_MONTHS)
                    rows = [
                        f
                        for f in filings.obligations(conn, months, None, time.time())
                        if args.state is None or f["state"] == args.state
                    ]
            for f in rows:
                _out(_line(f))
    except ApiError as exc:
        raise CliError(f"{exc.code}: {exc.message}") from None
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The subcommand, on the parser of server/cli.py."""
    o = sub.add_parser("filings", parents=[common], help="monthly filings: kinds, what is owed, what is overdue")
    o.add_argument("action", choices=["kinds", "kind", "owed", "list"])
    o.add_argument("target", nargs="?", help="kind: the kind's code")
    o.add_argument("--owner", help="kind: role:collector, role:supervisor or department:<code>")
    o.add_argument("--due-day", type=int, help="kind: the day of the following month it is due")
    o.add_argument("--shift", choices=["yes", "no"], help="kind: a due day off moves to the next working day")
    o.add_argument("--user", help="owed: whose; list: as whom (default: everyone's)")
    o.add_argument("--month", help="list: YYYY-MM (default: the last twelve months)")
    o.add_argument("--state", choices=["due", "overdue", "filed", "late"], help="list: only this state")
    o.set_defaults(func=cmd_filings)

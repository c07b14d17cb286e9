"""What the server's command lines (server/cli.py and its admin commands, server/cli_admin.py) share:
``CliError`` (a refused command, one line), the new password from the terminal or
FIELDARCHIVE_NEW_PASSWORD, the database a command opens (migrated first), and a date argument; and what the
case commands (``onboarding``, ``change``: server/cli_onboarding.py, server/cli_changes.py) share: a line out,
the ``--user`` a command acts as, the arguments of doing a step, a phone call or notice given as
WHO|NUMBER|OUTCOME, a case's line after a step."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from server import runconfig
from server.accounts import User, require_user
from server.config import CHINA_TZ, database_url
from server.db import Database
from server.migrate import upgrade

ENV_NEW_PASSWORD = "FIELDARCHIVE_NEW_PASSWORD"


class CliError(Exception):
    """A refused command; the message is the one line shown."""


def new_password() -> str:
    value = os.environ.get(ENV_NEW_PASSWORD)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise CliError(f"no password given: set {ENV_NEW_PASSWORD} or run the command in a terminal")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise CliError("the two entries are not the same")
    return first


def open_db(args: argparse.Namespace) -> Database:
    """``--data`` or ``--database``; else those of the configuration (FIELDARCHIVE_CONFIG, FIELDARCHIVE_DATABASE,
    FIELDARCHIVE_DATA: docs/deploy.md), so the admin commands find the service's database on its host."""
    data, database = getattr(args, "data", None), getattr(args, "database", None)
    if not data and not database:
        cfg = runconfig.load(None)
        data, database = cfg.data, cfg.database
    db = Database(database_url(Path(data) if data else None, database))
    upgrade(db)
    return db


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None


def out(line: str) -> None:
    sys.stdout.write(line + "\n")


def acting_user(db: Database, name: str | None, what: str) -> User:
    """The account named by ``--user``; ``what`` (e.g. "change open") names the command when it is missing."""
    if not name:
        raise CliError(f"{what} needs --user NAME")
    with db.read() as conn:
        return require_user(conn, name)


def step_arguments(parser: argparse.ArgumentParser, case: str) -> None:
    """``--user``, ``--step`` and ``--revision`` of a case command; ``case`` what its cases are called."""
    parser.add_argument("--user", help="as whom")
    parser.add_argument("--step", help="do: the step's code")
    parser.add_argument("--revision", type=int, help=f"do: the {case}'s revision as last seen")


def case_line(case: dict[str, Any]) -> str:
    """A case after a step: its id, status and new revision."""
    return f"{case['id']}\t{case['status']}\trevision {case['revision']}"


def notice_arg(text: str | None, what: str) -> dict[str, Any] | None:
    """A call or notice given as WHO|NUMBER|OUTCOME, dated now (None: not given)."""
    if text is None:
        return None
    parts = text.split("|")
    if len(parts) != 3:
        raise CliError(f"{what} takes WHO|NUMBER|OUTCOME (the number may be empty)")
    now = dt.datetime.now(CHINA_TZ).isoformat()
    return {"party": parts[0], "number": parts[1], "outcome": parts[2], "at": now}

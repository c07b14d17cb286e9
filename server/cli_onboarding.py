"""``python -m server onboarding …``: the deployment's step table, opening a case for a licensee whose
information arrived on paper (with the time it arrived), the steps waiting for a user, a case, and doing a
step, over the functions of the HTTP API (server/onboarding.py). Conventions of server/cli.py."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from server import onboarding
from server.cli_common import CliError, acting_user, case_line, notice_arg, open_db, out, step_arguments
from server.config import CHINA_TZ
from server.errors import ApiError


def _received(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--received: {text[:40]!r} is not a date and time (2026-11-20T09:30)") from None
    return at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)


def _steps(db: Any, file: str | None) -> None:
    if file:
        try:
            table = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CliError(f"{file}: {exc}") from None
        rows = db.write(lambda tx: onboarding.set_steps(tx, table))
    else:
        with db.read() as conn:
            rows = onboarding.steps(conn)
    for n, s in enumerate(rows, start=1):
        out(f"{n}\t{s['code']}\t{s['owner']}\t{s['hours']:g} h\t{s['name']}")


def cmd_onboarding(args: argparse.Namespace) -> int:
    db, a = open_db(args), args.action
    try:
        if a == "steps":
            _steps(db, args.file)
        elif a == "open":
            if not args.target:
                raise CliError("onboarding open CUSTOMER [--received 2026-11-20T09:30] [--user NAME]")
            by = acting_user(db, args.user, "onboarding open") if args.user else None
            out(db.write(lambda tx: onboarding.open_case(tx, args.target, _received(args.received), by)))
        elif a == "waiting":
            for w in onboarding.waiting(db, acting_user(db, args.user, "onboarding waiting")):
                s = w["step"]
                late = "OVERDUE" if s["overdue"] else f"{s['hours_left']:g} h left"
                name = w["shop_name"] or w["customer_code"] or w["record_id"]
                out(f"{w['case_id']}\t{s['code']}\t{s['deadline']}\t{late}\t{name}")
        elif a == "show":
            out(
                json.dumps(
                    onboarding.show(db, acting_user(db, args.user, "onboarding show"), args.target or ""),
                    ensure_ascii=False,
                )
            )
        else:
            if not args.target or not args.step or args.revision is None:
                raise CliError("onboarding do CASE --step CODE --revision N --user NAME [--note TEXT] [--phone]")
            phone = notice_arg(args.phone, "--phone")
            body = onboarding.StepIn.model_validate(
                {"step": args.step, "revision": args.revision, "note": args.note or "", "phone": phone}
            )
            case = onboarding.do_step(db, acting_user(db, args.user, "onboarding do"), args.target, body)
            out(case_line(case))
    except ApiError as exc:
        raise CliError(f"{exc.code}: {exc.message}") from None
    except onboarding.OnboardingError as exc:
        raise CliError(str(exc)) from None
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The subcommand, on the parser of server/cli.py."""
    o = sub.add_parser("onboarding", parents=[common], help="onboarding cases: steps, clocks, waiting steps")
    o.add_argument("action", choices=["steps", "open", "waiting", "show", "do"])
    o.add_argument("target", nargs="?", help="open: the customer (code or id); show, do: the case's id")
    o.add_argument("--file", help="steps: replace the step table with this JSON list")
    o.add_argument("--received", help="open: when the information arrived (default: now)")
    step_arguments(o, "case")
    o.add_argument("--note", help="do: what was done")
    o.add_argument("--phone", help="do: the step's phone notice, WHO|NUMBER|OUTCOME (now)")
    o.set_defaults(func=cmd_onboarding)

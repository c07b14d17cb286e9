"""``python -m server change …``: opening a change request on a path (one customer's ``--set FIELD=VALUE``, or
a batch from a JSON file), the change steps waiting for a user, a request, and doing a step with its phone call
or customer notice, over the functions of the HTTP API (server/changes.py). Conventions of server/cli.py."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from server import changes
from server.cli_common import CliError, acting_user, case_line, notice_arg, open_db, out, step_arguments
from server.errors import ApiError


def _value(text: str) -> Any:
    try:
        return json.loads(text)  # a number, a list (multiple choice), null
    except ValueError:
        return text


def _items(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.file:
        try:
            data = json.loads(Path(args.file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CliError(f"{args.file}: {exc}") from None
        if not isinstance(data, list):
            raise CliError(f'{args.file}: a list of {{"record": CODE, "changes": {{FIELD: VALUE}}}}')
        return data
    if not args.target or not args.set:
        raise CliError("change open CUSTOMER --path PATH --set FIELD=VALUE … --user NAME (or --file BATCH.json)")
    pairs = [s.partition("=") for s in args.set]
    if any(not sep or not key for key, sep, _v in pairs):
        raise CliError("--set takes FIELD=VALUE")
    return [{"record": args.target, "changes": {k: _value(v) for k, _s, v in pairs}}]


def cmd_change(args: argparse.Namespace) -> int:
    db, a = open_db(args), args.action
    try:
        if a == "open":
            data = {"path": args.path or "", "items": _items(args), "note": args.note or "", "received": args.received}
            body = changes.ChangeIn.model_validate(data)
            case = changes.open_change(db, acting_user(db, args.user, "change open"), body)
            out(f"{case['id']}\t{case['path']}\t{len(case['items'])} customer(s)")
        elif a == "waiting":
            for w in changes.waiting(db, acting_user(db, args.user, "change waiting")):
                s = w["step"]
                left = "no limit" if s["deadline"] is None else f"{s['hours_left']:g} h left"
                late = "OVERDUE" if s["overdue"] else left
                who = f"{len(w['items'])} customer(s)"
                out(f"{w['case_id']}\t{w['path']}\t{s['code']}\t{s['deadline']}\t{late}\t{who}")
        elif a == "show":
            out(
                json.dumps(
                    changes.show(db, acting_user(db, args.user, "change show"), args.target or ""), ensure_ascii=False
                )
            )
        else:
            if not args.target or not args.step or args.revision is None:
                raise CliError("change do CASE --step CODE --revision N --user NAME [--note] [--phone] [--told]")
            step = changes.ChangeStepIn.model_validate(
                {
                    "step": args.step,
                    "revision": args.revision,
                    "note": args.note or "",
                    "phone": notice_arg(args.phone, "--phone"),
                    "customer_notice": notice_arg(args.told, "--told"),
                }
            )
            case = changes.do_step(db, acting_user(db, args.user, "change do"), args.target, step)
            out(case_line(case))
    except ApiError as exc:
        raise CliError(f"{exc.code}: {exc.message}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CliError(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The subcommand, on the parser of server/cli.py."""
    o = sub.add_parser("change", parents=[common], help="change requests: paths, steps, clocks, notices")
    o.add_argument("action", choices=["open", "waiting", "show", "do"])
    o.add_argument("target", nargs="?", help="open: the customer (code or id); show, do: the request's id")
    o.add_argument("--path", choices=list(changes.PATHS), help="open: own, county, city, emergency or bulk")
    o.add_argument("--set", action="append", help="open: FIELD=VALUE (JSON for numbers, lists, null)")
    o.add_argument("--file", help="open: a JSON list of {record, changes} (bulk maintenance)")
    o.add_argument("--received", help="open: when the request arrived, 2026-09-30T14:00 China time (default: now)")
    step_arguments(o, "request")
    o.add_argument("--note", help="open, do: a note")
    o.add_argument("--phone", help="do: the step's phone call, WHO|NUMBER|OUTCOME (now)")
    o.add_argument("--told", help="do: how the customer was told, WHO|NUMBER|OUTCOME (now)")
    o.set_defaults(func=cmd_change)

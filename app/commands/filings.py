"""``python -m app filings``: the monthly filings (due by the 3rd; app.services.filings) from the command line:
``list`` what the signed-in user owes for the month just ended and what is overdue; ``save KIND MONTH [OUT]``
writes one filing's workbook (as filed, or as it would be filed now). Both need the server."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.commands.common import CliError, open_session, say
from app.commands.server import signed_in_again
from app.i18n import N_, _


def cmd_filings(args: argparse.Namespace) -> int:
    from app.errors import SyncError
    from app.services import filings, syncing

    session = open_session(args)
    try:
        signed_in_again(session)
        client = syncing.client_for(session)
        try:
            owed = filings.owed(client)
            if args.action == "list":
                for f in (*owed.current, *owed.overdue):
                    mark = _("reminder") if f.remind else ""
                    say("\t".join((f.month, f.kind, f.name, f.due, filings.state_text(f), mark)))
                return 0
            if not args.kind or not args.month:
                raise CliError(N_("filings save needs the filing's kind and month, e.g. collector_orders 2026-11."))
            item = next(
                (f for f in (*owed.current, *owed.overdue) if (f.kind, f.month) == (args.kind, args.month)), None
            )
            if item is None:
                raise CliError(N_("You owe no filing {kind} for {month}."), kind=args.kind, month=args.month)
            full = filings.fetch(client, item)
        finally:
            client.close()
        out = Path(args.out or f"{args.kind}-{args.month}.xlsx")
        filings.save(session, full, out.with_suffix(".xlsx") if not out.suffix else out, args.lang)
        say(_("The filing was written to {file}.").format(file=out))
    except SyncError as exc:
        raise CliError(N_("The filings need the server: {reason}"), reason=exc.message(args.lang)) from None
    finally:
        session.close()
    return 0


def add_parser(add: Callable[[str, Any, str], argparse.ArgumentParser]) -> None:
    """The subcommand, on the parser of app/cli.py (``add`` is its helper: name, function, help)."""
    sp = add("filings", cmd_filings, "the monthly filings (due by the 3rd): what you owe, a filing's workbook")
    sp.add_argument("action", choices=["list", "save"])
    sp.add_argument("kind", nargs="?", help="save: the filing's kind (collector_orders, special_use, …)")
    sp.add_argument("month", nargs="?", help="save: YYYY-MM")
    sp.add_argument("out", nargs="?", help="save: the .xlsx file (default KIND-MONTH.xlsx)")

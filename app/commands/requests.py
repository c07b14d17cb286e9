"""``python -m app export-requests …``: export requests (导出申请) from the command line: list them as the
server has them (kept in the archive, so that ``export --request ID`` can use an approval at once),
ask for one, approve or refuse one (a market manager's team, an admin's all; never one's own).

Refusals (not signed in, the server's answer, a missing part of a request) print the message in the
chosen language on one line and exit 2, as every command does (app.cli.main)."""

from __future__ import annotations

import argparse
import datetime as dt

from app.commands.common import CliError, open_session, say, say_json
from app.commands.server import signed_in_again
from app.errors import SyncError
from app.i18n import N_, _, ngettext
from app.models import times
from app.models.remote import ExportRequest
from app.services import export_requests, syncing

STATES = {"pending": N_("waiting"), "approved": N_("approved"), "refused": N_("refused")}


def _when(seconds: float | None) -> str:
    return times.shown(dt.datetime.fromtimestamp(seconds, dt.UTC)) if seconds else ""


def _line(r: ExportRequest) -> str:
    state = _(STATES.get(r.state, r.state))
    if r.state == "approved":
        state += " " + _("until {date}").format(date=_when(r.valid_until))
    full = _("full numbers") if r.unmasked else _("masked")
    return f"{r.id}  {state}  {r.applicant_name} ({r.applicant})  {full}  {r.target} — {r.purpose}: {r.reason}"


def _wire(r: ExportRequest) -> dict[str, object]:
    return {
        "id": r.id,
        "applicant": r.applicant,
        "target": r.target,
        "purpose": r.purpose,
        "reason": r.reason,
        "unmasked": r.unmasked,
        "state": r.state,
        "approver": r.approver,
        "note": r.note,
        "created_at": r.created_at,
        "valid_until": r.valid_until,
    }


def cmd_export_requests(args: argparse.Namespace) -> int:
    session = open_session(args)
    try:
        signed_in_again(session)
        client = syncing.client_for(session)
        try:
            if args.action == "list":
                kept = export_requests.keep(session, export_requests.listed(client))
            elif args.action == "request":
                made = export_requests.ask(
                    client, args.target or "", args.purpose or "", args.reason or "", args.unmasked
                )
            else:
                if not args.id:
                    raise CliError(N_("Name the request (its id; `export-requests list` shows them)."))
                made = export_requests.decide(client, args.id, args.action == "approve", args.reason or "")
        finally:
            client.close()
    except SyncError as exc:
        raise CliError(N_("Export requests need the server: {reason}"), reason=exc.message(args.lang)) from None
    finally:
        session.close()
    if args.action != "list":
        if args.json:
            say_json(_wire(made))
        else:
            say(_line(made))
        return 0
    if args.json:
        say_json([_wire(r) for r in kept.requests])
        return 0
    for r in kept.requests:
        say(_line(r))
    waiting = sum(r.state == "pending" for r in kept.requests)
    say(
        ngettext(
            "{n} export request; {waiting} waiting for a decision.",
            "{n} export requests; {waiting} waiting for a decision.",
            len(kept.requests),
        ).format(n=len(kept.requests), waiting=waiting)
    )
    return 0


def add_parser(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("action", choices=["list", "request", "approve", "refuse"])
    sp.add_argument("id", nargs="?", help="the request to approve or refuse")
    sp.add_argument("--target", help="request: which customers")
    sp.add_argument("--purpose", help="request: what the file is for")
    sp.add_argument("--reason", help="request: why it is needed; refuse: why it is refused")
    sp.add_argument("--unmasked", action="store_true", help="request: ID and bank numbers in full")
    sp.add_argument("--json", action="store_true")

"""The command line's commands that talk to the sync server: ``login``, ``logout``, ``sync``, ``submit``,
``review`` and ``report`` (the monthly reports from the server's figures).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from app.commands.common import (
    CliError,
    ask_secret,
    open_session,
    say,
    say_json,
)
from app.commands.sheets import MAX_MESSAGE, cut
from app.i18n import N_, _, ngettext, translate
from app.models.sync_state import SERVER_RESTORED

ENV_SERVER_PASSWORD = "FIELDARCHIVE_SERVER_PASSWORD"


def cmd_login(args: argparse.Namespace) -> int:
    from app.services import syncing

    problem = syncing.server_problem(args.server)
    if problem is not None:  # before the password is even asked for
        raise problem
    if syncing.insecure_address(args.server):
        sys.stderr.write(translate(_INSECURE_WARNING) + "\n")
    password = ask_secret(ENV_SERVER_PASSWORD, _("Server password for {user}: ").format(user=args.user))
    session = open_session(args)
    try:
        data = syncing.login(session, args.server, args.user, password)
        persist = syncing.tokens_persist()
    finally:
        session.close()
    say(
        _("Signed in to {server} as {user} ({role}).").format(
            server=args.server, user=data.user.name, role=data.user.role.value
        )
    )
    if not persist:
        sys.stderr.write(translate(_NO_KEYRING_LOGIN) + "\n")
    return 0


_INSECURE_WARNING = N_(
    "Warning: the connection is not encrypted; the password is sent in clear (--allow-insecure, for development only)."
)
_NO_KEYRING_LOGIN = N_(
    "This computer has no system keyring, so the sign-in is kept only while this program runs; "
    "you will be asked again next time."
)


def cmd_logout(args: argparse.Namespace) -> int:
    from app.services import syncing

    session = open_session(args)
    try:
        syncing.logout(session)
    finally:
        session.close()
    say(_("Signed out. Nothing that was not synced is lost; it is sent after the next sign-in."))
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    """Exit 0: everything sent and received. 1: the sync ran, but customers are refused by the server or
    in conflict with it (each listed with its code, shop name and the server's reasons). 2: the sync
    did not finish (network, sign-in, server), or changes are still waiting: run it again."""
    from app.errors import SyncError
    from app.services import syncing
    from app.services.refusals import refusals

    session = open_session(args)
    try:
        signed_in_again(session)
        outcome = syncing.sync(session)
        problems = refusals(session, args.lang)
    except SyncError as exc:
        raise CliError(N_("Sync did not finish: {reason}"), reason=exc.message(args.lang)) from None
    finally:
        session.close()
    say(
        ngettext(
            "Sent {pushed} change ({conflicts} in conflict, {rejected} refused), received {pulled}; {photos} sent.",
            "Sent {pushed} changes ({conflicts} in conflict, {rejected} refused), received {pulled}; {photos} sent.",
            outcome.pushed,
        ).format(
            pushed=outcome.pushed,
            conflicts=outcome.conflicts,
            rejected=outcome.rejected,
            pulled=outcome.received,
            photos=ngettext("{n} photo", "{n} photos", outcome.photos_up).format(n=outcome.photos_up),
        )
    )
    if outcome.server_restored:
        say(_(SERVER_RESTORED))
    if outcome.audit_problem:
        say(_(outcome.audit_problem))
    if outcome.newer_client:
        say(
            _("Update available: FieldArchive {version}").format(version=outcome.newer_client)
            + (f" · {outcome.download_url}" if outcome.download_url else "")
        )
    refused = [p for p in problems if p.state == "rejected"]
    conflicts = [p for p in problems if p.state == "conflict"]
    if refused:
        say(_("Refused by the server ({n}): correct them and sync again.").format(n=len(refused)))
        for p in refused:
            say("  " + cut(p.line(args.lang), MAX_MESSAGE * 2))
    if conflicts:
        say(_("In conflict with the server ({n}):").format(n=len(conflicts)))
        for p in conflicts:
            say("  " + cut(p.line(args.lang), MAX_MESSAGE * 2))
    if problems:
        sys.stderr.write(
            ngettext(
                "Sync finished, but {refused} customer was refused by the server; in conflict with it: "
                "{conflicts} (listed above).",
                "Sync finished, but {refused} customers were refused by the server; in conflict with "
                "it: {conflicts} (listed above).",
                len(refused),
            ).format(refused=len(refused), conflicts=len(conflicts))
            + "\n"
        )
        return 1
    if not outcome.complete:
        sys.stderr.write(
            ngettext(
                "Sync is not complete: {n} change is still waiting; run it again.",
                "Sync is not complete: {n} changes are still waiting; run it again.",
                outcome.remaining,
            ).format(n=outcome.remaining)
            + "\n"
        )
        return CliError.exit_code
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    """A collector submits drafts (and returned customers) that have no errors."""
    from app.models.record import CustomerStatus, ListQuery
    from app.services import listing, records

    if not args.ids and not args.all:
        raise CliError(N_("Name the customers to submit (their ids), or --all."))
    session = open_session(args)
    try:
        if args.all:
            ids = [
                r.id
                for st in (CustomerStatus.DRAFT, CustomerStatus.RETURNED)
                for r in listing.rows(session, listing.pks(session, ListQuery(status=st)))
            ]
        else:
            ids = list(dict.fromkeys(args.ids))
        done, refused = records.submit(session, ids, note=args.note or "", urgent=args.urgent)
        labels = {f.key: f.label(args.lang) for f in session.form.fields} if refused else {}
    finally:
        session.close()
    for cid, report in refused.items():
        first = report.errors[0]
        say(
            _("Not submitted {id}: {problem}").format(
                id=cid, problem=first.message(labels.get(first.field, first.field), args.lang)
            )
            + (_(" (and {n} more)").format(n=len(report.errors) - 1) if len(report.errors) > 1 else "")
        )
    say(
        ngettext(
            "Submitted {n} customer for review; it is sent at the next sync.",
            "Submitted {n} customers for review; they are sent at the next sync.",
            len(done),
        ).format(n=len(done))
    )
    return 1 if refused else 0


def cmd_review(args: argparse.Namespace) -> int:
    """The market manager's queue and decisions (taken here, sent at the next sync)."""
    from app.services import review

    session = open_session(args)
    try:
        if args.action == "list":
            items = review.queue(session)
            if args.json:
                say_json(
                    [
                        {
                            "id": i.id,
                            "code": i.code,
                            "shop_name": i.shop_name,
                            "owner": i.owner,
                            "kind": i.kind,
                            "urgent": i.urgent,
                            "submitted_at": i.submitted_at.isoformat() if i.submitted_at else None,
                            "deadline": i.deadline.isoformat(),
                            "overdue": i.overdue,
                            "note": i.note,
                            "warnings": i.warnings,
                            "errors": i.errors,
                        }
                        for i in items
                    ]
                )
            else:
                kinds = {"new": _("new"), "change": _("change")}
                for i in items:
                    say(f"{i.id}  {kinds[i.kind]}{'!' if i.urgent else ' '} {i.owner:10} {i.left:24} {i.shop_name}")
                say(
                    ngettext(
                        "{n} submission waiting; {late} overdue.",
                        "{n} submissions waiting; {late} overdue.",
                        len(items),
                    ).format(n=len(items), late=sum(i.overdue for i in items))
                )
            return 0
        if not args.ids:
            raise CliError(N_("Name the customers (their ids; `review list` shows them)."))
        fields = [f.strip() for f in (args.fields or "").split(",") if f.strip()]
        if args.action == "approve":
            n = review.decide(session, args.ids, "approve")
        else:
            if len(args.ids) != 1:
                raise CliError(N_("Return one customer at a time, with its reason."))
            n = review.decide(session, args.ids, "return", args.reason or "", fields)
    finally:
        session.close()
    skipped = len(set(args.ids)) - n
    say(
        ngettext(
            "{n} decision recorded; it is sent at the next sync.",
            "{n} decisions recorded; they are sent at the next sync.",
            n,
        ).format(n=n)
        + (
            " "
            + ngettext(
                "{m} was not waiting for review and was left alone.",
                "{m} were not waiting for review and were left alone.",
                skipped,
            ).format(m=skipped)
            if skipped
            else ""
        )
    )
    return 0


def signed_in_again(session: Any) -> None:
    """Scripts on machines without a keyring sign in again with the password from the environment."""
    from app.services import syncing

    bound = syncing.binding(session)
    if bound and not syncing.signed_in(session) and os.environ.get(ENV_SERVER_PASSWORD):
        syncing.login(session, bound[0], bound[1], os.environ[ENV_SERVER_PASSWORD])


def cmd_report(args: argparse.Namespace) -> int:
    """The monthly reports (due by the 3rd) from the server's figures, as one .xlsx workbook."""
    from app.errors import SyncError
    from app.services import reports

    month = reports.check_month(args.month) if args.month else None
    session = open_session(args)
    try:
        month = month or reports.default_month(session.today())
        out = Path(args.out or f"monthly-report-{month}.xlsx")
        if not out.suffix:
            out = out.with_suffix(".xlsx")
        signed_in_again(session)
        counts = reports.monthly_report(session, month, out, args.lang)
    except SyncError as exc:
        raise CliError(N_("The monthly report needs the server: {reason}"), reason=exc.message(args.lang)) from None
    finally:
        session.close()
    say(
        _("Monthly report for {month} written to {file}: {adj}, {overdue}.").format(
            month=month,
            file=out,
            adj=reports.category_adjustments(counts["category_adjustments"]),
            overdue=reports.overdue_items(counts["overdue"]),
        )
    )
    return 0

"""The command line's ``print-customer``: the retailer's printable copy of one customer's archive as PDF
(app.services.printing), ID and bank numbers masked unless ``--unmasked`` under an approved ``--request``; and
``print-case``: a request's form (新入网申请表, 修改维护表/任务单, 电话号码申请变更表; app.services.case_forms) as
PDF or .xlsx, filled from the server's case and this archive (needs the server)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.common import CliError, open_session, say
from app.i18n import N_, _, current_language, ngettext, translate


def add_parser(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("code", help="the customer's code (official or provisional)")
    sp.add_argument("out", help="the PDF file to write")
    sp.add_argument("--unmasked", action="store_true", help="ID and bank numbers in full (needs --request)")
    sp.add_argument("--request", metavar="ID", help="the approved export request the printout is made under")


def cmd_print_customer(args: argparse.Namespace) -> int:
    from app.services import printing

    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise CliError(N_("The printout is a PDF file: give a name ending in .pdf."))
    session = open_session(args)
    try:
        customer = printing.find_customer(session, args.code)
        pages = printing.print_customer(
            session, customer.id, out, lang=args.lang, unmasked=args.unmasked, request_id=args.request
        )
    finally:
        session.close()
    sys.stderr.write(
        ngettext(
            "The archive of {code} was written to {file}: {n} page.",
            "The archive of {code} was written to {file}: {n} pages.",
            pages,
        ).format(code=args.code, file=args.out, n=pages)
        + "\n"
    )
    return 0


def add_case_parser(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("case", help="the request's id (an onboarding case or a change request)")
    sp.add_argument("out", help="the .pdf or .xlsx file to write")
    sp.add_argument("--kind", choices=["onboarding", "change"], help="what the id is (default: either)")


def cmd_print_case(args: argparse.Namespace) -> int:
    from app.commands.server import signed_in_again
    from app.errors import SyncError
    from app.services import case_forms, syncing

    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise CliError(N_("The form is written as a PDF or an .xlsx file: give a name ending in .pdf or .xlsx."))
    session = open_session(args)
    try:
        signed_in_again(session)
        client = syncing.client_for(session)
        try:
            case = case_forms.fetch_case(client, args.case, args.kind)
        finally:
            client.close()
        case_forms.write_form(session, case, out, lang=args.lang)
    except SyncError as exc:
        raise CliError(N_("The request's form needs the server: {reason}"), reason=exc.message(args.lang)) from None
    finally:
        session.close()
    title = translate(case_forms.TITLES[case_forms.form_kind(case)], args.lang or current_language())
    say(_("{form} of {case} was written to {file}.").format(form=title, case=case.id, file=args.out))
    return 0

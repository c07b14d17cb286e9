"""The command line's ``print-customer``: the retailer's printable copy of one customer's archive as PDF
(app.services.printing), ID and bank numbers masked unless ``--unmasked`` under an approved ``--request``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.common import CliError, open_session
from app.i18n import N_, ngettext


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

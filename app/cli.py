"""``python -m app``: the command line, for people and scripts.

Exit codes: 0 success, 1 validation found errors, 2 any other failure, always with
a one-line reason on stderr and never a traceback (tracebacks go to the log file).
The passphrase comes from the terminal, or from ``FIELDARCHIVE_PASSPHRASE`` for scripts.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from app import __version__, paths
from app.commands.archive import (
    cmd_backup,
    cmd_check,
    cmd_form,
    cmd_init,
    cmd_list,
    cmd_passwd,
    cmd_remember,
    cmd_restore,
)
from app.commands.common import Parser, say
from app.commands.filings import add_parser as add_filings_parser
from app.commands.printing import add_case_parser, cmd_print_case, cmd_print_customer
from app.commands.printing import add_parser as print_parser
from app.commands.requests import add_parser as requests_parser
from app.commands.requests import cmd_export_requests
from app.commands.server import cmd_login, cmd_logout, cmd_report, cmd_review, cmd_submit, cmd_sync
from app.commands.sheets import cmd_export, cmd_import, cmd_template, cmd_validate
from app.errors import AppError, UserFacingError
from app.i18n import _, set_language
from app.log import setup_logging

log = logging.getLogger(__name__)


def cmd_self_test(args: argparse.Namespace) -> int:
    if getattr(args, "gui", False):
        from app.main import gui_self_test as run
    else:
        from app.selftest import run_self_test as run
    for line in run():
        say(line)
    return 0


def build_parser() -> Parser:
    common = Parser(add_help=False)
    common.add_argument("--home", default=argparse.SUPPRESS, help="folder of profiles, settings and logs")
    common.add_argument("--lang", choices=["zh_CN", "en"], default=argparse.SUPPRESS)
    common.add_argument("--profile", default=argparse.SUPPRESS)
    common.add_argument(
        "--allow-insecure",
        action="store_true",
        default=argparse.SUPPRESS,
        help="development only: allow plain http:// to another computer (the password travels in clear)",
    )
    p = Parser(prog="fieldarchive", parents=[common], description="FieldArchive 客户档案采集")
    p.add_argument("--version", action="version", version=__version__)
    p.add_argument("--self-test", dest="self_test_flag", action="store_true", help="check the installation and exit")
    p.add_argument(
        "--demo",
        action="store_true",
        help="desktop app on a separate demo profile with generated customers (never synced)",
    )
    sub = p.add_subparsers(dest="command", parser_class=Parser)

    def add(name: str, fn: Any, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, parents=[common], help=help_)
        sp.set_defaults(func=fn)
        return sp

    sp = add("init", cmd_init, "create the profile and its encrypted archive")
    sp.add_argument("--user", help="the name recorded in the audit trail")
    sp.add_argument("--remember", action="store_true", help="unlock on this device (OS keyring)")
    add("form", cmd_form, "print the field catalogue").add_argument("--json", action="store_true")
    add("template", cmd_template, "write an empty import sheet").add_argument("out")
    sheet_help = "the sheet to read, or 'all' (needed when several sheets hold data)"
    sp = add("validate", cmd_validate, "check a sheet (.xlsx .xlsm .xls .et .ods .csv); writes nothing")
    sp.add_argument("file")
    sp.add_argument("--sheet", metavar="NAME|all", help=sheet_help)
    sp.add_argument("--json", action="store_true")
    sp = add("import", cmd_import, "import a sheet (.xlsx .xlsm .xls .et .ods .csv), all or nothing")
    sp.add_argument("file")
    sp.add_argument("--sheet", metavar="NAME|all", help=sheet_help)
    sp.add_argument("--skip-invalid", action="store_true")
    sp.add_argument(
        "--submit",
        action="store_true",
        help="bulk maintenance: submit the changed customers whose changes need approval",
    )
    sp.add_argument("--json", action="store_true")
    sp = add("export", cmd_export, "export all customers")
    sp.add_argument("out")
    sp.add_argument("--groups", help="only these field groups, comma-separated keys (python -m app form lists them)")
    sp.add_argument("--no-meta", action="store_true", help="without the status and completeness columns")
    sp.add_argument("--unmasked", action="store_true", help="ID and bank numbers in full (needs --request)")
    sp.add_argument(
        "--request", metavar="ID", help="the approved export request this export is made under (export-requests list)"
    )
    print_parser(add("print-customer", cmd_print_customer, "the customer's archive as a printable PDF (masked)"))
    add_case_parser(
        add(
            "print-case",
            cmd_print_case,
            "a request's form (新入网申请表, 修改维护表, 电话号码申请变更表): .pdf or .xlsx",
        )
    )
    requests_parser(add("export-requests", cmd_export_requests, "export requests: list, request, approve, refuse"))
    sp = add("list", cmd_list, "list or search customers")
    sp.add_argument("--search")
    sp.add_argument("--status", choices=["draft", "pending", "approved", "returned"])
    sp.add_argument("--incomplete", action="store_true")
    sp.add_argument("--limit", type=int, default=200)
    sp.add_argument("--json", action="store_true")
    add("check", cmd_check, "verify integrity and the audit trail")
    add("backup", cmd_backup, "write an encrypted backup").add_argument("out", nargs="?")
    sp = add("restore", cmd_restore, "replace the archive with a backup")
    sp.add_argument("file")
    sp.add_argument("--recovery", action="store_true", help="open the backup with the recovery code")
    add("passwd", cmd_passwd, "change the passphrase").add_argument("--recovery", action="store_true")
    add("remember", cmd_remember, "unlock on this device through the OS keyring").add_argument(
        "--off", action="store_true"
    )
    sp = add(
        "login", cmd_login, "sign in to the sync server (password from the terminal or FIELDARCHIVE_SERVER_PASSWORD)"
    )
    sp.add_argument("--server", required=True)
    sp.add_argument("--user", required=True)
    add("logout", cmd_logout, "sign out of the sync server")
    add("sync", cmd_sync, "send the outbox and receive the server's changes (exit 0 only when complete)")
    sp = add("submit", cmd_submit, "submit drafts without errors for review")
    sp.add_argument("ids", nargs="*")
    sp.add_argument("--all", action="store_true", help="every draft and returned customer")
    sp.add_argument("--note", help="a note to the market manager")
    sp.add_argument("--urgent", action="store_true", help="an emergency change (decided within 1.5 hours)")
    sp = add("review", cmd_review, "the market manager's queue: list, approve, return")
    sp.add_argument("action", choices=["list", "approve", "return"])
    sp.add_argument("ids", nargs="*")
    sp.add_argument("--reason", help="why the customer is returned")
    sp.add_argument("--fields", help="the fields to correct, comma-separated keys")
    sp.add_argument("--json", action="store_true")
    sp = add("report", cmd_report, "the monthly reports (due by the 3rd) as .xlsx, from the server's figures")
    sp.add_argument("kind", choices=["monthly"])
    sp.add_argument("out", nargs="?", help="the .xlsx file (default monthly-report-YYYY-MM.xlsx)")
    sp.add_argument("--month", help="YYYY-MM (default: the previous month)")
    add_filings_parser(add)
    add("self-test", cmd_self_test, "open a temporary archive and check the installation").add_argument(
        "--gui", action="store_true", help="also check Qt, its Chinese strings and fonts"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    home = getattr(args, "home", None)
    paths.set_home(home)
    moved = None
    if args.command != "self-test" and not args.self_test_flag:
        from app.storage.relocate import move_legacy_home

        moved = move_legacy_home()  # once: the one folder of earlier versions to the platform's folders
    from app.settings import Settings

    settings = Settings()
    args.lang = getattr(args, "lang", None) or settings.ui_language
    args.profile = getattr(args, "profile", None) or paths.DEFAULT_PROFILE
    set_language(args.lang)
    setup_logging(to_file=args.command != "self-test")
    if moved is not None and moved.state != "none":
        log.info(
            "old home folder: %s %s%s", moved.state, ",".join(moved.moved), f" ({moved.reason})" if moved.reason else ""
        )
    if getattr(args, "allow_insecure", False):
        from app.services import syncing

        syncing.allow_insecure()
    if args.self_test_flag:  # the packaged app: FieldArchive --self-test
        args.command, args.func, args.gui = "self-test", cmd_self_test, True
    if not args.command:
        from app.main import run_gui

        return run_gui(args)
    try:
        return int(args.func(args))
    except AppError as exc:
        msg = exc.message(args.lang) if isinstance(exc, UserFacingError) else str(exc)
        log.info("command %s failed: %s", args.command, type(exc).__name__)
        sys.stderr.write(" ".join(msg.split("\n")) + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(_("Cancelled.") + "\n")
        return 2
    except Exception as exc:  # never a traceback on the terminal
        log.exception("unexpected failure in %s", args.command)
        sys.stderr.write(
            _("Unexpected error ({kind}); the details are in {file}.").format(
                kind=type(exc).__name__, file=paths.log_dir() / "fieldarchive.log"
            )
            + "\n"
        )
        return 2

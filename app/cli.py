"""``python -m app``: the command line, for people and scripts.

Exit codes: 0 success, 1 validation found errors, 2 any other failure, always with
a one-line reason on stderr and never a traceback (tracebacks go to the log file).
The passphrase comes from the terminal, or from ``FIELDARCHIVE_PASSPHRASE`` for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from app import __version__, paths
from app.errors import AppError, StorageError, StorageErrorKind, UserFacingError
from app.i18n import N_, _, ngettext, set_language, translate
from app.log import setup_logging
from app.models.sync_state import SERVER_RESTORED
from app.models.wire import UserRole

log = logging.getLogger(__name__)
ENV_PASSPHRASE = "FIELDARCHIVE_PASSPHRASE"
ENV_NEW_PASSPHRASE = "FIELDARCHIVE_NEW_PASSPHRASE"
ENV_RECOVERY = "FIELDARCHIVE_RECOVERY_CODE"


class CliError(UserFacingError):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        sys.stderr.write(f"{self.prog}: {message}\n")
        raise SystemExit(2)


def _secret(env: str, prompt: str, confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise CliError(N_("No passphrase given: set {env} or run the command in a terminal."), env=env)
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass(_("Repeat it: ")) != first:
        raise CliError(N_("The two entries are not the same."))
    return first


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def open_session(args: argparse.Namespace) -> Any:
    from app.services import session as ss

    key = None if os.environ.get(ENV_PASSPHRASE) else ss.device_key(args.profile)
    if key is not None:
        try:
            return ss.unlock(args.profile, key=key)
        except StorageError:
            pass  # a stale device key: fall back to the passphrase
    from app.storage.profile import Profile

    if not Profile(args.profile).exists():
        return ss.unlock(args.profile)  # raises the clear "no archive yet" error
    return ss.unlock(args.profile, passphrase=_secret(ENV_PASSPHRASE, _("Passphrase: ")))


def cmd_init(args: argparse.Namespace) -> int:
    from app.secrets import KeyringUnavailable
    from app.services import maintenance
    from app.services import session as ss
    from app.storage.profile import Profile

    if Profile(args.profile).exists():
        raise StorageError(
            StorageErrorKind.ALREADY_EXISTS,
            N_("An archive already exists in {folder}; it was left unchanged."),
            folder=str(Profile(args.profile).dir),
        )
    passphrase = _secret(ENV_PASSPHRASE, _("Choose a passphrase (at least 8 characters): "), confirm=True)
    session, code = ss.create(args.profile, passphrase=passphrase, actor=args.user)
    try:
        _out(_("Archive created in {folder}.").format(folder=maintenance.profile_folder(session)))
        _out(_("Recovery code (write it down now; it is shown only this once):"))
        _out(f"    {code}")
        if args.remember:
            try:
                ss.remember_on_device(session)
                _out(_("This device will unlock the archive without the passphrase."))
            except KeyringUnavailable as exc:
                sys.stderr.write(translate(str(exc)) + "\n")
    finally:
        session.close()
    return 0


def cmd_form(args: argparse.Namespace) -> int:
    from app.models.catalogue import field_to_dict
    from app.services.session import current_form

    form = current_form()
    if args.json:
        _json(
            [
                {**field_to_dict(f), "required": f.required.value, "choices": [c.value for c in f.choices]}
                | (
                    {"choice_labels": [{"value": c.value, "zh": c.label_zh, "en": c.label_en} for c in f.choices]}
                    if f.choices
                    else {}
                )
                for f in form.visible_fields
            ]
        )
        return 0
    lang = args.lang
    for g in form.groups:
        _out(f"[{g.label(lang)}]")
        for f in form.fields_in(g.key):
            mark = "*" if f.required.value == "national" else ("+" if f.required.value == "provincial" else " ")
            _out(f"  {mark} {f.key:24} {f.label(lang)} ({f.type.value})")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from app.services.session import current_form
    from app.services.sheets import write_template

    write_template(current_form(), Path(args.out), args.lang)
    _out(_("Template written to {file}.").format(file=args.out))
    return 0


#: Text output lists at most this many row numbers on a line ("rows 2, 3, 5 … and 1,234 more") and cuts a
#: problem's message after MAX_MESSAGE characters: a sheet with 100k bad rows or a 650 KB cell never
#: becomes one line of that size. ``--json`` has every count, and the problems kept (MAX_PROBLEMS).
MAX_LISTED_ROWS = 20
MAX_MESSAGE = 300


def rows_text(rows: Sequence[int], limit: int = MAX_LISTED_ROWS) -> str:
    """``2, 3, 5 … and 1,234 more`` (localized): the first ``limit`` row numbers and how many more."""
    shown = ", ".join(map(str, rows[:limit]))
    if len(rows) <= limit:
        return shown
    return _("{rows} … and {n} more").format(rows=shown, n=f"{len(rows) - limit:,}")


def _cut(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sheet_summary(result: Any, file: str, write: bool) -> dict[str, Any]:
    """What ``validate --json`` and ``import --json`` print: the totals and the problems kept."""
    out: dict[str, Any] = {
        "file": file,
        "rows": result.rows,
        "totals": {
            "error": result.counts.get("error", 0),
            "warning": result.counts.get("warning", 0),
            "missing": result.counts.get("missing", 0),
        },
        "sheets": [{"name": n, "header_row": result.header_rows.get(n)} for n in result.sheets],
        "ignored_columns": result.ignored_columns,
        "ignored_sheets": result.ignored_sheets,
        "rows_with_errors": len(result.rows_with_errors),
        "listed": len(result.problems),
        "not_listed": result.problems_omitted,
        "new_rows": result.new_rows,
        "changed_rows": result.changed_rows,
        "problems": [p.to_dict() for p in result.problems],
    }
    if write:
        out.update(
            written=result.written,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            skipped_rows=len(result.skipped_rows),
        )
    return out


def _report(result: Any, as_json: bool, lang: str, file: str = "", write: bool = False) -> None:
    if as_json:
        _json(sheet_summary(result, file, write))
    else:
        names = {"error": N_("error"), "warning": N_("warning"), "missing": N_("missing")}
        for p in result.problems:
            row = f"{p.sheet} {p.row}" if p.sheet else p.row
            _out(
                _("Row {row} · {severity}: {message}").format(
                    row=row, severity=translate(names[p.severity], lang), message=_cut(p.message)
                )
            )
    counts = result.counts
    if result.problems_omitted:
        sys.stderr.write(
            ngettext(
                "{n} more problem is counted but not listed.",
                "{n} more problems are counted but not listed.",
                result.problems_omitted,
            ).format(n=result.problems_omitted)
            + "\n"
        )
    sys.stderr.write(
        _("{rows} checked: {errors}, {warnings}, {missing}.").format(
            rows=ngettext("{n} row", "{n} rows", result.rows).format(n=result.rows),
            errors=ngettext("{n} error", "{n} errors", counts["error"]).format(n=counts["error"]),
            warnings=ngettext("{n} warning", "{n} warnings", counts["warning"]).format(n=counts["warning"]),
            missing=ngettext("{n} missing value", "{n} missing values", counts["missing"]).format(n=counts["missing"]),
        )
        + "\n"
    )
    from app.services.sheets import intake_summary

    for line in intake_summary(result, lang):
        sys.stderr.write(line + "\n")


def _sheet(args: argparse.Namespace, write: bool) -> int:
    from app.services.session import current_form
    from app.services.sheet_results import ImportMode
    from app.services.sheets import process_sheet, sheet_in_archive
    from app.storage.profile import Profile

    path = Path(args.file)
    if not path.is_file():
        raise CliError(N_("{file} does not exist."), file=args.file)
    session = open_session(args) if (write or Profile(args.profile).exists()) else None
    try:
        form = session.form if session else current_form()
        mode = (
            ImportMode.FILE_ONLY
            if session is None
            else ImportMode.CHECK
            if not write
            else ImportMode.WRITE_VALID_ROWS
            if getattr(args, "skip_invalid", False)
            else ImportMode.WRITE
        )
        options: dict[str, Any] = dict(mode=mode, lang=args.lang, sheet=getattr(args, "sheet", None))
        result = (
            sheet_in_archive(session, path, **options)
            if session
            else process_sheet(path, form, None, actor="", role=UserRole.COLLECTOR, **options)
        )
        submitted: list[str] = []
        refused: dict[str, Any] = {}
        if write and session and getattr(args, "submit", False) and result.written:
            from app.services.sheets import submit_changed

            submitted, refused = submit_changed(session, result, path.name)
    finally:
        if session:
            session.close()
    _report(result, args.json, args.lang, path.name, write)
    if submitted or refused:
        sys.stderr.write(
            ngettext(
                "Submitted for review: {n} changed customer; {m} could not be submitted.",
                "Submitted for review: {n} changed customers; {m} could not be submitted.",
                len(submitted),
            ).format(n=len(submitted), m=len(refused))
            + "\n"
        )
    if write:
        if result.written:
            msg = _("Imported: {created} new, {updated} updated, {unchanged} unchanged.").format(
                created=result.created, updated=result.updated, unchanged=result.unchanged
            )
            if result.skipped_rows:
                msg += " " + _("Skipped rows with errors: {rows}.").format(rows=rows_text(result.skipped_rows))
            sys.stderr.write(msg + "\n")
        else:
            sys.stderr.write(
                _("Nothing was imported: rows {rows} have errors.").format(rows=rows_text(result.error_rows)) + "\n"
            )
    return 1 if result.has_errors else 0


def cmd_validate(args: argparse.Namespace) -> int:
    return _sheet(args, write=False)


def cmd_import(args: argparse.Namespace) -> int:
    return _sheet(args, write=True)


def cmd_export(args: argparse.Namespace) -> int:
    from app.services.exporting import export_archive

    session = open_session(args)
    try:
        groups = [g.strip() for g in (args.groups or "").split(",") if g.strip()] or None
        known = {g.key for g in session.form.groups}
        unknown = [g for g in groups or [] if g not in known]
        if unknown:
            raise CliError(
                N_("Unknown field group {groups}; the groups are: {known}."),
                groups=", ".join(unknown),
                known=", ".join(g.key for g in session.form.groups),
            )
        n = export_archive(session, Path(args.out), lang=args.lang, groups=groups, meta=not args.no_meta)
    finally:
        session.close()
    sys.stderr.write(
        ngettext("Exported {n} customer to {file}.", "Exported {n} customers to {file}.", n).format(n=n, file=args.out)
        + "\n"
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from app.models.record import STATUS_MSGIDS, CustomerStatus
    from app.services import listing

    session = open_session(args)
    try:
        status = CustomerStatus(args.status) if args.status else None
        rows = listing.search(session, args.search or "", status, args.incomplete, limit=args.limit)
    finally:
        session.close()
    if args.json:
        _json(
            [
                {
                    "id": r.id,
                    "code": r.code,
                    "code_official": r.code_official,
                    "shop_name": r.shop_name,
                    "contact_name": r.contact_name,
                    "phone": r.phone,
                    "address": r.address,
                    "status": r.status.value,
                    "completeness": r.completeness,
                    "updated_at": r.updated_at,
                }
                for r in rows
            ]
        )
    else:
        for r in rows:
            _out(
                f"{r.id}  {r.code or '':18}  {translate(STATUS_MSGIDS[r.status], args.lang):6}  "
                f"{round(r.completeness * 100):3d}%  {r.shop_name or ''}  {r.phone or ''}"
            )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from app.services import maintenance

    session = open_session(args)
    try:
        check = maintenance.check_archive(session)
    finally:
        session.close()
    for p in check.problems:
        _out(p)
    if check.problems:
        raise CliError(
            N_("The archive has problems (see above). Restore a backup from {folder}."),
            folder=str(maintenance.backup_folder(session)),
        )
    _out(
        ngettext(
            "The archive is intact: {n} customer, integrity and audit trail verified.",
            "The archive is intact: {n} customers, integrity and audit trail verified.",
            check.customers,
        ).format(n=check.customers)
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from app.services import maintenance

    session = open_session(args)
    try:
        path = maintenance.backup(session, Path(args.out) if args.out else None)
    finally:
        session.close()
    _out(_("Backup written to {file}.").format(file=path))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from app.storage.profile import Profile

    source = Path(args.file)
    if not source.is_file():
        raise CliError(N_("{file} does not exist."), file=args.file)
    profile = Profile(args.profile)
    if args.recovery:
        secret = _secret(ENV_RECOVERY, _("Recovery code: "))
    else:
        secret = _secret(ENV_PASSPHRASE, _("Passphrase of the backup: "))
    profile.restore(source, secret, recovery=args.recovery)
    _out(
        _("Restored {file}. The replaced archive was kept in {folder}.").format(file=source, folder=profile.backup_dir)
    )
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from app.services import session as ss

    if args.recovery:
        session = ss.unlock(args.profile, recovery_code=_secret(ENV_RECOVERY, _("Recovery code: ")))
    else:
        session = ss.unlock(args.profile, passphrase=_secret(ENV_PASSPHRASE, _("Current passphrase: ")))
    try:
        ss.change_passphrase(session, _secret(ENV_NEW_PASSPHRASE, _("New passphrase: "), confirm=True))
    finally:
        session.close()
    _out(_("The passphrase was changed."))
    return 0


def cmd_remember(args: argparse.Namespace) -> int:
    from app.services import session as ss

    if args.off:
        ss.forget_on_device(args.profile)
        _out(_("This device no longer unlocks the archive by itself."))
        return 0
    session = open_session(args)
    try:
        ss.remember_on_device(session)
    finally:
        session.close()
    _out(_("This device will unlock the archive without the passphrase."))
    return 0


ENV_SERVER_PASSWORD = "FIELDARCHIVE_SERVER_PASSWORD"


def cmd_login(args: argparse.Namespace) -> int:
    from app.services import syncing

    problem = syncing.server_problem(args.server)
    if problem is not None:  # before the password is even asked for
        raise problem
    if syncing.insecure_address(args.server):
        sys.stderr.write(translate(_INSECURE_WARNING) + "\n")
    password = _secret(ENV_SERVER_PASSWORD, _("Server password for {user}: ").format(user=args.user))
    session = open_session(args)
    try:
        data = syncing.login(session, args.server, args.user, password)
        persist = syncing.tokens_persist()
    finally:
        session.close()
    _out(
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
    _out(_("Signed out. Nothing that was not synced is lost; it is sent after the next sign-in."))
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
        _signed_in_again(session)
        outcome = syncing.sync(session)
        problems = refusals(session, args.lang)
    except SyncError as exc:
        raise CliError(N_("Sync did not finish: {reason}"), reason=exc.message(args.lang)) from None
    finally:
        session.close()
    _out(
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
        _out(_(SERVER_RESTORED))
    if outcome.audit_problem:
        _out(_(outcome.audit_problem))
    if outcome.newer_client:
        _out(
            _("Update available: FieldArchive {version}").format(version=outcome.newer_client)
            + (f" · {outcome.download_url}" if outcome.download_url else "")
        )
    refused = [p for p in problems if p.state == "rejected"]
    conflicts = [p for p in problems if p.state == "conflict"]
    if refused:
        _out(_("Refused by the server ({n}): correct them and sync again.").format(n=len(refused)))
        for p in refused:
            _out("  " + _cut(p.line(args.lang), MAX_MESSAGE * 2))
    if conflicts:
        _out(_("In conflict with the server ({n}):").format(n=len(conflicts)))
        for p in conflicts:
            _out("  " + _cut(p.line(args.lang), MAX_MESSAGE * 2))
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
        _out(
            _("Not submitted {id}: {problem}").format(
                id=cid, problem=first.message(labels.get(first.field, first.field), args.lang)
            )
            + (_(" (and {n} more)").format(n=len(report.errors) - 1) if len(report.errors) > 1 else "")
        )
    _out(
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
                _json(
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
                    _out(f"{i.id}  {kinds[i.kind]}{'!' if i.urgent else ' '} {i.owner:10} {i.left:24} {i.shop_name}")
                _out(
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
    _out(
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


def _signed_in_again(session: Any) -> None:
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
        _signed_in_again(session)
        counts = reports.monthly_report(session, month, out, args.lang)
    except SyncError as exc:
        raise CliError(N_("The monthly report needs the server: {reason}"), reason=exc.message(args.lang)) from None
    finally:
        session.close()
    _out(
        _("Monthly report for {month} written to {file}: {adj}, {overdue}.").format(
            month=month,
            file=out,
            adj=reports.category_adjustments(counts["category_adjustments"]),
            overdue=reports.overdue_items(counts["overdue"]),
        )
    )
    return 0


def cmd_self_test(args: argparse.Namespace) -> int:
    if getattr(args, "gui", False):
        from app.main import gui_self_test as run
    else:
        from app.selftest import run_self_test as run
    for line in run():
        _out(line)
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

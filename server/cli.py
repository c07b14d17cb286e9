"""``python -m server``: the sync server and its admin commands.

Same conventions as the client's command line: exit 0 on success, 1 when validation found errors,
2 for any other failure, always with a one-line reason on stderr and never a traceback. ``--data``
(an SQLite file in that folder, default ./server-data/) or ``--database`` (an SQLAlchemy URL such as
``postgresql+psycopg://user@host/db``) selects the database for every command; the schema is
migrated before any command runs. Passwords come from the terminal or FIELDARCHIVE_NEW_PASSWORD.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.export.sheetfile import SheetError
from server import (
    accounts,
    admin,
    administration,
    backup,
    calendar,
    cli_admin,
    cli_changes,
    cli_filings,
    cli_guard,
    cli_incidents,
    cli_integrations,
    cli_onboarding,
    cli_territories,
    credit,
    forms,
    purchases,
    runconfig,
)
from server.auth import purge_logins
from server.backup import BackupError
from server.cli_common import CliError, open_db, parse_date
from server.codes import CodesExhausted
from server.config import (
    CHINA_TZ,
    DEFAULT_HOST,
    DEFAULT_PORT,
    ENV_AUDIT_KEY,
    ENV_AUDIT_KEY_FILE,
    ENV_UPLOAD_TTL,
    AuditKeyError,
    Settings,
    audit_key_path,
    database_url,
    load_audit_key,
    settings_from_env,
)
from server.db import Database
from server.feed import purge_tombstones
from server.integrations import IntegrationError
from server.logs import JsonFormatter
from server.migrate import upgrade
from server.photos import purge_partial
from server.schema import customers
from server.serve import serve
from server.wirecheck import text_problem

log = logging.getLogger("server")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        sys.stderr.write(f"{self.prog}: {message}\n")
        raise SystemExit(2)


def run_config(args: argparse.Namespace) -> runconfig.RunConfig:
    """The TOML file and the environment (server.runconfig), with what the command line gives over them."""
    cfg = runconfig.load(getattr(args, "config", None))
    for name in ("host", "port", "workers", "certfile", "keyfile", "proxy", "audit_key_file", "data", "database"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(cfg, name, value)
    if getattr(args, "json_logs", False):
        cfg.json_logs = True
    if cfg.data and cfg.database:
        raise CliError("give either a data folder (SQLite) or a database URL, not both")
    return cfg


def _export(cfg: runconfig.RunConfig) -> None:
    """What the worker processes read from the environment: settings from the file (a variable that is
    set wins) and the client versions and backup folder they announce."""
    for var, value in cfg.settings_env.items():
        os.environ.setdefault(var, value)
    for name in ("client_version", "min_client_version", "download_url", "backup_folder", "backup_max_age_hours"):
        value = getattr(cfg, name)
        if value is not None:
            os.environ[runconfig.KEYS[name][1]] = str(value)


def _metrics_folder(workers: int) -> str | None:
    """Several workers: prometheus-client's multiprocess folder, fresh and private, removed at exit."""
    if workers < 2:
        return None

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:  # a folder of the operator's: the samples of an earlier run are removed, the folder stays
        for old in Path(given).glob("*.db"):
            old.unlink()
        return given
    folder = tempfile.mkdtemp(prefix="fieldarchive-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    atexit.register(shutil.rmtree, folder, True)
    return folder


def cmd_serve(args: argparse.Namespace) -> int:

    cfg = run_config(args)
    if cfg.json_logs:  # this process's own lines too (the audit key made, partial uploads purged)
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    _export(cfg)
    if args.upload_ttl is not None:
        if args.upload_ttl < 60:
            raise CliError("--upload-ttl is at least 60 seconds")
        os.environ[ENV_UPLOAD_TTL] = str(args.upload_ttl)
    settings_from_env(with_key=False)  # a bad value in the environment: one line now, not a traceback in a worker
    runconfig.ClientPolicy.from_env()
    data = cfg.data
    url = database_url(Path(data) if data else None, cfg.database)
    problems = runconfig.problems(cfg, url)
    if problems:
        raise CliError("refusing to start: " + "; and ".join(problems))
    if args.check:
        sys.stderr.write(
            f"The configuration ({cfg.source}) is safe to serve: {cfg.workers} worker(s) on "
            f"{cfg.host}:{cfg.port}, {'TLS' if cfg.certfile else 'behind ' + cfg.proxy if cfg.proxy else 'loopback'}"
            f", {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}.\n"
        )
        return 0
    args.data, args.database = data, cfg.database
    if not os.environ.get(ENV_AUDIT_KEY):  # the workers read the key file that is resolved (and made) here
        path = audit_key_path(Path(data) if data else None, cfg.audit_key_file)
        load_audit_key(Path(data) if data else None, cfg.audit_key_file, create=True)
        os.environ[ENV_AUDIT_KEY_FILE] = str(path.resolve())
    _metrics_folder(cfg.workers)
    settings = settings_from_env()
    db = open_db(args)
    purge_tombstones(db, settings)
    purged = purge_partial(db, settings)
    if purged:
        log.warning("purged %d abandoned partial uploads", purged)
    purge_logins(db, settings)
    db.dispose()
    serve(db.url, cfg.host, cfg.port, cfg.certfile, cfg.keyfile, cfg.workers, json_logs=cfg.json_logs, proxy=cfg.proxy)
    return 0


def cmd_backup_key(args: argparse.Namespace) -> int:
    backup.new_key_file(Path(args.file))
    sys.stderr.write(
        f"Made the backup key {args.file}: keep a copy away from the backups and the server; "
        f"without it no backup can be restored.\n"
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    cfg = run_config(args)
    out = args.out or cfg.backup_folder
    if not out:
        raise CliError("where to? give OUT (a folder or a file) or [backup] folder in the configuration")
    key = backup.load_key(args.key_file or cfg.backup_key_file)
    if out.endswith(("/", os.sep)) or out == cfg.backup_folder:  # a folder, made private if missing
        Path(out).mkdir(mode=0o700, parents=True, exist_ok=True)
    url = database_url(Path(cfg.data) if cfg.data else None, cfg.database)
    db = Database(url)
    try:
        upgrade(db)
        target, manifest = backup.backup(db, Path(out), key)
    finally:
        db.dispose()
    sys.stdout.write(f"{target}\n")
    sys.stderr.write(
        f"Backed up schema {manifest['schema_version']}, feed {manifest['feed_seq']}, {manifest['bytes']} bytes.\n"
    )
    daily = args.keep_daily if args.keep_daily is not None else cfg.keep_daily
    weekly = args.keep_weekly if args.keep_weekly is not None else cfg.keep_weekly
    if Path(out).is_dir() and (
        args.keep_daily is not None
        or args.keep_weekly is not None
        or args.config
        or os.environ.get(runconfig.ENV_CONFIG)
    ):
        gone = backup.prune(Path(out), daily, weekly)
        sys.stderr.write(f"Kept the newest of {daily} days and {weekly} weeks; removed {len(gone)} older backups.\n")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    cfg = run_config(args)
    key = backup.load_key(args.key_file or cfg.backup_key_file)
    url = database_url(Path(cfg.data) if cfg.data else None, cfg.database)
    manifest = backup.restore(url, Path(args.file), key)
    sys.stderr.write(
        f"Restored the backup of {manifest['created']} (schema {manifest['schema_version']}, feed "
        f"{manifest['feed_seq']}); new database epoch {manifest['epoch']}. At their next sync the clients "
        f"notice it, rebuild their copy and send again what they hold and the backup lacks; have every "
        f"client sync twice (docs/deploy.md, section 9).\n"
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    report = open_db(args).write(lambda tx: admin.import_customers(tx, Path(args.file), args.owner, args.sheet))
    if report.problems:
        for line in report.problems:
            sys.stdout.write(line + "\n")
        sys.stderr.write(f"{len(report.problems)} problems found; nothing was imported.\n")
        return 1
    sys.stderr.write(f"Imported {report.created} customers for {args.owner}.\n")
    return 0


def cmd_form(args: argparse.Namespace) -> int:
    form = open_db(args).write(lambda tx: forms.publish(tx, Path(args.file), "admin"))
    sys.stderr.write(f"Published {form.form_id} version {form.version}.\n")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    db, settings = open_db(args), Settings.from_env()
    n = purge_tombstones(db, settings)
    purge_logins(db, settings)
    sys.stderr.write(f"Purged {n} tombstones older than {settings.tombstone_days} days.\n")
    return 0


def _today(args: argparse.Namespace) -> dt.date:
    """--on DATE, else today in China (UTC+8)."""
    on = getattr(args, "on", None)
    if on:
        return parse_date(on, "--on")
    return dt.datetime.now(CHINA_TZ).date()


def cmd_credit(args: argparse.Namespace) -> int:
    db, on = open_db(args), _today(args)
    if args.action == "rate":
        if not args.text or args.notice_days is None:
            raise CliError("credit rate CODE GRADE --notice-days N")
        start = parse_date(args.notice_start, "--notice-start") if args.notice_start else None
        out = db.write(lambda tx: credit.rate(tx, args.customer, args.text, args.notice_days, on, args.by, start))
        sys.stderr.write(
            f"Rated {out['customer_code']} {out['grade']}; public notice {out['notice_start']} to "
            f"{out['notice_end']} ({out['notice_workdays']} working days).\n"
            f"Basis: {credit.basis_text(out['basis'])}.\n"
        )
    elif args.action == "appeal":
        if not args.text:
            raise CliError("credit appeal CODE TEXT")
        out = db.write(lambda tx: credit.appeal(tx, args.customer, args.text, on))
        sys.stderr.write(f"Appeal recorded for {out['customer_code']} on {out['appeal_on']}.\n")
    elif args.action == "decide":
        out = db.write(
            lambda tx: credit.decide(tx, args.customer, on, args.by, args.grade or args.text, args.note or "")
        )
        sys.stderr.write(
            f"Final grade of {out['customer_code']}: {out['final_grade']} (decided {out['decided_on']}).\n"
        )
    else:
        with db.read() as conn:
            row = conn.execute(
                select(customers.c.id).where(
                    (customers.c.code == args.customer) | (customers.c.id == args.customer.lower())
                )
            ).first()
            if row is None:
                raise CliError(f"there is no customer {args.customer!r}")
            ratings = credit.history(conn, row.id)
        for r in ratings:  # the readable account on stderr; stdout stays the JSON scripts read
            sys.stderr.write(
                f"{r['rated_on']}: grade {r['grade']} ({r['status']}"
                + (f", final {r['final_grade']}" if r["final_grade"] else "")
                + f") by {r['rated_by']}\n  basis: {credit.basis_text(r['basis'])}\n"
            )
        if not ratings:
            sys.stderr.write(f"{args.customer}: no rating yet.\n")
        sys.stdout.write(json.dumps(ratings, ensure_ascii=False, indent=1) + "\n")
    return 0


def build_parser() -> Parser:
    common = Parser(add_help=False)
    common.add_argument("--data", default=argparse.SUPPRESS, help="folder of the SQLite database (./server-data)")
    common.add_argument("--database", default=argparse.SUPPRESS, help="database URL (postgresql+psycopg://…)")
    p = Parser(prog="python -m server", parents=[common], description="FieldArchive sync server")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    s = sub.add_parser("serve", parents=[common], help="run the server")
    s.add_argument("--config", help="a TOML file (docs/deploy.md; default FIELDARCHIVE_CONFIG)")
    s.add_argument("--host", help=f"address to listen on (default {DEFAULT_HOST})")
    s.add_argument("--port", type=int, help=f"default {DEFAULT_PORT}")
    s.add_argument("--certfile", help="TLS certificate (PEM)")
    s.add_argument("--keyfile", help="TLS key (PEM, mode 0600)")
    s.add_argument("--workers", type=int, help="worker processes (default 1; several need PostgreSQL)")
    s.add_argument("--proxy", help="address(es) of the TLS-terminating proxy in front (comma separated)")
    s.add_argument("--json-logs", action="store_true", help="log JSON lines (never with field values)")
    s.add_argument("--check", action="store_true", help="check the configuration and exit (0: safe to serve)")
    s.add_argument(
        "--audit-key-file",
        help="the key that signs audit acknowledgements (hex, mode 0600; made if "
        "missing; default: audit.key in --data, or FIELDARCHIVE_AUDIT_KEY)",
    )
    s.add_argument(
        "--upload-ttl", type=int, help="seconds before an abandoned partial photo upload is purged (default 86400)"
    )
    s.set_defaults(func=cmd_serve)
    bk = sub.add_parser("backup-key", parents=[common], help="make the key that encrypts backups (once, at setup)")
    bk.add_argument("file")
    bk.set_defaults(func=cmd_backup_key)
    b = sub.add_parser("backup", parents=[common], help="an online, encrypted backup (docs/deploy.md)")
    b.add_argument("out", nargs="?", help="a folder (a dated file is made in it) or a file; default [backup] folder")
    b.add_argument("--config", help="the TOML file of serve (database, [backup] folder, key and retention)")
    b.add_argument("--key-file", help="the backup key (default [backup] key_file or FIELDARCHIVE_BACKUP_KEY_FILE)")
    b.add_argument("--keep-daily", type=int, help="after the backup keep the newest of this many days")
    b.add_argument("--keep-weekly", type=int, help="… and of this many ISO weeks; older backups are deleted")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", parents=[common], help="restore a backup into a new, empty database")
    r.add_argument("file")
    r.add_argument("--config", help="the TOML file of serve")
    r.add_argument("--key-file", help="the backup key")
    r.set_defaults(func=cmd_restore)
    i = sub.add_parser(
        "import-customers", parents=[common], help="seed customers from a spreadsheet (.xlsx .xlsm .xls .et .ods .csv)"
    )
    i.add_argument("file")
    i.add_argument("--owner", required=True)
    i.add_argument("--sheet", help="the sheet to read when several hold data")
    i.set_defaults(func=cmd_import)
    f = sub.add_parser("form", parents=[common], help="publish a new catalogue version")
    f.add_argument("action", choices=["publish"])
    f.add_argument("file")
    f.set_defaults(func=cmd_form)
    cr = sub.add_parser("credit", parents=[common], help="integrity grading: rate, appeal, decide, show")
    cr.add_argument("action", choices=["rate", "appeal", "decide", "show"])
    cr.add_argument("customer", help="customer code (or record id)")
    cr.add_argument("text", nargs="?", help="rate: the grade A-D; appeal: what the appeal says")
    cr.add_argument("--notice-days", type=int, help="working days of public notice (at least 7)")
    cr.add_argument("--notice-start", help="first day of the notice (default: the rating date)")
    cr.add_argument("--grade", help="decide: the final grade (default: the notified one)")
    cr.add_argument("--note", help="decide: how an appeal was settled")
    cr.add_argument("--on", help="the date of this step (default: today in China)")
    cr.add_argument("--by", help="rate, decide: the user (market manager or admin) who takes the step")
    cr.set_defaults(func=cmd_credit)
    cli_admin.add_parsers(sub, common)
    cli_territories.add_parsers(sub, common)
    cli_incidents.add_parsers(sub, common)
    cli_guard.add_parsers(sub, common)
    cli_onboarding.add_parsers(sub, common)
    cli_changes.add_parsers(sub, common)
    cli_filings.add_parsers(sub, common)
    cli_integrations.add_parser(sub, common, open_db)
    g = sub.add_parser("purge", parents=[common], help="forget tombstones older than the retention period")
    g.set_defaults(func=cmd_purge)
    return p


def _check_text_args(args: argparse.Namespace) -> None:
    """An argument the database cannot store (a byte that is not UTF-8 arrives as a lone surrogate) is
    refused by its name, before anything is written."""

    for key, value in vars(args).items():
        if isinstance(value, str) and text_problem(value):
            what = "a NUL character" if text_problem(value) == "text.nul" else "bytes that are not UTF-8 text"
            raise CliError(f"{key.replace('_', '-')}: the text holds {what} and cannot be stored")


def _check_user_args(args: argparse.Namespace) -> None:
    if args.command == "user" and args.action != "list" and not args.name:
        raise CliError(f"user {args.action} needs a user name")
    if args.command == "user" and args.action == "add" and not args.role:
        raise CliError("user add needs --role collector|supervisor|admin|viewer")
    if args.command == "user" and args.action == "team" and not args.supervisor:
        raise CliError("user team needs --supervisor NAME (or '-' for none)")


EXPECTED: tuple[type[BaseException], ...] = (
    CliError,
    accounts.AccountError,
    forms.FormError,
    SheetError,
    CodesExhausted,
    credit.CreditError,
    calendar.CalendarError,
    purchases.PeriodError,
    AuditKeyError,
    runconfig.ConfigError,
    BackupError,
    IntegrationError,
    administration.AdminError,
)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # the data folder, the database and its -wal/-shm files: for the server's user only
    old_umask = os.umask(0o077) if os.name == "posix" else None
    try:
        return _main(argv)
    finally:
        if old_umask is not None:
            os.umask(old_umask)  # main() also runs inside other programs (the tests)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        _check_text_args(args)
        _check_user_args(args)
        return func(args)
    except EXPECTED as exc:
        sys.stderr.write(f"python -m server: {exc}\n")
    except SQLAlchemyError as exc:
        log.debug("database error", exc_info=exc)
        sys.stderr.write(f"python -m server: database error: {_first_line(exc)}\n")
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"python -m server: {exc}\n")
    except KeyboardInterrupt:
        sys.stderr.write("python -m server: interrupted\n")
    except Exception as exc:  # a bug: still one line, the traceback goes to the log
        log.debug("unexpected error", exc_info=exc)
        sys.stderr.write(f"python -m server: unexpected error: {type(exc).__name__}: {exc}\n")
    return 2


def _first_line(exc: Any) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__

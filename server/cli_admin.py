"""The administrative commands of ``python -m server`` (users, handovers, devices, the work calendar,
purchase figures, classification runs, the audit copy, the admin log, retention and destruction).

Each calls the same service function as the admin HTTP API (server/administration.py), so a change made
here is checked, done and logged exactly as one made from the desktop app; the log names the system user
who ran the command (``via`` = ``cli``). The conventions are those of server/cli.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from app.models.wire import UserRole
from server import administration as adm
from server import audit, lifecycle, runconfig
from server import calendar_admin as cal
from server.calendar import CalendarError
from server.cli_common import CliError, new_password, open_db, parse_date
from server.config import Settings, load_audit_key
from server.purchases import PeriodError, parse_period


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


def _code(out: dict[str, Any]) -> None:
    when = dt.datetime.fromtimestamp(out["code_expires_at"], dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    _out(out["code"])
    _err(f"One-time code for {out['name']} (good once, until {when}): they set their password with it.")


def cmd_user(args: argparse.Namespace) -> int:
    actor = adm.Actor.cli()
    db, settings = open_db(args), Settings.from_env()
    if args.action == "add":
        password = None if args.with_code else new_password()
        out = adm.add_user(
            db,
            settings,
            actor,
            args.name,
            args.role,
            display_name=args.display_name,
            supervisor=args.supervisor,
            password=password,
            department=args.department,
        )
        if out["code"]:
            _code(out)
    elif args.action in ("disable", "enable"):
        adm.set_disabled(db, actor, args.name, args.action == "disable")
    elif args.action == "passwd":
        adm.set_password(db, settings, actor, args.name, new_password())
    elif args.action == "reset":
        _code(adm.reset_password(db, actor, args.name))
    elif args.action == "role":
        if not args.role:
            raise CliError("user role needs --role collector|supervisor|admin|viewer")
        n = adm.set_role(db, actor, args.name, args.role)
        _err(f"{args.name} is now {args.role}; {n} customers were sent again or withdrawn.")
    elif args.action == "team":
        moved = adm.set_team(db, actor, args.name, None if args.supervisor == "-" else args.supervisor)
        _err(f"{args.name} moved with {moved} customers.")
    else:
        for r in adm.list_users(db, actor):
            _out(
                f"{r['name']}\t{r['role']}\t{r['supervisor'] or '-'}\t"
                f"{'disabled' if r['disabled'] else 'active'}\t{r['display_name']}"
            )
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    db = open_db(args)
    out = adm.handover(db, adm.Actor.cli(), args.to, [args.customer])
    rid = out["moved"][0]["record_id"] if out["moved"] else args.customer
    _err(f"Customer {rid} is assigned to {args.to}.")
    return 0


def cmd_handover(args: argparse.Namespace) -> int:
    db = open_db(args)
    out = adm.handover(
        db, adm.Actor.cli(), args.to, list(args.customers), from_user=args.from_user, note=args.note or ""
    )
    for m in out["moved"]:
        _out(f"{m['code'] or m['record_id']}\t{m['shop']}\t{m['old_owner'] or '-'} -> {args.to}")
    _err(f"{len(out['moved'])} customers handed over to {args.to}.")
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    db = open_db(args)
    if args.action == "revoke":
        if not args.device:
            raise CliError("name the device: devices revoke USER DEVICE_ID")
        adm.revoke_device(db, adm.Actor.cli(), args.user, args.device)
        _err(f"Device {args.device} of {args.user} is revoked.")
        return 0
    _out(json.dumps(adm.list_devices(db, adm.Actor.cli(), args.user), ensure_ascii=False, indent=1))
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    actor = adm.Actor.cli()
    db = open_db(args)
    where = "in the draft (publish it with: calendar publish)" if args.draft else "and published"
    if args.action == "set":
        if not args.day or not args.kind:
            raise CliError("calendar set YYYY-MM-DD holiday|workday|normal [--draft]")
        day = parse_date(args.day, "the day")
        cal.set_calendar_day(db, actor, day, args.kind, args.draft)
        _err(f"{day} is now {'a ' + args.kind if args.kind != 'normal' else 'an ordinary day'}, {where}.")
    elif args.action == "import":
        if not args.day:
            raise CliError("calendar import FILE [--draft]")
        path = Path(args.day)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CalendarError(f"{path}: file not found") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise CalendarError(f"{path}: not a JSON file ({exc})") from None
        out = cal.import_calendar(db, actor, data, str(path), args.draft)
        _err(f"Calendar years {', '.join(map(str, out['years']))} replaced {where}.")
    elif args.action == "draft":
        _out(json.dumps(cal.show_draft(db, actor), indent=1))
    elif args.action == "publish":
        out = cal.publish_draft(db, actor)
        _err(
            f"Draft published: {out['changed_days']} day(s) changed in {', '.join(map(str, out['years']))}; "
            f"version {out['version']}, fetched by clients at their next sync."
        )
    elif args.action == "discard":
        out = cal.discard_draft(db, actor)
        _err(
            f"Draft of {', '.join(map(str, out['years'])) or 'no year'} discarded; the published calendar is unchanged."
        )
    else:
        _out(json.dumps(cal.show_calendar(db, actor), indent=1))
    return 0


def cmd_purchases(args: argparse.Namespace) -> int:
    db = open_db(args)
    report = adm.import_purchases(
        db, adm.Actor.cli(), Path(args.file), args.period, sheet=args.sheet, dry_run=args.dry_run, source=args.file
    )
    if report.problems:
        for line in report.problems:
            _out(line)
        _err(f"{len(report.problems)} problems found; nothing was imported.")
        return 1
    _err(
        ("Dry run, nothing written: would import " if args.dry_run else "Imported ")
        + f"{report.imported} purchase rows for {', '.join(sorted(report.periods))}"
        f" ({report.replaced} replaced earlier figures); the monthly purchase fields of "
        f"{report.figures_updated} customers {'would be' if args.dry_run else 'were'} updated."
    )
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    try:
        parse_period(args.period)
    except PeriodError as exc:
        raise CliError(f"--period: {exc}") from None
    report = adm.classify(open_db(args), adm.Actor.cli(), args.period, dry_run=args.dry_run)
    if report.changes:
        _out("code\tshop\tretail format\tscore\tscale\tclassification")
    for c in report.changes:
        score = f"{float(c.score):.4f}" if c.score is not None else "-"
        _out(
            f"{c.code}\t{c.shop}\t{c.retail_format}\t{score}\t{c.old_scale or '-'} -> {c.new_scale}"
            f"\t{c.old_class or '-'} -> {c.new_class or '-'}"
        )
    notes = [
        f"{report.ranked} customers ranked for {report.period}",
        f"{report.changed} "
        + ("would change" if args.dry_run else "changed")
        + (f" (the first {len(report.changes)} listed)" if report.changed > len(report.changes) else ""),
        f"{report.unchanged} unchanged",
        f"{report.no_figures} without figures (left as they are)",
    ]
    if report.no_format:
        notes.append(f"no retail format: {', '.join(report.no_format)}")
    if report.formats_without_purchases:
        notes.append(f"formats without purchases (left as they are): {', '.join(report.formats_without_purchases)}")
    if report.first_quarter:
        notes.append(f"in their first quarter (first estimate kept): {', '.join(report.first_quarter)}")
    if report.reassessed:
        notes.append(f"re-assessed after their first quarter: {', '.join(report.reassessed)}")
    if report.no_code_letter:
        notes.append(f"no classification code (market type missing): {', '.join(report.no_code_letter)}")
    _err(("Dry run, nothing written: " if args.dry_run else "") + "; ".join(notes) + ".")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    actor = adm.Actor.cli()
    db = open_db(args)
    data = getattr(args, "data", None)
    if args.action == "sign-legacy":
        key = load_audit_key(Path(data) if data else None, args.audit_key_file, create=False)
        if key is None:
            raise CliError("no audit key: give FIELDARCHIVE_AUDIT_KEY or --audit-key-file (as for serve)")
        signing_key: bytes = key
        lines = db.write(lambda tx: audit.sign_legacy(tx, signing_key))
        for line in lines:
            _out(line)
        _err(f"{len(lines)} trails without acknowledgement looked at.")
        return 1 if any("not signed" in line for line in lines) else 0
    if args.action == "verify":
        key = load_audit_key(Path(data) if data else None, args.audit_key_file, create=False)
        mark = Path(args.checkpoint) if args.checkpoint else None
        before = json.loads(mark.read_text(encoding="utf-8")) if mark and mark.exists() else None
        problems = adm.audit_verify(db, actor, key, before)
        for p in problems:
            _out(p)
        if mark and not problems:  # the newest acknowledgements, kept where the database is not
            with db.read() as conn:
                newest = audit.newest_acks(conn)
            tmp = mark.with_name(mark.name + ".tmp")
            tmp.write_text(json.dumps(newest, indent=1) + "\n", encoding="utf-8")
            tmp.replace(mark)
        _err(
            f"{len(problems)} problems in the uploaded audit trails."
            if problems
            else "The uploaded audit trails are intact."
        )
        return 1 if problems else 0
    if args.action == "export":
        if not args.out:
            raise CliError("audit export FILE (JSON lines; '-' for the standard output)")
        if args.out == "-":
            n = adm.audit_export(db, actor, sys.stdout, args.device)
        else:
            with open(args.out, "w", encoding="utf-8") as f:
                n = adm.audit_export(db, actor, f, args.device)
        _err(f"Exported {n} audit entries.")
        return 0
    rows = adm.audit_list(
        db, actor, device=args.device, user=args.user, entity=args.entity, action=args.kind, limit=args.limit
    )
    _out(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    rows = adm.admin_log_rows(open_db(args), adm.Actor.cli(), action=args.action, who=args.who, limit=args.limit)
    for r in rows:
        when = dt.datetime.fromtimestamp(r["at"], dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        _out(
            f"{when}\t{r['actor']}\t{r['via']}\t{r['action']}\t{r['target'] or '-'}\t{r['outcome']}"
            f"\t{json.dumps(r['detail'], ensure_ascii=False)}"
        )
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    """``retention due``: the records past their retention; ``retention destroy ID… --by ADMIN --reason``:
    destroy them on that admin's approval (all or none); ``retention log``: the destructions so far."""
    actor = adm.Actor.cli()
    db = open_db(args)
    cfg = runconfig.load(getattr(args, "config", None))
    settings = Settings.from_env({**cfg.settings_env, **os.environ})  # [retention] of the file
    if args.action == "due":
        rows = adm.retention_due(db, actor, settings)
        for r in rows:
            _out(f"{r['record_id']}\t{r['code'] or '-'}\t{r['class']}\t{r['since'][:10]}\t{r['due_since'][:10]}")
        _err(
            f"{len(rows)} records are past their retention (closed: {settings.retention_closed_days} days, "
            f"deleted: {settings.retention_deleted_days} days)."
        )
        return 0
    if args.action == "log":
        with db.read() as conn:
            _out(json.dumps(lifecycle.destruction_rows(conn), ensure_ascii=False, indent=1))
        return 0
    if not args.records or not args.by or not (args.reason or "").strip():
        raise CliError("retention destroy needs the records' ids, --by ADMIN (who approved it) and --reason")
    folder = os.environ.get(runconfig.KEYS["backup_folder"][1]) or cfg.backup_folder  # its backups still hold them
    done = adm.destroy_records(db, actor, settings, list(args.records), args.by, args.reason, folder)
    for d in done:
        _out(f"{d['record_id']}\t{d['class']}\t{json.dumps(d['removed'], sort_keys=True)}")
    _err(f"{len(done)} records destroyed; every client erases them at its next sync.")
    kept = done[0]["kept_in_backups"] if done else []
    if kept:  # docs/deploy.md: until they are rotated out; a restore of one must destroy them again
        _err(f"{len(kept)} backups made before still hold them until rotated out: {', '.join(kept)}")
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The administrative subcommands, on the parser of server/cli.py."""
    u = sub.add_parser("user", parents=[common], help="manage users")
    u.add_argument("action", choices=["add", "disable", "enable", "passwd", "reset", "role", "team", "list"])
    u.add_argument("name", nargs="?")
    u.add_argument("--role", choices=[r.value for r in UserRole])
    u.add_argument("--supervisor", help="team supervisor (user team: '-' for none)")
    u.add_argument("--display-name")
    u.add_argument("--department", help="add: place the user in this department (a department user: --role viewer)")
    u.add_argument(
        "--with-code", action="store_true", help="add: no password; print a one-time code the user sets it with"
    )
    u.set_defaults(func=cmd_user)
    a = sub.add_parser("assign", parents=[common], help="assign a customer (id or code) to a user")
    a.add_argument("customer")
    a.add_argument("--to", required=True)
    a.set_defaults(func=cmd_assign)
    h = sub.add_parser("handover", parents=[common], help="hand customers over to another user (logged)")
    h.add_argument("customers", nargs="*", help="ids or official codes")
    h.add_argument("--to", required=True)
    h.add_argument("--from", dest="from_user", help="every customer this user holds")
    h.add_argument("--note", help="why (kept in the handover record)")
    h.set_defaults(func=cmd_handover)
    d = sub.add_parser("devices", parents=[common], help="list or revoke devices")
    d.add_argument("action", choices=["list", "revoke"])
    d.add_argument("user", nargs="?")
    d.add_argument("device", nargs="?")
    d.set_defaults(func=cmd_devices)
    pu = sub.add_parser("purchases", parents=[common], help="import purchase figures (.xlsx .xls .ods .csv)")
    pu.add_argument("action", choices=["import"])
    pu.add_argument("file")
    pu.add_argument("--sheet", help="the sheet to read when several hold data")
    pu.add_argument("--period", help="the period of rows without one: 2026-07 or 2026-Q3")
    pu.add_argument("--dry-run", action="store_true", help="check every row and write nothing")
    pu.set_defaults(func=cmd_purchases)
    cl = sub.add_parser("classify", parents=[common], help="recompute business scale and classification codes")
    cl.add_argument("action", choices=["run"])
    cl.add_argument("--period", required=True, help="2026-07 or 2026-Q3")
    cl.add_argument("--dry-run", action="store_true", help="print the changes without writing them")
    cl.set_defaults(func=cmd_classify)
    ca = sub.add_parser("calendar", parents=[common], help="the work calendar the server publishes")
    ca.add_argument("action", choices=["set", "import", "show", "draft", "publish", "discard"])
    ca.add_argument("day", nargs="?", help="set: YYYY-MM-DD; import: a JSON file")
    ca.add_argument("kind", nargs="?", choices=["holiday", "workday", "normal"])
    ca.add_argument("--draft", action="store_true", help="set, import: change the draft, not the published calendar")
    ca.set_defaults(func=cmd_calendar)
    au = sub.add_parser("audit", parents=[common], help="the audit trails the clients uploaded: list, verify, export")
    au.add_argument("action", choices=["list", "verify", "export", "sign-legacy"])
    au.add_argument("out", nargs="?", help="export: the file to write (JSON lines; '-': standard output)")
    au.add_argument("--user", help="list: entries uploaded by this user")
    au.add_argument("--device", help="list, export: entries of this device")
    au.add_argument("--entity", help="list: entries of this kind (customer, export …)")
    au.add_argument("--action", dest="kind", help="list: entries of this action (create, update, export …)")
    au.add_argument("--limit", type=int, default=200, help="list: the newest N entries (default 200)")
    au.add_argument("--audit-key-file", help="verify, sign-legacy: the key of the acknowledgements (as for serve)")
    au.add_argument(
        "--checkpoint",
        help="verify: a file outside the database with each device's newest "
        "acknowledgement: checked if it exists, rewritten after a clean verify",
    )
    au.set_defaults(func=cmd_audit)
    lg = sub.add_parser("admin-log", parents=[common], help="the admin log: every administrative call, newest first")
    lg.add_argument("--action", help="only this action (users.add, customers.handover …)")
    lg.add_argument("--who", help="only calls by this admin (or system user)")
    lg.add_argument("--limit", type=int, default=200)
    lg.set_defaults(func=cmd_log)
    rt = sub.add_parser("retention", parents=[common], help="records past their retention; destroy them (approved)")
    rt.add_argument("action", choices=["due", "destroy", "log"])
    rt.add_argument("records", nargs="*", help="destroy: the customers' ids (from retention due)")
    rt.add_argument("--by", help="destroy: the admin account that approved the destruction")
    rt.add_argument("--reason", help="destroy: why (the procedure's decision or reference)")
    rt.set_defaults(func=cmd_retention)

"""The command line's commands on the profile and its archive: ``init``, ``form``, ``list``, ``check``,
``backup``, ``restore``, ``passwd``, ``remember``. Each imports what it uses when it runs (the start-up
boundary of docs/architecture.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.common import (
    ENV_NEW_PASSPHRASE,
    ENV_PASSPHRASE,
    ENV_RECOVERY,
    CliError,
    ask_secret,
    open_session,
    say,
    say_json,
)
from app.errors import StorageError, StorageErrorKind
from app.i18n import N_, _, ngettext, translate


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
    passphrase = ask_secret(ENV_PASSPHRASE, _("Choose a passphrase (at least 8 characters): "), confirm=True)
    session, code = ss.create(args.profile, passphrase=passphrase, actor=args.user)
    try:
        say(_("Archive created in {folder}.").format(folder=maintenance.profile_folder(session)))
        say(_("Recovery code (write it down now; it is shown only this once):"))
        say(f"    {code}")
        if args.remember:
            try:
                ss.remember_on_device(session)
                say(_("This device will unlock the archive without the passphrase."))
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
        say_json(
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
        say(f"[{g.label(lang)}]")
        for f in form.fields_in(g.key):
            mark = "*" if f.required.value == "national" else ("+" if f.required.value == "provincial" else " ")
            say(f"  {mark} {f.key:24} {f.label(lang)} ({f.type.value})")
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
        say_json(
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
            say(
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
        say(p)
    if check.problems:
        raise CliError(
            N_("The archive has problems (see above). Restore a backup from {folder}."),
            folder=str(maintenance.backup_folder(session)),
        )
    say(
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
    say(_("Backup written to {file}.").format(file=path))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from app.storage.profile import Profile

    source = Path(args.file)
    if not source.is_file():
        raise CliError(N_("{file} does not exist."), file=args.file)
    profile = Profile(args.profile)
    if args.recovery:
        secret = ask_secret(ENV_RECOVERY, _("Recovery code: "))
    else:
        secret = ask_secret(ENV_PASSPHRASE, _("Passphrase of the backup: "))
    profile.restore(source, secret, recovery=args.recovery)
    say(_("Restored {file}. The replaced archive was kept in {folder}.").format(file=source, folder=profile.backup_dir))
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from app.services import session as ss

    if args.recovery:
        session = ss.unlock(args.profile, recovery_code=ask_secret(ENV_RECOVERY, _("Recovery code: ")))
    else:
        session = ss.unlock(args.profile, passphrase=ask_secret(ENV_PASSPHRASE, _("Current passphrase: ")))
    try:
        ss.change_passphrase(session, ask_secret(ENV_NEW_PASSPHRASE, _("New passphrase: "), confirm=True))
    finally:
        session.close()
    say(_("The passphrase was changed."))
    return 0


def cmd_remember(args: argparse.Namespace) -> int:
    from app.services import session as ss

    if args.off:
        ss.forget_on_device(args.profile)
        say(_("This device no longer unlocks the archive by itself."))
        return 0
    session = open_session(args)
    try:
        ss.remember_on_device(session)
    finally:
        session.close()
    say(_("This device will unlock the archive without the passphrase."))
    return 0

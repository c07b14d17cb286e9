"""What every command of the command line shares: the passphrase from the terminal or the environment
(``ask_secret``), one line or a JSON document on stdout (``say``, ``say_json``), the session a command
opens (``open_session``: the device key, else the passphrase), and ``CliError``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any, NoReturn

from app.errors import StorageError, UserFacingError
from app.i18n import N_, _

ENV_PASSPHRASE = "FIELDARCHIVE_PASSPHRASE"
ENV_NEW_PASSPHRASE = "FIELDARCHIVE_NEW_PASSPHRASE"
ENV_RECOVERY = "FIELDARCHIVE_RECOVERY_CODE"


class CliError(UserFacingError):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        sys.stderr.write(f"{self.prog}: {message}\n")
        raise SystemExit(2)


def ask_secret(env: str, prompt: str, confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise CliError(N_("No passphrase given: set {env} or run the command in a terminal."), env=env)
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass(_("Repeat it: ")) != first:
        raise CliError(N_("The two entries are not the same."))
    return first


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def say_json(data: Any) -> None:
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
    return ss.unlock(args.profile, passphrase=ask_secret(ENV_PASSPHRASE, _("Passphrase: ")))

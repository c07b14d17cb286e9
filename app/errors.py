"""Exception taxonomy shared by the command line, the services and the UI.

A user-facing error carries a gettext msgid and its parameters, not a translated
string: the UI or the command line translates it when it shows it, and the log
records the English text (see app.i18n).
"""

from __future__ import annotations

import enum
from typing import Any

from app.i18n import N_, ngettext, translate


class AppError(Exception):
    """Base of every error the application raises on purpose."""

    exit_code = 2


class UserCancelled(AppError):
    """The user cancelled a long operation; nothing to report."""


class UserFacingError(AppError):
    """An error with a translatable message for the person using the app.

    A count message is given as ``Nn_(singular, plural)`` with ``count="<the parameter holding the
    count>"``: it is translated with ``ngettext`` by that parameter's value (Chinese: one form), the way
    the rest of the app says "1 second" / "2 seconds". ``msgid`` is the singular, the catalogue's key."""

    def __init__(self, msgid: str | tuple[str, str], /, *, count: str | None = None, **params: Any) -> None:
        self.msgid_plural: str | None = None
        if isinstance(msgid, tuple):
            if count is None or not isinstance(params.get(count), int):
                raise TypeError("a count message needs count=<name of its integer parameter>")
            self.msgid, self.msgid_plural = msgid
        else:
            self.msgid = msgid
        self.count = count
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        if self.msgid_plural is not None and self.count is not None:
            return ngettext(self.msgid, self.msgid_plural, self.params[self.count], lang).format(**self.params)
        return translate(self.msgid, lang).format(**self.params)


class StorageErrorKind(enum.Enum):
    WRONG_PASSPHRASE = "wrong_passphrase"
    LOCKED_OUT = "locked_out"
    NO_ARCHIVE = "no_archive"
    ALREADY_EXISTS = "already_exists"
    CORRUPT = "corrupt"
    TOO_NEW = "too_new"
    DISK_FULL = "disk_full"
    BUSY = "busy"
    BAD_BACKUP = "bad_backup"


class StorageError(UserFacingError):
    def __init__(self, kind: StorageErrorKind, msgid: str | tuple[str, str], **params: Any) -> None:
        self.kind = kind
        super().__init__(msgid, **params)


class ValidationFailed(AppError):
    """Validation found errors; carries the report (exit code 1 on the command line)."""

    exit_code = 1

    def __init__(self, report: Any, msgid: str = N_("Validation found errors.")) -> None:
        self.report = report
        super().__init__(msgid)


class SyncErrorKind(enum.Enum):
    AUTH = "auth"
    OFFLINE = "offline"
    TIMEOUT = "timeout"
    SERVER = "server"
    CLIENT_TOO_OLD = "client_too_old"
    PROTOCOL = "protocol"
    REFUSED = "refused"
    NO_KEYRING = "no_keyring"


class SyncError(UserFacingError):
    # set on some refusals only (app/sync/client.py); readers use getattr(err, name, default)
    code: str | int | None
    horizon: Any
    body: Any
    retry_after: int | None

    def __init__(self, kind: SyncErrorKind, msgid: str | tuple[str, str], **params: Any) -> None:
        self.kind = kind
        super().__init__(msgid, **params)

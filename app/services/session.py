"""Creating and unlocking a profile; "unlock on this device" through the OS keyring."""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import json
import logging
import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app import secrets
from app.errors import StorageError, StorageErrorKind
from app.i18n import N_
from app.models import times
from app.models.catalogue import FormDefinition, apply_override, form_from_dict, load_form, load_override
from app.models.wire import UserRole
from app.models.workdays import SERVER_CALENDAR_META, WorkCalendar
from app.paths import DEFAULT_PROFILE, app_home, device_unlock_marker
from app.services.events import CalendarChanged, EventBus, FormChanged, IntegrityChecked, IntegrityFailed
from app.storage.archive import Archive
from app.storage.profile import Profile

log = logging.getLogger(__name__)


def default_actor() -> str:
    try:
        return getpass.getuser() or "user"
    except Exception:
        return "user"


def form_overrides(form_id: str = "retail_customer") -> list[Path]:
    folder = app_home() / "forms"
    return [p for p in (folder / f"{form_id}.override.json", folder / f"{form_id}.override.toml") if p.exists()]


def current_form(form_id: str = "retail_customer") -> FormDefinition:
    return load_form(form_id, form_overrides(form_id))


def form_for(archive: Archive) -> FormDefinition:
    """The newest catalogue this archive knows: one the server published, else the built-in one."""
    builtin = current_form()
    raw = archive.meta.get("published_form")
    if not raw:
        return builtin
    form = form_from_dict(json.loads(raw), "published form")
    for path in form_overrides(form.form_id):
        form = apply_override(form, load_override(path), str(path))
    return form if form.version >= builtin.version else builtin


@lru_cache(maxsize=1)
def builtin_calendar() -> WorkCalendar:
    return WorkCalendar.load()


@lru_cache(maxsize=4)
def _server_calendar(raw: str) -> WorkCalendar | None:
    try:
        return WorkCalendar.from_server(json.loads(raw))
    except (ValueError, TypeError, AttributeError):
        return None


def calendar_for(archive: Archive) -> WorkCalendar:
    """The work calendar this archive knows: the server's (kept by sync) if there is one and it can be
    read, else the built-in one."""
    raw = archive.meta.get(SERVER_CALENDAR_META)
    return (_server_calendar(raw) if raw else None) or builtin_calendar()


def _role(stored: str | None) -> UserRole:
    """The role the server gave at the last sign-in (a collector until then)."""
    try:
        return UserRole(stored) if stored else UserRole.COLLECTOR
    except ValueError:
        return UserRole.COLLECTOR


def _open(profile: Profile, key: bytes, background_check: bool = False) -> Session:
    archive = profile.open(key, background=background_check)
    session = Session(
        profile, archive, key, form_for(archive), _role(archive.meta.get("sync_role")), calendar_for(archive)
    )
    if archive.open_check is not None:
        archive.open_check.when_done(session._checked)
    return session


def _device_secret_name(profile: Profile, archive_id: str) -> str:
    return f"archive-key/{profile.name}/{archive_id}"


@dataclass
class Session:
    """An unlocked profile: everything a use case needs.

    The session owns the state its use cases share: the form in force and the work calendar. They
    change only through ``set_form`` / ``set_calendar`` (on the DB thread, during a sync), which
    announce the change on ``events``; the UI keeps its own copy, updated on the GUI thread from
    those events (``app.ui.context.UiContext``), and never reads these attributes itself.
    """

    _profile: Profile
    _archive: Archive
    key: bytes = field(repr=False)
    form: FormDefinition
    role: UserRole = UserRole.COLLECTOR
    calendar: WorkCalendar = field(default_factory=builtin_calendar)
    events: EventBus = field(default_factory=EventBus, repr=False, compare=False)
    _integrity_error: StorageError | None = field(default=None, repr=False, compare=False)
    _checks_done: bool = field(default=False, repr=False, compare=False)

    def set_form(self, form: FormDefinition) -> bool:
        """Put a newer form in force (an older or equal version is ignored); True if it was."""
        if form.version <= self.form.version:
            return False
        self.form = form
        self.events.publish(FormChanged(form))
        return True

    @property
    def integrity_error(self) -> StorageError | None:
        """What the archive's open checks found, once they did (they may run beside the user)."""
        return self._integrity_error

    @property
    def checking(self) -> bool:
        """The open checks still run beside the user (writes wait for them)."""
        return self._archive.open_check is not None and not self._checks_done

    def _checked(self, problems: list[str]) -> None:  # from the checks' thread
        if problems:
            self._integrity_error = self._profile.integrity_error(problems)
        self._checks_done = True  # before the event: a listener subscribing now sees one or the other
        if problems:
            assert self._integrity_error is not None
            self.events.publish(IntegrityFailed(self._integrity_error))
        else:
            self.events.publish(IntegrityChecked())

    def set_calendar(self, calendar: WorkCalendar) -> None:
        if calendar != self.calendar:
            self.calendar = calendar
            self.events.publish(CalendarChanged(calendar))

    @property
    def user(self) -> str:
        return self._archive.db.actor

    @property
    def demo(self) -> bool:
        """A demo archive (app.services.demo): generated customers, never synced."""
        return self._archive.meta.get("demo") == "1"

    def today(self) -> dt.date:
        return times.today()

    def close(self) -> None:
        self._archive.close()


def create(name: str = DEFAULT_PROFILE, *, passphrase: str, actor: str | None = None) -> tuple[Session, str]:
    profile = Profile(name)
    archive, key, code = profile.create(passphrase, actor or default_actor())
    return Session(profile, archive, key, form_for(archive), calendar=calendar_for(archive)), code


def unlock(
    name: str = DEFAULT_PROFILE,
    *,
    passphrase: str | None = None,
    recovery_code: str | None = None,
    key: bytes | None = None,
    background_check: bool = False,
) -> Session:
    """Open the profile's archive. With ``background_check`` (the desktop app) the integrity checks
    run beside the user: the session is returned at once for reading, its writes wait for the checks
    and are refused if they failed, and a failure is published as ``IntegrityFailed``."""
    profile = Profile(name)
    if not profile.exists():
        raise StorageError(
            StorageErrorKind.NO_ARCHIVE,
            N_("There is no archive in {folder} yet. Create one first (init)."),
            folder=str(profile.dir),
        )
    if key is None:
        if recovery_code is not None:
            key = profile.unlock_with_recovery(recovery_code)
        elif passphrase is not None:
            key = profile.unlock(passphrase)
        else:
            raise StorageError(StorageErrorKind.WRONG_PASSPHRASE, N_("A passphrase is needed to open the archive."))
    return _open(profile, key, background_check)


def device_key(name: str = DEFAULT_PROFILE) -> bytes | None:
    """The data key remembered on this device, if "unlock on this device" is on and still valid."""
    profile = Profile(name)
    if not profile.keyfile_path.exists():
        return None
    try:
        archive_id = profile.keyfile().archive_id
    except StorageError:
        return None
    stored = secrets.get_secret(_device_secret_name(profile, archive_id))
    if not stored:
        return None
    try:
        key = base64.b64decode(stored, validate=True)
    except ValueError:
        return None
    return key if len(key) == 32 else None


def remember_on_device(session: Session) -> None:
    """Keep the data key in the OS keyring; raises ``secrets.KeyringUnavailable`` where there is none."""
    secrets.set_secret(
        _device_secret_name(session._profile, session._archive.meta.archive_id),
        base64.b64encode(session.key).decode("ascii"),
    )
    device_unlock_marker(session._profile.name).touch()


def forget_on_device(name: str = DEFAULT_PROFILE) -> None:
    profile = Profile(name)
    try:
        archive_id = profile.keyfile().archive_id
    except StorageError:
        return
    secrets.delete_secret(_device_secret_name(profile, archive_id))
    device_unlock_marker(name).unlink(missing_ok=True)


def change_passphrase(session: Session, new_passphrase: str) -> None:
    session._profile.set_passphrase(session.key, new_passphrase)


COMMON_PASSWORDS = frozenset(
    """12345678 123456789 1234567890 87654321 11111111 88888888 66666666 00000000 password
password1 passw0rd qwertyui qwerty123 asdfghjk zxcvbnm1 iloveyou woaini1314 woaini520 abc12345 a1234567 aa123456
1qaz2wsx qazwsxedc 5201314520 admin123 admin888 abcd1234 wang1234 zhang123 li123456 shanghai beijing1""".split()
)
STRENGTH_MSGIDS = (N_("Too short"), N_("Weak"), N_("Fair"), N_("Good"), N_("Strong"))


def passphrase_strength(passphrase: str) -> int:
    """0 (too short or well known) … 4 (strong): a rough estimate of the guessing work, shown while typing."""

    p = unicodedata.normalize("NFKC", passphrase)
    if len(p) < 8 or p.lower() in COMMON_PASSWORDS:
        return 0
    pool = 0
    pool += 10 if any(c.isdigit() for c in p) else 0
    pool += 26 if any(c.islower() for c in p) else 0
    pool += 26 if any(c.isupper() for c in p) else 0
    pool += 33 if any(not c.isalnum() and ord(c) < 128 for c in p) else 0
    pool += 3000 if any(ord(c) > 0x2E80 for c in p) else 0
    distinct = len(set(p))
    bits = min(len(p), distinct * 2) * math.log2(max(pool, 2))
    return 1 if bits < 40 else 2 if bits < 60 else 3 if bits < 80 else 4

"""Creating and unlocking a profile; "unlock on this device" through the OS keyring."""
from __future__ import annotations

import base64
import datetime as dt
import getpass
import logging
from dataclasses import dataclass, field
from pathlib import Path

from app import secrets
from app.errors import StorageError, StorageErrorKind
from app.i18n import N_
from app.models.catalogue import FormDefinition, load_form
from app.paths import DEFAULT_PROFILE, app_home
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


def _device_secret_name(profile: Profile, archive_id: str) -> str:
    return f"archive-key/{profile.name}/{archive_id}"


@dataclass
class Session:
    """An unlocked profile: everything a use case needs."""

    profile: Profile
    archive: Archive
    key: bytes = field(repr=False)
    form: FormDefinition
    role: str = "collector"

    @property
    def user(self) -> str:
        return self.archive.actor

    def today(self) -> dt.date:
        return dt.date.today()

    def close(self) -> None:
        self.archive.close()


def create(name: str = DEFAULT_PROFILE, *, passphrase: str, actor: str | None = None) -> tuple[Session, str]:
    profile = Profile(name)
    archive, key, code = profile.create(passphrase, actor or default_actor())
    return Session(profile, archive, key, current_form()), code


def unlock(name: str = DEFAULT_PROFILE, *, passphrase: str | None = None, recovery_code: str | None = None,
           key: bytes | None = None) -> Session:
    profile = Profile(name)
    if not profile.exists():
        raise StorageError(StorageErrorKind.NO_ARCHIVE, N_("There is no archive in {folder} yet. Create one first (init)."),
                           folder=str(profile.dir))
    if key is None:
        if recovery_code is not None:
            key = profile.unlock_with_recovery(recovery_code)
        elif passphrase is not None:
            key = profile.unlock(passphrase)
        else:
            raise StorageError(StorageErrorKind.WRONG_PASSPHRASE, N_("A passphrase is needed to open the archive."))
    return Session(profile, profile.open(key), key, current_form())


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
    secrets.set_secret(_device_secret_name(session.profile, session.archive.archive_id),
                       base64.b64encode(session.key).decode("ascii"))


def forget_on_device(name: str = DEFAULT_PROFILE) -> None:
    profile = Profile(name)
    try:
        archive_id = profile.keyfile().archive_id
    except StorageError:
        return
    secrets.delete_secret(_device_secret_name(profile, archive_id))


def change_passphrase(session: Session, new_passphrase: str) -> None:
    session.profile.set_passphrase(session.key, new_passphrase)

"""A profile folder: the archive, its wrapped keys, its backups and the unlock throttle.

Nothing here ever creates, replaces or rewrites an archive as a side effect of a
failed unlock: a wrong passphrase is detected by the key file (AES-GCM tag)
before the database is opened, and a missing or damaged archive is reported,
never replaced by a new empty one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from app import scratch
from app.errors import StorageError
from app.errors import StorageErrorKind as K
from app.i18n import N_, Nn_
from app.paths import DEFAULT_PROFILE, atomic_write, ensure_private_dir, profile_dir
from app.storage import backup as bk

if TYPE_CHECKING:
    from app.storage.archive import Archive
    from app.storage.db import StorageFault
    from app.storage.keys import KeyFile

# The archive, key and migration modules (SQLAlchemy, SQLCipher, Argon2) are imported where they
# are used: checking whether a profile exists, or how long to wait, must not cost the app's start.

log = logging.getLogger(__name__)
FREE_FAILURES = 3
MAX_DELAY = 300.0
AUTO_BACKUPS_KEPT = 10


def delay_after(failures: int) -> float:
    """Seconds to wait before the next attempt after ``failures`` wrong passphrases in a row."""
    return 0.0 if failures < FREE_FAILURES else min(MAX_DELAY, float(2 ** (failures - FREE_FAILURES + 1)))


class Profile:
    def __init__(self, name: str = DEFAULT_PROFILE, folder: Path | None = None) -> None:
        self.name = name
        self.dir = folder or profile_dir(name)
        self.archive_path = self.dir / "archive.db"
        self.keyfile_path = self.dir / "keys.json"
        self.backup_dir = self.dir / "backups"
        self.throttle_path = self.dir / "unlock.json"
        self.clock = time.time

    def exists(self) -> bool:
        return self.archive_path.exists() or self.keyfile_path.exists()

    # ---- creation --------------------------------------------------------------------------
    @staticmethod
    def check_passphrase(passphrase: str) -> None:
        from app.storage.keys import MAX_PASSPHRASE, MIN_PASSPHRASE

        if len(passphrase) < MIN_PASSPHRASE:
            raise StorageError(
                K.WRONG_PASSPHRASE,
                Nn_(
                    "The passphrase must have at least {n} character.",
                    "The passphrase must have at least {n} characters.",
                ),
                count="n",
                n=MIN_PASSPHRASE,
            )
        if len(passphrase) > MAX_PASSPHRASE:
            raise StorageError(
                K.WRONG_PASSPHRASE,
                Nn_(
                    "The passphrase must have at most {n} character.",
                    "The passphrase must have at most {n} characters.",
                ),
                count="n",
                n=MAX_PASSPHRASE,
            )

    def create(self, passphrase: str, actor: str) -> tuple[Archive, bytes, str]:
        """A new archive; returns it, its data key and the recovery code (to show once)."""
        if self.exists():
            raise StorageError(
                K.ALREADY_EXISTS,
                N_("An archive already exists in {folder}; it was left unchanged."),
                folder=str(self.dir),
            )
        from app.storage.archive import Archive
        from app.storage.keys import new_keyfile

        self.check_passphrase(passphrase)
        ensure_private_dir(self.dir)
        ensure_private_dir(self.backup_dir)
        archive_id = str(uuid.uuid4())
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        keyfile, key, code = new_keyfile(archive_id, passphrase, now)
        staging = self.dir / "archive.db.new"
        for p in staging.parent.glob("archive.db.new*"):
            p.unlink()
        arc = Archive.create(staging, key, archive_id, actor)
        arc.close()
        atomic_write(self.keyfile_path, keyfile.to_json())
        os.replace(staging, self.archive_path)
        return self.open(key), key, code

    # ---- keys ------------------------------------------------------------------------------
    def keyfile(self) -> KeyFile:
        from app.storage.keys import KeyFile, KeyFileError

        try:
            return KeyFile.from_json(self.keyfile_path.read_bytes())
        except FileNotFoundError:
            if self.archive_path.exists():
                raise StorageError(
                    K.CORRUPT,
                    N_(
                        "The key file {file} is missing, so the archive cannot be opened. "
                        "Restore it from a backup in {backups}."
                    ),
                    file=str(self.keyfile_path),
                    backups=str(self.backup_dir),
                ) from None
            raise StorageError(
                K.NO_ARCHIVE, N_("There is no archive in {folder} yet. Create one first (init)."), folder=str(self.dir)
            ) from None
        except (KeyFileError, OSError):
            raise StorageError(
                K.CORRUPT,
                N_("The key file {file} is damaged. Restore the archive from a backup in {backups}."),
                file=str(self.keyfile_path),
                backups=str(self.backup_dir),
            ) from None

    def _throttle(self) -> dict[str, float]:
        try:
            d = json.loads(self.throttle_path.read_text())
            return {"failures": float(d.get("failures", 0)), "last": float(d.get("last", 0))}
        except (OSError, ValueError, TypeError, AttributeError):
            return {"failures": 0.0, "last": 0.0}

    def wait_seconds(self) -> float:
        """How long until the next unlock attempt is allowed (0 = now)."""
        t = self._throttle()
        now = self.clock()
        last = min(t["last"], now)  # a clock set back must not lock the user out for ever
        return max(0.0, last + delay_after(int(t["failures"])) - now)

    def _failed(self) -> None:
        t = self._throttle()
        atomic_write(
            self.throttle_path, json.dumps({"failures": int(t["failures"]) + 1, "last": self.clock()}).encode()
        )

    def _succeeded(self) -> None:
        if self.throttle_path.exists():
            self.throttle_path.unlink(missing_ok=True)

    def _unlock(self, secret: str, slot: str) -> bytes:
        from app.storage.keys import WrongSecret

        keyfile = self.keyfile()
        wait = self.wait_seconds()
        if wait > 0:
            raise StorageError(
                K.LOCKED_OUT,
                Nn_(
                    "Too many wrong attempts. Try again in {seconds} second.",
                    "Too many wrong attempts. Try again in {seconds} seconds.",
                ),
                count="seconds",
                seconds=int(wait + 0.999),
            )
        try:
            key = keyfile.unlock_with_recovery(secret) if slot == "recovery" else keyfile.unlock_with_passphrase(secret)
        except WrongSecret:
            self._failed()
            wait = self.wait_seconds()
            recovery = slot == "recovery"
            if wait > 0:
                plural = (
                    Nn_(
                        "The recovery code is not correct. Wait {seconds} second before the next try.",
                        "The recovery code is not correct. Wait {seconds} seconds before the next try.",
                    )
                    if recovery
                    else Nn_(
                        "The passphrase is not correct. Wait {seconds} second before the next try.",
                        "The passphrase is not correct. Wait {seconds} seconds before the next try.",
                    )
                )
                raise StorageError(K.WRONG_PASSPHRASE, plural, count="seconds", seconds=int(wait + 0.999)) from None
            msgid = N_("The recovery code is not correct.") if recovery else N_("The passphrase is not correct.")
            raise StorageError(K.WRONG_PASSPHRASE, msgid) from None
        except KeyError:
            raise StorageError(
                K.CORRUPT,
                N_("The key file {file} is damaged. Restore the archive from a backup in {backups}."),
                file=str(self.keyfile_path),
                backups=str(self.backup_dir),
            ) from None
        self._succeeded()
        return key

    def unlock(self, passphrase: str) -> bytes:
        return self._unlock(passphrase, "passphrase")

    def unlock_with_recovery(self, code: str) -> bytes:
        return self._unlock(code, "recovery")

    def set_passphrase(self, key: bytes, new_passphrase: str) -> None:
        """Rewrap the data key under a new passphrase; the database is not rewritten."""
        self.check_passphrase(new_passphrase)
        atomic_write(self.keyfile_path, self.keyfile().with_passphrase(key, new_passphrase).to_json())

    # ---- opening ---------------------------------------------------------------------------
    def _fault(self, fault: StorageFault) -> StorageError:
        backups = str(self.backup_dir)
        if fault.kind == "missing":
            return StorageError(
                K.CORRUPT,
                N_(
                    "The archive file {file} is missing. Nothing was created in its place. "
                    "Restore it from a backup in {backups}."
                ),
                file=str(self.archive_path),
                backups=backups,
            )
        if fault.kind == "too_new":
            return StorageError(
                K.TOO_NEW, N_("This archive was written by a newer version of FieldArchive. Please update the app.")
            )
        if fault.kind == "migration":
            log.error("archive upgrade failed: %s", fault.detail)
            return StorageError(
                K.CORRUPT,
                N_(
                    "The archive could not be upgraded to this version of the app ({detail}). "
                    "It was left unchanged; a backup is in {backups}."
                ),
                detail=fault.detail[:120],
                backups=backups,
            )
        if fault.kind == "disk_full":
            return StorageError(K.DISK_FULL, N_("The disk is full. Free some space and try again; nothing was lost."))
        if fault.kind == "busy":
            return StorageError(
                K.BUSY, N_("The archive is in use by another FieldArchive window or command. Try again.")
            )
        log.error("archive damaged: %s", fault.detail)
        return StorageError(
            K.CORRUPT,
            N_(
                "The archive file {file} is damaged ({detail}). It was left unchanged. "
                "Restore it from a backup in {backups}."
            ),
            file=str(self.archive_path),
            detail=fault.detail[:120],
            backups=backups,
        )

    @property
    def scratch_dir(self) -> Path:
        """Temporary files of exports, reports and backups (app/scratch.py): private, never $TMPDIR."""
        return self.dir / scratch.SCRATCH_DIR

    def open(self, key: bytes, actor: str | None = None, check: bool = True, background: bool = False) -> Archive:
        from app.storage.archive import Archive
        from app.storage.db import StorageFault

        try:
            removed = scratch.clean(self.scratch_dir)  # what a killed export or backup left behind
            if removed:
                log.info("removed %d temporary files left by an earlier run", removed)
        except OSError as exc:
            log.warning("temporary files of an earlier run could not be removed: %s", exc.strerror or exc)
        try:
            arc = Archive.open(
                self.archive_path,
                key,
                actor,
                before_migration=self._backup_before_migration,
                check=check,
                background=background,
            )
        except StorageFault as fault:
            raise self._fault(fault) from None
        if arc.open_check is not None:  # the checks run beside the user: a refused write says what to do
            arc.db.write_gate = lambda: self._write_gate(arc)
        arc.db.on_damage = self._fault  # and so does a damaged page met by any query
        return arc

    def _write_gate(self, arc: Archive) -> None:
        problems = arc.open_check_problems()
        if problems:
            raise self.integrity_error(problems)

    def integrity_error(self, problems: list[str]) -> StorageError:
        """The user's message for what the open checks found (names the backup folder)."""
        from app.storage.db import StorageFault

        return self._fault(StorageFault("corrupt", "; ".join(problems[:3])))

    def _backup_before_migration(self, arc: Archive, version: int) -> None:
        from app.storage import migrations

        self.backup(arc, kind=f"before-v{migrations.SCHEMA_VERSION}", prefix=f"auto-from-v{version}")

    # ---- backup and restore ----------------------------------------------------------------
    def backup(self, arc: Archive, target: Path | None = None, kind: str = "manual", prefix: str = "backup") -> Path:
        from app.storage.db import StorageFault

        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        if target is None:
            target = self.backup_dir / f"{prefix}-{stamp}{bk.SUFFIX}"
            n = 1
            while target.exists():
                n += 1
                target = self.backup_dir / f"{prefix}-{stamp}-{n}{bk.SUFFIX}"
        elif target.exists():
            raise StorageError(K.ALREADY_EXISTS, N_("{file} already exists; choose another name."), file=str(target))
        header = {
            "archive_id": arc.meta.archive_id,
            "schema_version": arc.meta.schema_version,
            "kind": kind,
            "keyfile": json.loads(self.keyfile().to_json()),
        }
        try:
            path = bk.write_backup(lambda p: arc.vacuum_into(p), target, header, self.scratch_dir)
        except StorageFault as fault:
            raise self._fault(fault) from None
        except OSError as exc:
            raise StorageError(
                K.DISK_FULL,
                N_("The backup could not be written to {file}: {reason}"),
                file=str(target),
                reason=exc.strerror or str(exc),
            ) from None
        if prefix.startswith("auto"):
            bk.prune(self.backup_dir, "auto", AUTO_BACKUPS_KEPT)
        return path

    def restore(self, source: Path, secret: str | None = None, key: bytes | None = None, recovery: bool = False) -> str:
        """Replace the archive with a backup; the replaced files are kept in the backup folder."""
        from app.storage.archive import Archive
        from app.storage.db import StorageFault
        from app.storage.keys import KeyFile, KeyFileError, WrongSecret

        try:
            header = bk.read_header(source)
            keyfile = KeyFile.from_json(json.dumps(header["keyfile"]))
        except (bk.BadBackup, KeyFileError) as exc:
            raise StorageError(
                K.BAD_BACKUP, N_("{file} cannot be restored: {reason}."), file=str(source), reason=str(exc)
            ) from None
        if key is None or (self.keyfile_path.exists() and self.keyfile().archive_id != keyfile.archive_id):
            if secret is None:
                raise StorageError(
                    K.WRONG_PASSPHRASE, N_("This backup belongs to another archive; enter its passphrase.")
                )
            try:
                key = keyfile.unlock_with_recovery(secret) if recovery else keyfile.unlock_with_passphrase(secret)
            except WrongSecret:
                raise StorageError(
                    K.WRONG_PASSPHRASE, N_("The passphrase or recovery code does not open this backup.")
                ) from None
        ensure_private_dir(self.dir)
        staging = self.dir / "archive.db.restoring"
        try:
            bk.extract_db(source, staging)
            arc = Archive.open(staging, key, check=False)
            problems = arc.integrity_problems(full=True)
            arc.close()
            if problems:
                raise StorageFault("corrupt", "; ".join(problems[:3]))
        except bk.BadBackup as exc:
            staging.unlink(missing_ok=True)
            raise StorageError(
                K.BAD_BACKUP, N_("{file} cannot be restored: {reason}."), file=str(source), reason=str(exc)
            ) from None
        except StorageFault as fault:
            for p in self.dir.glob("archive.db.restoring*"):
                p.unlink(missing_ok=True)
            if fault.kind == "too_new":
                raise self._fault(fault) from None
            raise StorageError(
                K.BAD_BACKUP, N_("{file} cannot be restored: {reason}."), file=str(source), reason=fault.detail[:120]
            ) from None
        self._set_aside_current()
        os.replace(staging, self.archive_path)
        for p in self.dir.glob("archive.db.restoring-*"):
            p.unlink(missing_ok=True)
        if not self.keyfile_path.exists() or self.keyfile().archive_id != keyfile.archive_id:
            atomic_write(self.keyfile_path, keyfile.to_json())
        return keyfile.archive_id

    def _set_aside_current(self) -> None:
        if not self.archive_path.exists():
            return
        folder = ensure_private_dir(self.backup_dir / f"replaced-{dt.datetime.now().strftime('%Y%m%d-%H%M%S-%f')}")
        for name in ("archive.db", "archive.db-wal", "archive.db-shm", "keys.json"):
            src = self.dir / name
            if src.exists():
                shutil.copy2(src, folder / name) if name == "keys.json" else os.replace(src, folder / name)

"""Move the one home folder of earlier versions to the platform's folders, once (app/paths.py).

Earlier versions kept archives, backups, logs and settings in one folder (on Windows under the
*roaming* profile, copied at every log-in). Now the archives, backups and logs go under local
application data and the settings under the roaming folder. The move runs at start, before
anything opens a file, only when neither ``--home`` nor ``$FIELDARCHIVE_HOME`` is given:

1. every archive is backed up first into its own backups folder (a ``.fabak`` file of
   app/storage/backup.py, kind ``before-move``: the encrypted database file as it is with its
   wrapped keys, which needs no passphrase and restores like any backup);
2. everything is *copied* to a hidden staging folder beside its new place and checked file by file
   (size and SHA-256);
3. the staged folders are renamed into place, a note ``.moved.json`` is written in the old folder,
   and only then are the old copies removed. (A run stopped between the renames and the note is
   finished by the next start when the new places hold exactly the old files.)

A failure before the note (disk full, a file in use, a crash) leaves the old folder untouched and
in use: the staged copies are removed and this run uses the old folder as before; the next start
tries again. The old copies are renamed ``.removing-*`` before they are deleted; what an
interrupted deletion leaves is removed by the next start. Nothing is moved while another copy of the app has a
profile open, nor while an archive has an unfinished write-ahead log (a crash): the move waits for a clean close.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from app import paths, scratch
from app.instance_lock import LOCK_NAME, ProfileLock, pid_alive
from app.storage import backup as bk

log = logging.getLogger(__name__)
NOTE = ".moved.json"
STAGING = ".moving-"
TRASH = ".removing-"
_CHUNK = 1 << 20


@dataclass
class MoveResult:
    """``state``: "none" (nothing to move), "moved", "kept" (this run uses the old folder)."""

    state: str
    moved: list[str] = field(default_factory=list)
    backups: list[Path] = field(default_factory=list)
    reason: str = ""


def plan(legacy: Path) -> list[tuple[Path, Path]]:
    """(old, new) for each part of the old folder whose place changed."""
    targets = {
        "profiles": paths.app_home() / "profiles",
        "forms": paths.app_home() / "forms",
        "settings.json": paths.settings_file(),
        "logs": paths.log_dir(),
    }
    out = []
    for name, new in targets.items():
        old = legacy / name
        if old.exists() and old.resolve() != new.resolve():
            out.append((old, new))
    return out


def _files(root: Path) -> dict[str, tuple[int, str]]:
    """Relative path → (size, SHA-256) of every file under ``root`` (or of ``root`` itself)."""
    found: dict[str, tuple[int, str]] = {}
    items = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for p in items:
        sha, size = hashlib.sha256(), 0
        with open(p, "rb") as f:
            while chunk := f.read(_CHUNK):
                sha.update(chunk)
                size += len(chunk)
        found["." if p == root else p.relative_to(root).as_posix()] = (size, sha.hexdigest())
    return found


def _same(old: Path, new: Path) -> bool:
    try:
        return _files(old) == _files(new)
    except OSError:
        return False


def _copy(src: Path, dst: Path) -> None:
    """Copy a folder or a file (the step a test makes fail half-way)."""
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=shutil.copy2)
    else:
        paths.ensure_private_dir(dst.parent)
        shutil.copy2(src, dst)


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p)
    elif p.exists():
        p.unlink()


def _busy(profiles: Path) -> str:
    """Why the profiles cannot be moved now ("" if they can)."""
    for folder in sorted(p for p in profiles.iterdir() if p.is_dir()) if profiles.is_dir() else []:
        owner = ProfileLock(folder.name, folder).owner() if (folder / LOCK_NAME).exists() else None
        pid = owner.get("pid") if owner else None
        if isinstance(pid, int) and pid_alive(pid) and pid != os.getpid():
            return f"profile {folder.name} is open in process {pid}"
        wal = folder / "archive.db-wal"
        if wal.exists() and wal.stat().st_size > 0:
            return f"profile {folder.name} has an unfinished write-ahead log"
    return ""


def backup_before_move(profiles: Path) -> list[Path]:
    """A ``before-move`` backup of each archive in ``profiles``, in its own backups folder."""
    made = []
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in sorted(p for p in profiles.iterdir() if p.is_dir()) if profiles.is_dir() else []:
        db, keys = folder / "archive.db", folder / "keys.json"
        if not db.exists() or not keys.exists():
            continue
        keyfile = json.loads(keys.read_text(encoding="utf-8"))
        target = folder / "backups" / f"before-move-{stamp}{bk.SUFFIX}"
        header = {
            "archive_id": keyfile.get("archive_id"),
            "schema_version": None,
            "kind": "before-move",
            "keyfile": keyfile,
        }
        made.append(
            bk.write_backup(lambda p, db=db: shutil.copyfile(db, p), target, header, folder / scratch.SCRATCH_DIR)
        )
    return made


def move_legacy_home() -> MoveResult:
    """Move the old home folder's parts to their new places (see the module's text). Never raises:
    on any failure the old folder is used for this run (``paths.set_home``) and the reason logged."""
    if paths.home_given() is not None:
        return MoveResult("none")
    legacy = paths.legacy_home()
    if not legacy.is_dir():
        return MoveResult("none")
    steps = plan(legacy)
    if (legacy / NOTE).exists():  # moved earlier; remove what an interrupted clean-up left behind
        for trash in legacy.glob(TRASH + "*"):
            _quiet_remove(trash)
        if steps:  # e.g. an older version started since and made them anew: theirs, left alone
            log.warning("the old folder %s holds %s again; left as it is", legacy, ", ".join(o.name for o, _n in steps))
        return MoveResult("none")
    if not steps:
        return MoveResult("none")
    done = [(old, new) for old, new in steps if new.exists() and _same(old, new)]  # a run stopped before the note
    clash = [new for old, new in steps if new.exists() and (old, new) not in done]
    if clash:  # both the old and a new place hold different data: keep the old one in use, touch neither
        return _keep(legacy, f"both {legacy} and {clash[0]} exist", [])
    busy = _busy(legacy / "profiles")
    if busy:
        return _keep(legacy, busy, [])
    staged: list[tuple[Path, Path, Path]] = []
    placed: list[Path] = []
    made: list[Path] = []
    try:
        if any(old.name == "profiles" and (old, new) not in done for old, new in steps):
            made = backup_before_move(legacy / "profiles")
        for old, new in steps:
            if (old, new) in done:
                continue
            stage = new.with_name(STAGING + new.name)
            _remove(stage)
            staged.append((old, new, stage))
            _copy(old, stage)
            if _files(old) != _files(stage):
                raise OSError(f"the copy of {old.name} differs from the original")
        for _old, new, stage in staged:
            os.replace(stage, new)
            placed.append(new)
        paths.atomic_write(
            legacy / NOTE,
            json.dumps(
                {
                    "moved": {old.name: str(new) for old, new in steps},
                    "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                },
                indent=1,
            ).encode(),
        )
    except Exception as exc:  # noqa: BLE001 - whatever failed, the old folder stays as it was
        for p in placed:
            _quiet_remove(p)
        for _old, _new, stage in staged:
            _quiet_remove(stage)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        return _keep(legacy, reason, made)
    for old, _new in steps:  # renamed first, so that what is left is recognisably ours
        trash = old.with_name(TRASH + old.name)
        try:
            _remove(trash)
            os.replace(old, trash)
        except OSError as exc:
            log.warning("old %s not removed; remove it by hand: %s", old, exc.strerror or exc)
            continue
        try:
            _remove(trash)
        except OSError as exc:
            log.warning("old %s not removed (the next start tries again): %s", old.name, exc.strerror or exc)
    log.info("moved %s from the old home folder to the platform's folders", ", ".join(o.name for o, _n in steps))
    return MoveResult("moved", [old.name for old, _new in steps], made)


def _quiet_remove(p: Path) -> None:
    try:
        _remove(p)
    except OSError as exc:
        log.warning("%s not removed: %s", p, exc.strerror or exc)


def _keep(legacy: Path, reason: str, made: list[Path]) -> MoveResult:
    log.warning("the data stays in %s for now (%s)", legacy, reason)
    paths.set_home(legacy)
    return MoveResult("kept", [], made, reason)

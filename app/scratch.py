"""Temporary files of exports, reports, templates and backups: never in the system temp folder.

A workbook being written holds its sheets as plaintext XML until it is zipped (openpyxl's write-only
mode), and the half-written workbook itself is plaintext too; a process killed midway used to leave
those files in $TMPDIR for anyone to read. Now:

- *scratch* files (openpyxl's sheet XML) go into the profile's private folder ``<profile>/tmp``
  (0700), or beside the target when there is no profile (a blank template);
- the file that becomes the target (written, then renamed over it) is created *beside* the target,
  so the rename stays on one disk, and a *marker* in ``<profile>/tmp`` names it;
- every such file is named ``.fieldarchive-tmp-<pid>-<random>…``, created 0600, and removed when the
  work ends or fails; the next start of the profile (``clean``) removes what a killed run left:
  the files of processes that are gone, and the files the markers of those runs name.

Qt-free and dependency-free (storage, export and services use it).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

PREFIX = ".fieldarchive-tmp-"
MARKER = ".where"
SCRATCH_DIR = "tmp"  # inside the profile folder
_local = threading.local()


def _name(suffix: str) -> str:
    return f"{PREFIX}{os.getpid()}-{secrets.token_hex(6)}{suffix}"


def private_dir(folder: Path) -> Path:
    """The profile's scratch folder: created and kept 0700."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)
    return folder


def new_file(folder: Path, suffix: str = "") -> Path:
    """A new, empty file only this user can read, with the recognisable name (``folder`` is created
    0700 when missing, an existing one is left as it is: it may be the user's own folder)."""
    if not folder.is_dir():
        private_dir(folder)
    for _attempt in range(20):
        path = folder / _name(suffix)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def beside(target: Path, scratch: Path | None, suffix: str = ".tmp") -> Path:
    """A path beside ``target`` for the file that will be renamed over it (not created yet); a
    marker in ``scratch`` names it so that the next start removes it if this run is killed."""
    path = target.with_name(_name(suffix))
    if scratch is not None:
        marker = new_file(scratch, MARKER)
        marker.write_text(str(path.resolve()), encoding="utf-8")
        _markers()[path] = marker
    return path


def _with_companions(path: Path) -> list[Path]:
    """The file and what SQLite may add beside it (a VACUUM INTO target has a rollback journal)."""
    return [path] + [path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm")]


def release(path: Path) -> None:
    """Remove ``path`` (if still there), SQLite's companions of it, and its marker."""
    for f in _with_companions(path):
        with contextlib.suppress(FileNotFoundError):
            f.unlink()
    marker = _markers().pop(path, None)
    if marker is not None:
        with contextlib.suppress(FileNotFoundError):
            marker.unlink()


def _markers() -> dict[Path, Path]:
    if not hasattr(_local, "markers"):
        _local.markers = {}
    markers: dict[Path, Path] = _local.markers
    return markers


@contextlib.contextmanager
def scratch_folder(folder: Path) -> Iterator[Path]:
    """Within the block, on this thread, scratch files of the spreadsheet writer go to ``folder``."""
    previous = getattr(_local, "folder", None)
    _local.folder = folder
    try:
        yield folder
    finally:
        _local.folder = previous


def current_folder() -> Path | None:
    return getattr(_local, "folder", None)


def archive_scratch(archive_path: Path) -> Path:
    """The scratch folder of the profile whose archive file is ``archive_path``."""
    return private_dir(Path(archive_path).parent / SCRATCH_DIR)


def _pid_of(name: str) -> int | None:
    rest = name[len(PREFIX) :]
    head = rest.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return False  # a file another running process still has open cannot be removed there anyway
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def clean(scratch: Path) -> int:
    """Remove what earlier, killed runs left: the files in ``scratch`` whose process is gone, and the
    files beside their targets that their markers name. Returns how many files were removed."""
    if not scratch.is_dir():
        return 0
    removed = 0
    for entry in sorted(scratch.iterdir()):
        if not entry.name.startswith(PREFIX) or not entry.is_file():
            continue
        pid = _pid_of(entry.name)
        if pid is not None and _alive(pid):
            continue
        if entry.name.endswith(MARKER):
            try:
                named = Path(entry.read_text(encoding="utf-8").strip())
            except (OSError, UnicodeDecodeError):
                named = None
            if named is not None and named.name.startswith(PREFIX) and _pid_of(named.name) == pid:
                kept = False
                for f in _with_companions(named):
                    try:
                        f.unlink()
                        removed += 1
                    except FileNotFoundError:
                        pass
                    except OSError:
                        kept = True
                if kept:
                    continue  # keep the marker: try again next time
        try:
            entry.unlink()
            removed += 0 if entry.name.endswith(MARKER) else 1
        except OSError:
            pass
    return removed

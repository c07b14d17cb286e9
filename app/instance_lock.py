"""One running copy of the app per profile: a lock file in the profile folder holding the process id.

A second copy (of the desktop app) on the same profile is refused with a clear message instead of
opening the archive a second time. A lock left behind by a copy that crashed (its process is gone, or
the pid now belongs to a process started later) is taken over. Qt-free, so it is tested directly."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import socket
import sys
from pathlib import Path

from app.errors import UserFacingError
from app.i18n import N_
from app.paths import DEFAULT_PROFILE, ensure_private_dir, profile_dir

log = logging.getLogger(__name__)
LOCK_NAME = "fieldarchive.lock"
IN_USE = N_(
    "The profile “{profile}” is already open in another copy of FieldArchive (process {pid}). "
    "Switch to that window, or close it there and start again."
)


class ProfileInUse(UserFacingError):
    """Another running copy of FieldArchive has this profile open."""


def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (Linux: clock ticks since boot, field 22 of /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]  # windll exists on Windows only
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        try:
            ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    return True


class ProfileLock:
    """``acquire()`` raises :class:`ProfileInUse` while another live process holds the profile."""

    def __init__(self, profile: str = DEFAULT_PROFILE, folder: Path | None = None) -> None:
        self.profile = profile
        self.folder = folder if folder is not None else profile_dir(profile)
        self.path = self.folder / LOCK_NAME
        self.held = False

    def owner(self) -> dict[str, object] | None:
        """What the lock file says (pid, host, start), or None if there is none or it is unreadable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _stale(self, owner: dict[str, object]) -> bool:
        pid = owner.get("pid")
        if not isinstance(pid, int):
            return True  # half-written or damaged: nobody can be holding it
        if owner.get("host") not in (None, socket.gethostname()):
            return False  # a profile folder shared over the network: do not guess about another computer
        if not pid_alive(pid):
            return True
        started = owner.get("start")
        return started is not None and _start_time(pid) not in (None, started)  # the pid was reused

    def acquire(self) -> None:
        if self.held:
            return
        try:
            ensure_private_dir(self.folder)
        except OSError as exc:  # the archive cannot be opened there either; opening it says why
            log.warning("cannot create the profile folder for its lock: %s", exc)
            return
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "start": _start_time(os.getpid())})
        for _attempt in range(3):  # bounded: a stale lock is removed at most twice
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                owner = self.owner()
                if owner is None:
                    continue  # released meanwhile
                if not self._stale(owner):
                    raise ProfileInUse(IN_USE, profile=self.profile, pid=owner.get("pid")) from None
                log.warning("taking over a stale profile lock of process %s", owner.get("pid"))
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    log.warning("cannot remove the stale profile lock %s: %s", self.path, exc)
                    return
                continue
            except OSError as exc:  # e.g. a read-only folder: opening the archive reports the real problem
                log.warning("cannot create the profile lock %s: %s", self.path, exc)
                return
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(record)
            self.held = True
            return
        raise ProfileInUse(IN_USE, profile=self.profile, pid="?")

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        owner = self.owner()
        if owner and owner.get("pid") == os.getpid():
            try:
                self.path.unlink()
            except OSError:
                log.warning("could not remove the profile lock %s", self.path)

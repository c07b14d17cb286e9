"""Where things live on disk. Qt-free.

The home folder is ``--home DIR``, else ``$FIELDARCHIVE_HOME``, else the platform's
user data folder. It holds one folder per profile (a profile is one user on one
server), the settings file and the logs::

    <home>/settings.json
    <home>/logs/fieldarchive.log
    <home>/profiles/<profile>/archive.db       SQLCipher 4 archive
    <home>/profiles/<profile>/keys.json        wrapped data keys (no secret in clear)
    <home>/profiles/<profile>/backups/         encrypted backups
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from app import APP_ID

ENV_HOME = "FIELDARCHIVE_HOME"
DEFAULT_PROFILE = "default"
_home_override: Path | None = None


def set_home(path: str | os.PathLike[str] | None) -> None:
    global _home_override
    _home_override = Path(path).expanduser().resolve() if path else None


def platform_data_dir() -> Path:
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / APP_ID
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_ID
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_ID


def app_home() -> Path:
    if _home_override is not None:
        return _home_override
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().resolve()
    return platform_data_dir()


def valid_profile_name(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}", name)) and ".." not in name


def profiles_dir() -> Path:
    return app_home() / "profiles"


def profile_dir(name: str = DEFAULT_PROFILE) -> Path:
    if not valid_profile_name(name):
        raise ValueError(f"invalid profile name: {name!r}")
    return profiles_dir() / name


def device_unlock_marker(name: str = DEFAULT_PROFILE) -> Path:
    """A non-secret flag file: this profile keeps its key in the OS keyring (so try that first)."""
    return profile_dir(name) / "unlock-on-this-device"


def log_dir() -> Path:
    return app_home() / "logs"


def settings_file() -> Path:
    return app_home() / "settings.json"


def resource_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def ensure_private_dir(path: Path) -> Path:
    """Create a folder readable only by the user (0700 where the OS supports it)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a file so that a crash leaves either the old or the new content (Electrum storage.write)."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    if sys.platform == "win32":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

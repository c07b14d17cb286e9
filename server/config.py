"""Where the server keeps its data and how it behaves; the same for ``serve`` and the admin commands."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from app.models.wire import ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_SECONDS, TOMBSTONE_DAYS

DEFAULT_DATA = Path("server-data")
DB_FILE = "fieldarchive-server.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
SERVER_VERSION = "1.0.0"
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")  # no daylight saving time


def database_url(data: Path | None, database: str | None) -> str:
    """``--database`` wins; otherwise an SQLite file in ``--data`` (default ./server-data/)."""
    if database:
        return database
    folder = (data or DEFAULT_DATA).resolve()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # only the server's user may list or enter it
    return f"sqlite:///{folder / DB_FILE}"


@dataclass(frozen=True)
class Settings:
    """Tunables; the defaults are the documented protocol values (tests shorten the login delay)."""

    access_seconds: int = ACCESS_TOKEN_SECONDS
    refresh_seconds: int = REFRESH_TOKEN_SECONDS
    max_failures: int = 5
    failure_window: int = 15 * 60
    lock_seconds: int = 15 * 60
    failure_delay: float = 0.25      # seconds per earlier failure, capped by failure_delay_cap
    failure_delay_cap: float = 2.0
    tombstone_days: int = TOMBSTONE_DAYS
    max_photo_bytes: int = 32 * 1024 * 1024
    hash_time_cost: int = 3          # Argon2id parameters for new password hashes (argon2-cffi defaults)
    hash_memory_kib: int = 65536
    # a request body must keep coming: at most body_idle_timeout seconds between two pieces of it and
    # body_timeout seconds for all of it (8 MiB at 100 KB/s takes ~80 s), else 408 and the connection closes
    body_idle_timeout: float = 15.0
    body_timeout: float = 120.0


ENV_BODY_TIMEOUT = "FIELDARCHIVE_SERVER_BODY_TIMEOUT"
ENV_BODY_IDLE_TIMEOUT = "FIELDARCHIVE_SERVER_BODY_IDLE_TIMEOUT"


def settings_from_env(base: "Settings | None" = None) -> "Settings":
    """The settings of ``serve``: the defaults, with the body timeouts from the environment if set."""
    settings = base or Settings()
    changes: dict[str, float] = {}
    for env, name in ((ENV_BODY_TIMEOUT, "body_timeout"), (ENV_BODY_IDLE_TIMEOUT, "body_idle_timeout")):
        raw = os.environ.get(env, "").strip()
        if raw:
            try:
                value = float(raw)
            except ValueError:
                value = 0.0
            if not 0 < value <= 3600:
                raise ValueError(f"{env} must be a number of seconds between 0 and 3600, not {raw!r}")
            changes[name] = value
    return replace(settings, **changes) if changes else settings


@lru_cache(maxsize=1024)
def iso(ts: float) -> str:
    """UTC time as ISO 8601 with a Z, the form every timestamp takes on the wire."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

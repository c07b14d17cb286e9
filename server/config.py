"""Where the server keeps its data and how it behaves; the same for ``serve`` and the admin commands."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

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
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / DB_FILE}"


ENV_PREFIX = "FIELDARCHIVE_"


@dataclass(frozen=True)
class Settings:
    """Tunables; the defaults are the documented protocol values (tests shorten the login delay).

    Each can be set for ``serve`` in the environment as ``FIELDARCHIVE_`` + its name in capitals
    (``FIELDARCHIVE_MAX_FAILURES=8``): see :meth:`from_env` and docs/server.md "Login policy".
    """

    access_seconds: int = ACCESS_TOKEN_SECONDS
    refresh_seconds: int = REFRESH_TOKEN_SECONDS
    # Login policy (server.auth, docs/server.md "Login policy")
    max_failures: int = 5            # attempts per user name (and per own device/address) without delay
    failure_window: int = 15 * 60    # a budget is forgotten this long after its last delay ended
    lock_base: float = 60.0          # the delay after the last free attempt; it doubles with each further one
    lock_seconds: int = 15 * 60      # the longest delay
    address_max_failures: int = 20   # failed attempts per client address (across all names) without delay
    address_lock_base: float = 30.0
    trust_seconds: int = 30 * 86400  # a device or address with a successful login this recent has its own budget
    failure_delay: float = 0.25      # seconds per earlier failure, capped by failure_delay_cap
    failure_delay_cap: float = 2.0
    hash_concurrency: int = 2        # password checks (Argon2id, 64 MiB each) running at once per process
    hash_queue: int = 16             # logins waiting for a check beyond those; more are answered 429
    busy_retry_after: int = 2        # Retry-After (seconds) of that 429
    tombstone_days: int = TOMBSTONE_DAYS
    max_photo_bytes: int = 32 * 1024 * 1024
    hash_time_cost: int = 3          # Argon2id parameters for new password hashes (argon2-cffi defaults)
    hash_memory_kib: int = 65536

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """The defaults, overridden by ``FIELDARCHIVE_<NAME>`` variables; a bad value is a ``ValueError``
        naming the variable (the command line reports it in one line)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw.strip() == "":
                continue
            kind = int if f.type in ("int", int) else float
            try:
                value = kind(raw.strip())
            except ValueError:
                raise ValueError(f"{ENV_PREFIX + f.name.upper()} must be a number, not {raw!r}") from None
            if value < 0 or value != value or value == float("inf"):
                raise ValueError(f"{ENV_PREFIX + f.name.upper()} must be a finite number of at least 0")
            values[f.name] = value
        settings = cls(**values)
        if settings.hash_concurrency < 1 or settings.max_failures < 1 or settings.address_max_failures < 1:
            raise ValueError(f"{ENV_PREFIX}HASH_CONCURRENCY, MAX_FAILURES and ADDRESS_MAX_FAILURES must be at least 1")
        return settings


@lru_cache(maxsize=1024)
def iso(ts: float) -> str:
    """UTC time as ISO 8601 with a Z, the form every timestamp takes on the wire."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

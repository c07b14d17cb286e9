"""Where the server keeps its data and how it behaves; the same for ``serve`` and the admin commands."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.models.wire import ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_SECONDS, TOMBSTONE_DAYS

DEFAULT_DATA = Path("server-data")
DB_FILE = "fieldarchive-server.db"
AUDIT_KEY_FILE = "audit.key"
ENV_AUDIT_KEY = "FIELDARCHIVE_AUDIT_KEY"  # the key itself, hex (at least 32 bytes)
ENV_AUDIT_KEY_FILE = "FIELDARCHIVE_AUDIT_KEY_FILE"  # a file holding it (hex), mode 0600
ENV_UPLOAD_TTL = "FIELDARCHIVE_UPLOAD_TTL"  # seconds before an abandoned partial upload is purged
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
    max_failures: int = 5  # attempts per user name (and per own device/address) without delay
    failure_window: int = 15 * 60  # a budget is forgotten this long after its last delay ended
    lock_base: float = 60.0  # the delay after the last free attempt; it doubles with each further one
    lock_seconds: int = 15 * 60  # the longest delay
    address_max_failures: int = 20  # failed attempts per client address (across all names) without delay
    address_lock_base: float = 30.0
    trust_seconds: int = 30 * 86400  # a device or address with a successful login this recent has its own budget
    failure_delay: float = 0.25  # seconds per earlier failure, capped by failure_delay_cap
    failure_delay_cap: float = 2.0
    hash_concurrency: int = 2  # password checks (Argon2id, 64 MiB each) running at once per process
    hash_queue: int = 16  # logins waiting for a check beyond those; more are answered 429
    busy_retry_after: int = 2  # Retry-After (seconds) of that 429
    tombstone_days: int = TOMBSTONE_DAYS
    max_photo_bytes: int = 32 * 1024 * 1024
    hash_time_cost: int = 3  # Argon2id parameters for new password hashes (argon2-cffi defaults)
    hash_memory_kib: int = 65536
    # a request body must keep coming: at most body_idle_timeout seconds between two pieces of it and
    # body_timeout seconds for all of it (8 MiB at 100 KB/s takes ~80 s), else 408 and the connection closes
    body_idle_timeout: float = 15.0
    body_timeout: float = 120.0
    upload_ttl: int = 24 * 3600  # a partial upload untouched this long is purged
    # integration tokens (server/integrations.py): a token older than this many days is refused; 0: never
    integration_token_days: float = 0.0
    # webhooks (server/webhooks.py, docs/integrations.md "Webhooks"): how often each server process looks
    # for batches to deliver (0: this process delivers none), the retry schedule, the POST's timeout
    webhook_poll: float = 5.0
    webhook_retry_base: float = 30.0  # the wait after the first failure; it doubles, up to webhook_retry_cap
    webhook_retry_cap: float = 3600.0
    webhook_attempts: int = 10  # failed attempts before a batch goes to the dead-letter list
    webhook_timeout: float = 10.0
    webhook_batch: int = 100  # changes per batch at most
    # a file of PEM certificates of authorities webhook receivers' certificates may come from, trusted
    # beside the system's store (a bureau's own CA); empty: the system's store only
    webhook_ca_file: str = ""
    # items per call of an inbound feed at most (server/inbound_api.py; more: 413, send pages)
    inbound_max_items: int = 500
    # how long a record is kept after it was closed (销户) or deleted before it is due for destruction
    # (docs/domain.md, "The archive's lifecycle": the documents give no period; 5 years, the term of a
    # retail licence, is this deployment's default)
    retention_closed_days: int = 5 * 365
    retention_deleted_days: int = 5 * 365
    # delivered webhook batches and outbound changes older than this are purged (server/outbound_purge.py)
    outbound_retention_days: int = 90
    # the periodic password change (server/auth.py, docs/server.md "Password change"): a password older than
    # this many days must be changed at the next sign-in (0: never); the last password_history ones are not
    # taken again
    password_days: int = 90
    password_history: int = 5
    # alerts to admins (server/alerts.py, docs/server.md "Alerts"): counted per window of alert_window
    # seconds (an export volume per day in China); reaching a threshold raises the alert
    alert_window: int = 15 * 60
    alert_user_failures: int = 10  # failed sign-ins on one account name
    alert_address_failures: int = 30  # failed sign-ins from one address (across names)
    alert_refused_tokens: int = 20  # refused access, refresh or integration tokens from one address
    alert_export_customers: int = 1000  # customers one user exports in a day
    audit_key: bytes = b""  # signs the audit acknowledgements; empty: audit uploads fail (500, logged)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The defaults, overridden by ``FIELDARCHIVE_<NAME>`` variables; a bad value is a ``ValueError``
        naming the variable (the command line reports it in one line)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "webhook_ca_file":
                path = env.get(ENV_PREFIX + f.name.upper(), "").strip()
                if path and not os.path.isfile(path):
                    raise ValueError(f"{ENV_PREFIX + f.name.upper()}: there is no file {path!r}")
                values[f.name] = path
                continue
            if f.type not in ("int", "float", int, float):  # the audit key has its own variables
                continue
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
        if min(settings.alert_user_failures, settings.alert_address_failures, settings.alert_refused_tokens) < 1:
            raise ValueError(f"{ENV_PREFIX}ALERT_* thresholds must be at least 1")
        if settings.alert_export_customers < 1 or settings.alert_window < 60:
            raise ValueError(f"{ENV_PREFIX}ALERT_EXPORT_CUSTOMERS must be at least 1 and ALERT_WINDOW at least 60")
        if settings.hash_concurrency < 1 or settings.max_failures < 1 or settings.address_max_failures < 1:
            raise ValueError(f"{ENV_PREFIX}HASH_CONCURRENCY, MAX_FAILURES and ADDRESS_MAX_FAILURES must be at least 1")
        if not 1 <= settings.inbound_max_items <= 5000:
            raise ValueError(f"{ENV_PREFIX}INBOUND_MAX_ITEMS must be 1 to 5000")
        if settings.webhook_attempts < 1 or not 1 <= settings.webhook_batch <= 1000:
            raise ValueError(f"{ENV_PREFIX}WEBHOOK_ATTEMPTS must be at least 1 and WEBHOOK_BATCH 1 to 1000")
        if settings.webhook_timeout <= 0 or settings.webhook_retry_base <= 0 or settings.webhook_retry_cap <= 0:
            raise ValueError(f"{ENV_PREFIX}WEBHOOK_TIMEOUT, WEBHOOK_RETRY_BASE and WEBHOOK_RETRY_CAP must be above 0")
        return settings


ENV_BODY_TIMEOUT = "FIELDARCHIVE_SERVER_BODY_TIMEOUT"
ENV_BODY_IDLE_TIMEOUT = "FIELDARCHIVE_SERVER_BODY_IDLE_TIMEOUT"


def settings_from_env(base: Settings | None = None, *, with_key: bool = True) -> Settings:
    """The settings ``serve`` passes to its workers: the defaults, with from the environment the body
    timeouts, the upload TTL and the audit key (FIELDARCHIVE_AUDIT_KEY or the file in
    FIELDARCHIVE_AUDIT_KEY_FILE, which ``cmd_serve`` resolved and created). A bad value is a
    ``ValueError`` naming the variable. ``with_key=False``: only check and take the numbers."""
    settings = base or Settings.from_env()
    changes: dict[str, Any] = {}
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
    ttl = os.environ.get(ENV_UPLOAD_TTL, "").strip()
    if ttl:
        if not ttl.isascii() or not ttl.isdigit() or int(ttl) < 60:
            raise ValueError(f"{ENV_UPLOAD_TTL} must be a whole number of seconds of at least 60, not {ttl!r}")
        changes["upload_ttl"] = int(ttl)
    if not with_key:
        return replace(settings, **changes)
    key = (
        load_audit_key(None, None, create=False)
        if os.environ.get(ENV_AUDIT_KEY) or os.environ.get(ENV_AUDIT_KEY_FILE)
        else None
    )
    if key is None:
        log.error("no audit key (%s or %s): audit uploads will fail", ENV_AUDIT_KEY, ENV_AUDIT_KEY_FILE)
    changes["audit_key"] = key or b""
    return replace(settings, **changes)


@lru_cache(maxsize=1024)
def iso(ts: float) -> str:
    """UTC time as ISO 8601 with a Z, the form every timestamp takes on the wire."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


log = logging.getLogger("server")


class AuditKeyError(ValueError):
    """The audit key cannot be used (a one-line reason for the command line)."""


def _parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise AuditKeyError(f"the audit key in {where} is not hexadecimal") from None
    if len(key) < 32:
        raise AuditKeyError(f"the audit key in {where} is shorter than 32 bytes (64 hex digits)")
    return key


def audit_key_path(data: Path | None, key_file: str | None) -> Path:
    """``--audit-key-file``, else FIELDARCHIVE_AUDIT_KEY_FILE, else audit.key in the data folder."""
    chosen = key_file or os.environ.get(ENV_AUDIT_KEY_FILE)
    return Path(chosen) if chosen else (data or DEFAULT_DATA).resolve() / AUDIT_KEY_FILE


def load_audit_key(data: Path | None, key_file: str | None, *, create: bool) -> bytes | None:
    """The key that signs audit acknowledgements: FIELDARCHIVE_AUDIT_KEY (hex) wins, else the key file
    (created with mode 0600 when ``create`` and missing). A key file others may read is refused.
    None: no key (only when not ``create``)."""
    env = os.environ.get(ENV_AUDIT_KEY)
    if env:
        return _parse_key(env, ENV_AUDIT_KEY)
    path = audit_key_path(data, key_file)
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        log.warning("created the audit key %s: keep a copy away from the database (docs/server.md, Security)", path)
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuditKeyError(f"the audit key file {path} may be read by others; chmod 600 it")
    return _parse_key(path.read_text(encoding="ascii", errors="replace"), str(path))

"""How ``serve`` and ``backup`` are configured in production, and the checks that refuse an unsafe setup.

Three sources, the first that names a value wins: the command line, ``FIELDARCHIVE_*`` environment
variables, the TOML file given with ``--config`` (or FIELDARCHIVE_CONFIG). docs/deploy.md lists every
key; deploy/fieldarchive.toml is a commented example. The numbers of :class:`server.config.Settings`
(token lifetimes, login policy, limits) are taken from the sections ``[tokens]``, ``[login]`` and
``[limits]`` and handed to the workers as their ``FIELDARCHIVE_<NAME>`` variables, so a variable that
is already set still wins.

:func:`problems` says why the server must not start: data others may read, SQLite under several
workers, plain HTTP on an address other computers reach without a named TLS proxy in front, key files
others may read, CORS switched on. Each message says what to change.
"""

from __future__ import annotations

import ipaddress
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from server.config import DEFAULT_HOST, DEFAULT_PORT, ENV_PREFIX, Settings
from server.db import permission_problem, sqlite_path

ENV_CONFIG = "FIELDARCHIVE_CONFIG"
#: only for trials and tests: several workers on one SQLite file (every write waits for the file lock)
ENV_ALLOW_SQLITE_WORKERS = "FIELDARCHIVE_ALLOW_SQLITE_WORKERS"

#: key in the TOML file -> (section, environment variable, type)
KEYS: dict[str, tuple[str, str, type]] = {
    "host": ("server", "FIELDARCHIVE_HOST", str),
    "port": ("server", "FIELDARCHIVE_PORT", int),
    "workers": ("server", "FIELDARCHIVE_WORKERS", int),
    "database": ("server", "FIELDARCHIVE_DATABASE", str),
    "data": ("server", "FIELDARCHIVE_DATA", str),
    "certfile": ("server", "FIELDARCHIVE_TLS_CERT", str),
    "keyfile": ("server", "FIELDARCHIVE_TLS_KEY", str),
    "proxy": ("server", "FIELDARCHIVE_PROXY", str),
    "cors": ("server", "FIELDARCHIVE_CORS", bool),
    "json_logs": ("server", "FIELDARCHIVE_JSON_LOGS", bool),
    "audit_key_file": ("server", "FIELDARCHIVE_AUDIT_KEY_FILE", str),
    "client_version": ("clients", "FIELDARCHIVE_CLIENT_VERSION", str),
    "min_client_version": ("clients", "FIELDARCHIVE_MIN_CLIENT_VERSION", str),
    "download_url": ("clients", "FIELDARCHIVE_DOWNLOAD_URL", str),
    "backup_folder": ("backup", "FIELDARCHIVE_BACKUP_FOLDER", str),
    "backup_key_file": ("backup", "FIELDARCHIVE_BACKUP_KEY_FILE", str),
    "keep_daily": ("backup", "FIELDARCHIVE_KEEP_DAILY", int),
    "keep_weekly": ("backup", "FIELDARCHIVE_KEEP_WEEKLY", int),
    "backup_max_age_hours": ("backup", "FIELDARCHIVE_BACKUP_MAX_AGE_HOURS", float),
}
#: TOML key in the file -> the field name (the file says ``folder`` in [backup], the code backup_folder)
FILE_NAMES = {
    ("backup", "folder"): "backup_folder",
    ("backup", "key_file"): "backup_key_file",
    ("backup", "max_age_hours"): "backup_max_age_hours",
}
SETTINGS_SECTIONS = ("tokens", "login", "limits", "retention")


class ConfigError(ValueError):
    """The configuration cannot be read or used (one line for the command line)."""


@dataclass
class RunConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 1
    database: str | None = None
    data: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    proxy: str | None = None  # the address(es) of the TLS-terminating proxy in front (comma separated)
    cors: bool = False
    json_logs: bool = False
    audit_key_file: str | None = None
    client_version: str | None = None  # the newest desktop client (announced in /info)
    min_client_version: str | None = None
    download_url: str | None = None
    backup_folder: str | None = None
    backup_key_file: str | None = None
    keep_daily: int = 7
    keep_weekly: int = 4
    backup_max_age_hours: float = 26.0
    settings_env: dict[str, str] = field(default_factory=dict)  # FIELDARCHIVE_<NAME> from [tokens] [login] [limits]
    source: str = "defaults"


def _convert(name: str, kind: type, raw: Any, where: str) -> Any:
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{where}: {name} must be true or false, not {raw!r}")
    if kind in (int, float):
        if isinstance(raw, bool):
            raise ConfigError(f"{where}: {name} must be a number, not {raw!r}")
        try:
            value = kind(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {name} must be a number, not {raw!r}") from None
        if value < 0:
            raise ConfigError(f"{where}: {name} must be at least 0")
        return value
    if not isinstance(raw, str):
        raise ConfigError(f"{where}: {name} must be text, not {raw!r}")
    return raw.strip() or None


def load(path: str | None, environ: Mapping[str, str] | None = None) -> RunConfig:
    """The file (when given), then the environment over it. The command line is applied by the caller."""
    env = os.environ if environ is None else environ
    cfg = RunConfig()
    path = path or env.get(ENV_CONFIG) or None
    setting_names = {f.name for f in fields(Settings) if f.type in ("int", "float", int, float)}
    if path:
        try:
            with open(path, "rb") as f:
                doc = tomllib.load(f)
        except FileNotFoundError:
            raise ConfigError(f"the configuration file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"the configuration file {path} is not valid TOML: {exc}") from None
        cfg.source = path
        for section, table in doc.items():
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: {section} must be a section ([{section}]), not a value")
            for key, raw in table.items():
                where = f"{path} [{section}]"
                if section in SETTINGS_SECTIONS:
                    if key not in setting_names:
                        raise ConfigError(f"{where}: unknown key {key!r} (see docs/deploy.md, Configuration)")
                    cfg.settings_env[ENV_PREFIX + key.upper()] = str(
                        _convert(key, float, raw, where) if isinstance(raw, float) else _convert(key, int, raw, where)
                    )
                    continue
                name = FILE_NAMES.get((section, key), key)
                if name not in KEYS or KEYS[name][0] != section:
                    raise ConfigError(f"{where}: unknown key {key!r} (see docs/deploy.md, Configuration)")
                setattr(cfg, name, _convert(key, KEYS[name][2], raw, where))
    for name, (_section, var, kind) in KEYS.items():
        raw = env.get(var)
        if raw is not None and raw.strip() != "":
            setattr(cfg, name, _convert(var, kind, raw, "the environment"))
    if cfg.workers < 1:
        raise ConfigError("workers must be at least 1")
    return cfg


def _loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _private_file(path: str, what: str, setting: str) -> str | None:
    p = Path(path)
    try:
        mode = stat.S_IMODE(p.stat().st_mode)
    except FileNotFoundError:
        return f"the {what} {p} does not exist: fix {setting}"
    except OSError as exc:
        return f"the {what} {p} cannot be read ({exc.strerror}): fix {setting}"
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"the {what} {p} may be read by other users (mode {mode:04o}); fix it with: chmod 600 {p}"
    return None


def problems(cfg: RunConfig, url: str) -> list[str]:
    """Why the server must not start with this configuration (empty: it may). ``url``: the database."""

    out: list[str] = []
    if cfg.cors:
        out.append(
            "cors = true: the API serves the desktop client only and has no CORS support; set cors = false "
            "(or remove FIELDARCHIVE_CORS)"
        )
    sqlite = url.startswith("sqlite")
    if sqlite and cfg.workers > 1 and os.environ.get(ENV_ALLOW_SQLITE_WORKERS) != "1":
        out.append(
            f"SQLite with {cfg.workers} workers: every write of every worker would wait for the one file's "
            f'lock; use PostgreSQL (database = "postgresql+psycopg://…") or workers = 1'
        )
    if bool(cfg.certfile) != bool(cfg.keyfile):
        out.append("TLS needs both certfile and keyfile (FIELDARCHIVE_TLS_CERT and FIELDARCHIVE_TLS_KEY)")
    if cfg.certfile:
        if not Path(cfg.certfile).is_file():
            out.append(f"the TLS certificate {cfg.certfile} does not exist: fix certfile")
    if cfg.keyfile:
        problem = _private_file(cfg.keyfile, "TLS key", "keyfile")
        if problem:
            out.append(problem)
    if not cfg.certfile and not _loopback(cfg.host) and not cfg.proxy:
        out.append(
            f"plain HTTP on {cfg.host}, which other computers reach: passwords and customer data would "
            f"cross the network unencrypted; give certfile and keyfile, or listen on 127.0.0.1 behind a "
            f'TLS proxy and name it with proxy = "ADDRESS" (docs/deploy.md, nginx)'
        )
    db_file = sqlite_path(url) if sqlite else None
    folder = db_file.parent if db_file else (Path(cfg.data) if cfg.data else None)
    if folder is not None and folder.exists() and os.name == "posix":
        mode = stat.S_IMODE(folder.resolve().stat().st_mode)
        if mode & stat.S_IRWXO:
            out.append(
                f"the data folder {folder.resolve()} may be entered or read by other users (mode {mode:04o}); "
                f"fix it with: chmod 700 {folder.resolve()}"
            )
    problem = permission_problem(url)
    if problem and problem not in out:
        out.append(problem)
    for path, what, setting in (
        (cfg.audit_key_file, "audit key file", "audit_key_file"),
        (cfg.backup_key_file, "backup key file", "[backup] key_file"),
    ):
        if path and Path(path).exists():
            problem = _private_file(path, what, setting)
            if problem:
                out.append(problem)
    return out


def version_tuple(text: str) -> tuple[int, ...] | None:
    """``"1.2.10"`` -> (1, 2, 10); None when it is not dotted numbers."""
    parts = text.strip().split(".")
    if not parts or not all(p.isascii() and p.isdigit() and len(p) < 6 for p in parts):
        return None
    return tuple(int(p) for p in parts)


@dataclass(frozen=True)
class ClientPolicy:
    """What the server says about desktop clients: the newest version, the oldest it serves, where to get it.

    A client names its version in its User-Agent (``FieldArchive/1.2.0``); one below ``minimum`` is
    answered 426 ``client_too_old`` with ``min_client_version`` and ``download_url`` in the body, as is
    a client of an older protocol. A User-Agent without a version is not judged by it."""

    current: str | None = None
    minimum: str | None = None
    download_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientPolicy:
        env = os.environ if environ is None else environ
        values = [
            (env.get(KEYS[k][1]) or "").strip() or None
            for k in ("client_version", "min_client_version", "download_url")
        ]
        for name, value in (("FIELDARCHIVE_CLIENT_VERSION", values[0]), ("FIELDARCHIVE_MIN_CLIENT_VERSION", values[1])):
            if value is not None and version_tuple(value) is None:
                raise ConfigError(f"{name} must be a version such as 1.2.0, not {value!r}")
        return cls(*values)

    def too_old(self, user_agent: str) -> bool:
        if not self.minimum or not user_agent.startswith("FieldArchive/"):
            return False
        have = version_tuple(user_agent[len("FieldArchive/") :].split(" ", 1)[0])
        need = version_tuple(self.minimum)
        return have is not None and need is not None and have < need

    def wire(self) -> dict[str, str | None]:
        return {"client_version": self.current, "min_client_version": self.minimum, "download_url": self.download_url}

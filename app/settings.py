"""Non-secret settings in ``<home>/settings.json`` (typed, atomic write, mode 600).

Secrets never go here: tokens and "unlock on this device" keys live only in the
OS keyring (app.secrets).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from app.paths import atomic_write, settings_file

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    default: T
    type_: type
    check: Callable[[Any], bool] = lambda v: True

    def __get__(self, obj: Settings | None, owner: type) -> Any:
        if obj is None:
            return self
        value = obj._data.get(self.key, self.default)
        if (
            not isinstance(value, self.type_)
            or isinstance(value, bool) != isinstance(self.default, bool)
            or not self.check(value)
        ):
            return self.default
        return value

    def __set__(self, obj: Settings, value: T) -> None:
        if not isinstance(value, self.type_) or not self.check(value):
            raise ValueError(f"invalid value for setting {self.key}: {value!r}")
        obj._data[self.key] = value


class Settings:
    ui_language = Setting("ui_language", "zh_CN", str, lambda v: v in ("zh_CN", "en"))
    idle_lock_minutes = Setting("idle_lock_minutes", 10, int, lambda v: 0 <= v <= 24 * 60)
    photo_max_side = Setting("photo_max_side", 2048, int, lambda v: 320 <= v <= 8192)
    server_url = Setting("server_url", "", str)
    auto_sync_minutes = Setting("auto_sync_minutes", 5, int, lambda v: 1 <= v <= 24 * 60)
    last_profile = Setting("last_profile", "default", str)
    last_export_dir = Setting("last_export_dir", "", str)
    #: Field groups left out of exports (remembered; a group added to the form later is exported).
    export_groups_off: Setting[list[str]] = Setting(
        "export_groups_off", [], list, lambda v: all(isinstance(x, str) for x in v)
    )
    export_meta = Setting("export_meta", True, bool)
    #: The customer list's column widths, order and shown columns, per user (Qt header state, base64).
    list_columns: Setting[dict[str, str]] = Setting(
        "list_columns", {}, dict, lambda v: all(isinstance(k, str) and isinstance(x, str) for k, x in v.items())
    )

    #: The main window's place and size (``x,y,width,height,maximized``), restored when still on a screen.
    window_geometry = Setting("window_geometry", "", str)

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_file()
        self._data: dict[str, Any] = {}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self._data = loaded
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            log.warning("settings file unreadable (%s); using defaults", type(exc).__name__)

    def save(self) -> None:
        atomic_write(self.path, json.dumps(self._data, ensure_ascii=False, indent=2).encode("utf-8"))

"""Who the app is to the desktop: name, organisation, window class / app id and icon (window,
task bar). On Linux the desktop file name ``FieldArchive`` is the Wayland app id and the X11 window
class, so the task bar groups the windows under FieldArchive and not under ``python3``/``__main__.py``."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon

from app import APP_ID, __version__
from app.paths import resource_dir


def icon_path(ext: str = "svg") -> str:
    return str(resource_dir() / "icons" / f"fieldarchive.{ext}")


def app_icon() -> QIcon:
    icon = QIcon()
    for ext in ("svg", "png"):
        icon.addFile(icon_path(ext))
    return icon


def apply_identity(app: QGuiApplication) -> None:
    app.setApplicationName(APP_ID)
    app.setOrganizationName(APP_ID)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())

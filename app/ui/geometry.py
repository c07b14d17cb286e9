"""Window sizes that fit the screen they open on, and the main window's place kept across restarts.

A bureau laptop often has a 1366×768 screen (or 1280×720 at 150 % scaling): a window opened at a fixed
1400×860 ran off its bottom edge, status bar and buttons out of reach. ``fit`` asks for a size but never
more than the screen's free area (taskbar excluded) and centres the window there; ``restore`` puts the
main window back where the user left it (and maximized if it was), unless that place is no longer
wholly on a screen (a monitor unplugged, a smaller screen), and ``remember`` keeps it in the settings
(``window_geometry``: ``x,y,width,height,maximized``)."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from app.settings import Settings

#: The share of the screen's free area a window may take at most (room for the window's frame).
MARGIN = 0.96


def available(widget: QWidget) -> QRect:
    """The free area of the screen the widget is on (or the primary screen before it is shown)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit(widget: QWidget, width: int, height: int) -> None:
    """Resize to ``width``×``height`` or to the screen's free area if smaller, centred on it."""
    area = available(widget)
    w = min(width, int(area.width() * MARGIN))
    h = min(height, int(area.height() * MARGIN))
    widget.resize(max(w, 1), max(h, 1))
    widget.move(area.x() + (area.width() - w) // 2, area.y() + (area.height() - h) // 2)


def restore(widget: QWidget, settings: Settings, width: int, height: int) -> None:
    """The place the user left the window in, when it is still wholly on a screen; else ``fit``."""
    saved = _parse(settings.window_geometry)
    if saved is not None:
        rect, maximized = saved
        if any(s.availableGeometry().contains(rect) for s in QGuiApplication.screens()):
            widget.setGeometry(rect)
            if maximized:
                widget.setWindowState(widget.windowState() | Qt.WindowState.WindowMaximized)
            return
    fit(widget, width, height)


def remember(widget: QWidget, settings: Settings) -> None:
    """Keep the window's place for the next start (a convenience: a failed write is tried next time)."""
    r = widget.normalGeometry() if widget.isMaximized() else widget.geometry()
    settings.window_geometry = f"{r.x()},{r.y()},{r.width()},{r.height()},{int(widget.isMaximized())}"
    try:
        settings.save()
    except OSError:
        pass


def _parse(text: str) -> tuple[QRect, bool] | None:
    """``x,y,width,height,maximized`` as ``remember`` wrote it; anything else is no place."""
    try:
        x, y, w, h, m = (int(p) for p in text.split(","))
    except ValueError:
        return None
    return (QRect(x, y, w, h), m == 1) if w > 0 and h > 0 else None

"""The mouse wheel scrolls the form: drop-downs, spin boxes and date editors take it only when they
have the keyboard focus (issue 16: a retail format went from 超市 to 其他 while someone scrolled).

One application-wide event filter: a wheel event over such an editor without focus goes to the
scroll area around it instead, and these editors get ``Qt.StrongFocus`` so the wheel never gives
them the focus either."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)  # QDateEdit is a QAbstractSpinBox


def _guarded(obj: QObject) -> QWidget | None:
    """The combo box or spin box ``obj`` is (or is the line edit of)."""
    if isinstance(obj, GUARDED):
        return obj
    parent = obj.parent() if isinstance(obj, QWidget) else None
    if isinstance(parent, GUARDED) and getattr(parent, "lineEdit", lambda: None)() is obj:
        return parent
    return None


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    w = widget.parentWidget()
    while w is not None:
        if isinstance(w, QAbstractScrollArea) and not isinstance(w, GUARDED):
            return w
        w = w.parentWidget()
    return None


class WheelGuard(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(obj, GUARDED):
            obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if kind != QEvent.Type.Wheel:
            return False
        editor = _guarded(obj)
        if editor is None or editor.hasFocus():
            return False
        area = _scroll_area(editor)
        if area is not None:
            wheel = cast(QWheelEvent, event)  # a Wheel event: PySide hands it over as its QEvent base
            viewport = area.viewport()
            local = QPointF(viewport.mapFromGlobal(wheel.globalPosition().toPoint()))
            QApplication.sendEvent(
                viewport,
                QWheelEvent(
                    local,
                    wheel.globalPosition(),
                    wheel.pixelDelta(),
                    wheel.angleDelta(),
                    wheel.buttons(),
                    wheel.modifiers(),
                    wheel.phase(),
                    wheel.inverted(),
                ),
            )
        event.accept()
        return True  # the editor's value stays as it is


_guard: WheelGuard | None = None


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Install the guard once on ``app`` (idempotent)."""
    global _guard
    if _guard is None:
        _guard = WheelGuard()
        app.installEventFilter(_guard)
        for w in app.allWidgets():  # widgets made before the guard
            if isinstance(w, GUARDED):
                w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return _guard

"""UI fixtures: an inline task runner (work and callbacks run at once, in order) and an unlocked session."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QWidget

from app.settings import Settings
from app.ui.context import UiContext
from app.ui.style import apply_style
from app.ui.tasks import TaskRunner


@pytest.fixture
def ctx(qapp, session):
    apply_style(qapp)
    c = UiContext(TaskRunner(inline=True), Settings())
    c.session = session
    yield c
    c.runner.shutdown()


def type_text(widget: QWidget, text: str) -> None:
    """Type any text, Chinese included, as key events carrying the text (QTest.keyClicks aborts on
    non-ASCII characters in Qt's qasciikey.cpp)."""
    widget.setFocus()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def commit_ime(widget: QWidget, text: str) -> None:
    """What a Chinese input method sends when the user picks the characters."""
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)

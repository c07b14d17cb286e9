"""UI fixtures: an inline task runner (work and callbacks run at once, in order), an unlocked session,
the real controller (``running``) and a real sync server on 127.0.0.1 (``srv``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.services import session as ss
from app.settings import Settings
from app.ui.context import UiContext
from app.ui.style import apply_style
from app.ui.tasks import TaskRunner
from tests.conftest import PASSPHRASE
from tests.sync.conftest import Server


@pytest.fixture
def ctx(qapp, session):
    apply_style(qapp)
    c = UiContext(TaskRunner(inline=True), Settings())
    c.session = session
    yield c
    c.runner.shutdown()


@pytest.fixture
def created(home):
    s, _ = ss.create(passphrase=PASSPHRASE, actor="tester")
    s.close()


@pytest.fixture
def running(qtbot, qapp, created, monkeypatch):
    """The real controller on a real DB thread, unlocked."""
    from app.ui.controller import AppController

    monkeypatch.setattr(QMessageBox, "open", lambda box: None)  # no dialogs waiting in the background
    controller = AppController(qapp, Settings(), "default", TaskRunner())
    controller.start()
    qtbot.waitUntil(lambda: controller.unlock_dialog is not None, timeout=5000)
    controller.unlock_dialog.passphrase.setText(PASSPHRASE)
    controller.unlock_dialog.try_unlock()
    qtbot.waitUntil(lambda: controller.window is not None, timeout=10_000)
    qtbot.addWidget(controller.window)
    yield controller
    if controller.window is not None:
        controller.window.coordinator.stop()
    session, controller.ctx.session = controller.ctx.session, None
    if session is not None:
        controller.runner.call_db(session.close)
    controller.runner.shutdown()


@pytest.fixture(scope="module")
def srv_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A server's data folder with a supervisor s1 and a collector c1 under s1, made once per module:
    each test serves its own copy (two admin processes fewer per test, the same fresh server)."""
    data = tmp_path_factory.mktemp("srv") / "server-data"
    s = Server(data)
    s.admin("user", "add", "s1", "--role", "supervisor")
    s.admin("user", "add", "c1", "--role", "collector", "--supervisor", "s1")
    return data


@pytest.fixture
def srv(tmp_path: Path, srv_data: Path) -> Iterator[Server]:
    """The sync server in its own process (a copy of ``srv_data``)."""
    shutil.copytree(srv_data, tmp_path / "server-data")
    s = Server(tmp_path / "server-data")
    s.start()
    yield s
    s.stop()


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

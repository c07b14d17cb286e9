"""Errors reach the user as translated, actionable messages; bugs get a dialog with "copy details".

Every error is logged (the log never holds field values). An uncaught exception on any thread
is marshalled to the GUI thread and shown once per traceback signature (Electrum's Exception_Hook).
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.errors import StorageError, StorageErrorKind, UserCancelled, UserFacingError
from app.i18n import _

log = logging.getLogger(__name__)


def show_exception(parent: QWidget | None, exc: BaseException) -> None:
    if isinstance(exc, UserCancelled):
        log.debug("cancelled")
        return
    if isinstance(exc, UserFacingError):
        log.info("user-facing error: %s", type(exc).__name__)
        critical = isinstance(exc, StorageError) and exc.kind in (StorageErrorKind.CORRUPT, StorageErrorKind.DISK_FULL)
        box = QMessageBox(
            QMessageBox.Icon.Critical if critical else QMessageBox.Icon.Warning,
            _("FieldArchive"),
            exc.message(),
            QMessageBox.StandardButton.Ok,
            parent,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return
    log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    show_bug(parent, "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


def show_bug(parent: QWidget | None, details: str) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        _("Something went wrong"),
        _(
            "FieldArchive ran into a problem it did not expect. Your saved data is safe. "
            "If it happens again, copy the details and send them to support."
        ),
        QMessageBox.StandardButton.Close,
        parent,
    )
    box.setDetailedText(details)
    copy = box.addButton(_("Copy details"), QMessageBox.ButtonRole.ActionRole)
    copy.clicked.disconnect()
    copy.clicked.connect(lambda: QApplication.clipboard().setText(details))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class ExceptionHook(QObject):
    """sys.excepthook and threading.excepthook → one dialog per distinct traceback, on the GUI thread."""

    sig_exception = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()
        self.sig_exception.connect(self._show, Qt.ConnectionType.QueuedConnection)
        sys.excepthook = self._hook
        threading.excepthook = self._thread_hook

    def _thread_hook(self, a: threading.ExceptHookArgs) -> None:
        if a.exc_value is None:  # Python documents it may be; there is nothing to show then but the type
            log.error("uncaught %s in thread %s", a.exc_type.__name__, a.thread.name if a.thread else "?")
            return
        self._hook(a.exc_type, a.exc_value, a.exc_traceback)

    def _hook(self, etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            return
        log.error("uncaught exception", exc_info=(etype, value, tb))
        self.sig_exception.emit("".join(traceback.format_exception(etype, value, tb)))

    def _show(self, details: str) -> None:
        signature = hashlib.sha256(
            "".join(line for line in details.splitlines() if line.startswith("  File")).encode()
        ).hexdigest()
        if signature in self._seen:
            return
        self._seen.add(signature)
        show_bug(QApplication.activeWindow(), details)


def info(parent: Any, text: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, _("FieldArchive"), text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box

"""Long work with a progress dialog and a cancel button, off the GUI thread: the operation that the
spreadsheet operations (``app.ui.ops.sheets``) and the monthly report run behind a dialog."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.errors import UserCancelled
from app.i18n import _, ngettext
from app.services.events import Changes
from app.ui.context import UiContext
from app.ui.errors import show_exception

T = TypeVar("T")
Work = Callable[[Any, Callable[[int, int], None], threading.Event], T]


def busy_dialog(parent: QWidget, label: str) -> tuple[QProgressDialog, threading.Event]:
    """A window-modal progress dialog (shown after 300 ms) and the event its Cancel button sets.
    Closing the dialog also emits ``canceled``: disconnect the event first when closing after success."""
    dialog = QProgressDialog(label, _("Cancel"), 0, 0, parent)
    dialog.setWindowTitle(_("FieldArchive"))
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    cancel = threading.Event()
    dialog.canceled.connect(cancel.set)
    return dialog, cancel


def run_with_progress(
    ctx: UiContext,
    parent: QWidget,
    label: str,
    work: Work[T],
    done: Callable[[T], None],
    cancelled: Callable[[], None] | None = None,
    changes: Callable[[T], Changes | None] | None = None,
    counted: Callable[[int], str] | None = None,
) -> QProgressDialog:
    """``work(session, progress(done, total), cancel_event)`` runs on the DB thread; ``done(result)`` on the GUI thread;
    ``changes(result)``: what it changed in the stored data, announced once after ``done``; ``counted(n)``: the
    progress's count in words (default ``{n} rows``)."""
    dialog, cancel = busy_dialog(parent, label)
    count = counted or (lambda n: ngettext("{n} row", "{n} rows", n).format(n=n))

    def progress(n: int, total: int) -> None:
        def show() -> None:
            if total:
                dialog.setMaximum(total)
                dialog.setValue(min(n, total))
            dialog.setLabelText(f"{label}\n{count(n)}")

        ctx.runner.run_on_main(show)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, UserCancelled):
            if cancelled:
                cancelled()
            return
        show_exception(parent, exc)

    op = ctx.op(lambda s: work(s, progress, cancel), parent).success(done).failure(failed)
    if changes is not None:
        op.changes(changes)

    def finished() -> None:
        dialog.reset()
        dialog.close()

    op.finally_(finished).run()
    dialog.show()
    return dialog

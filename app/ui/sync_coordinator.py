"""Background sync: on start, a little after saves, every few minutes, and on "Sync now".

The sync runs on a network thread; every archive call it makes hops to the DB thread and back
(``syncing.sync(on_db=...)``). Failures of an automatic sync retry with
exponential backoff and jitter and only show in the status bar; a sync the user asked for shows
its error. A rejected sign-in asks to sign in again; nothing unsynced is lost meanwhile.
"""

from __future__ import annotations

import logging
import random
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.errors import SyncError, SyncErrorKind, UserCancelled
from app.models.sync_state import SyncOutcome
from app.models.sync_status import SyncState, SyncStatus
from app.services.events import Changes
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops import syncing as sync_ops

log = logging.getLogger(__name__)
AFTER_SAVE_MS = 20_000
MAX_BACKOFF_S = 300.0


class SyncCoordinator(QObject):
    sig_state = Signal(object)  # SyncStatus
    sig_progress = Signal(str, int, int, object)  # phase, done, total, bytes so far
    sig_need_sign_in = Signal()
    sig_finished = Signal(object)  # SyncOutcome

    def __init__(self, ctx: UiContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.running = False
        self.cancel = threading.Event()
        self.failures = 0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(lambda: self.sync(manual=False))
        self.after_save = QTimer(self)
        self.after_save.setSingleShot(True)
        self.after_save.setInterval(AFTER_SAVE_MS)
        self.after_save.timeout.connect(lambda: self.sync(manual=False))
        ctx.sig_changes.connect(self._data_changed)
        self.shown = SyncStatus(SyncState.LOCAL)  # what the status bar shows now
        self.sig_state.connect(self._shown)
        self.signed_in = False
        self.changed_meanwhile = False
        self.manual = False

    # ---- scheduling --------------------------------------------------------------------------
    def start(self) -> None:
        """After unlocking: find out whether we are signed in, and sync if so."""
        sync_ops.status(self.ctx).success(self._status_known).failure(lambda _e: None).run()

    def _status_known(self, status: dict[str, Any]) -> None:
        self.signed_in = bool(status.get("signed_in"))
        outbox, last_sync = int(status.get("outbox") or 0), status.get("last_sync")
        if not status.get("bound"):
            self.sig_state.emit(SyncStatus(SyncState.LOCAL, outbox, last_sync))
        elif not self.signed_in:
            self.sig_state.emit(SyncStatus(SyncState.SIGNED_OUT, outbox, last_sync))
        else:
            self.sig_state.emit(SyncStatus(SyncState.WAITING if outbox else SyncState.IDLE, outbox, last_sync))
            self.sync(manual=False)

    def _shown(self, status: SyncStatus) -> None:
        self.shown = status

    def _data_changed(self, changes: Changes) -> None:
        """A save: show at once how many changes wait, and send them a little later (saves in a row are
        sent together)."""
        if changes.waiting and not self.running:
            self._show_waiting(changes.waiting)
        if not self.signed_in or changes.all_customers or not changes.customers:
            return  # a sync's (or an import's) own "everything may have changed"
        if self.running:
            self.changed_meanwhile = True
        else:
            self.after_save.start()

    def _show_waiting(self, waiting: int) -> None:
        """The status bar after a save: "N changes waiting" instead of an "up to date" no longer true;
        signed out, offline or failed, the state stays and the count is added to it."""
        state = self.shown.state
        if state is SyncState.LOCAL:
            return  # an archive not bound to a server has nothing to send to
        if state.signed_in and state not in (SyncState.OFFLINE, SyncState.ERROR):
            state = SyncState.WAITING
        self.sig_state.emit(
            SyncStatus(
                state, waiting, self.shown.last_sync, error=self.shown.error if state is self.shown.state else None
            )
        )

    def schedule(self, seconds: float) -> None:
        self.timer.start(int(seconds * 1000))

    def stop(self) -> None:
        self.timer.stop()
        self.after_save.stop()
        self.cancel.set()

    # ---- one sync ----------------------------------------------------------------------------
    def sync(self, manual: bool = True) -> None:
        if self.running or self.ctx.session is None:
            return
        if not self.signed_in and not manual:
            return
        session = self.ctx.session
        self.running, self.manual, self.changed_meanwhile = True, manual, False
        self.timer.stop()
        cancel = self.cancel = threading.Event()
        self.after_save.stop()
        self.sig_state.emit(SyncStatus(SyncState.SYNCING))

        def progress(phase: str, done: int, total: int, nbytes: int) -> None:
            self.ctx.runner.run_on_main(lambda: self.sig_progress.emit(phase, done, total, nbytes))

        sync_ops.sync(self.ctx, session, progress, cancel).success(self._done).failure(self._failed).finally_(
            lambda: setattr(self, "running", False)
        ).run()

    def _done(self, outcome: SyncOutcome) -> None:
        self.failures = 0
        self.signed_in = True  # the operation announces that anything may have changed, after this
        problems = outcome.conflicts or outcome.rejected or outcome.remaining or outcome.audit_problem
        self.sig_state.emit(SyncStatus(SyncState.PROBLEMS if problems else SyncState.UP_TO_DATE, outcome=outcome))
        self.sig_finished.emit(outcome)
        if self.changed_meanwhile:
            self.after_save.start()
        self.schedule(self.ctx.settings.auto_sync_minutes * 60)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, UserCancelled) or self.cancel.is_set() or self.ctx.session is None:
            self.sig_state.emit(SyncStatus(SyncState.CANCELLED))
            return
        if isinstance(exc, SyncError) and exc.kind is SyncErrorKind.AUTH:
            self.signed_in = False
            self.sig_state.emit(SyncStatus(SyncState.SIGNED_OUT, error=exc))
            if self.manual:
                self.sig_need_sign_in.emit()
            return
        self.failures += 1
        delay = min(MAX_BACKOFF_S, 10.0 * 2 ** (self.failures - 1)) * random.uniform(0.5, 1.5)
        offline = isinstance(exc, SyncError) and exc.kind in (SyncErrorKind.OFFLINE, SyncErrorKind.TIMEOUT)
        self.sig_state.emit(SyncStatus(SyncState.OFFLINE if offline else SyncState.ERROR, error=exc))
        log.info("sync failed (%s); next try in %.0f s", type(exc).__name__, delay)
        if self.manual and not offline:
            show_exception(None, exc)
        self.schedule(delay)

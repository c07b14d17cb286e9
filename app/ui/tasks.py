"""Background work for the UI (Anki's TaskManager, rebuilt for PySide6).

All database work runs on ONE "db" thread, so the SQLCipher connection never hops
threads; network work runs on a small "net" pool. Results come back to the GUI thread
through a queued signal. The UI thread never waits on SQLite, the disk or the network.

Tests can make a runner ``inline``: the work and its callbacks run at once, in order.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ClassVar, Generic, Self, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from shiboken6 import isValid

from app.errors import StorageError, StorageErrorKind
from app.ui.errors import show_exception

log = logging.getLogger(__name__)
T = TypeVar("T")


class Pool(enum.Enum):
    """Where work runs: the one DB thread (the SQLCipher connection) or the network pool."""

    DB = "db"
    NET = "net"


class TaskRunner(QObject):
    sig_closures_pending = Signal()
    sig_busy_changed = Signal(bool)

    def __init__(self, inline: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.inline = inline
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
        self._net = ThreadPoolExecutor(max_workers=2, thread_name_prefix="net")
        self._closures: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._running = 0
        self.closed = False
        self.sig_closures_pending.connect(self._run_closures, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._running > 0

    def run_on_main(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the GUI thread soon (callable from any thread)."""
        with self._lock:
            self._closures.append(fn)
        self.sig_closures_pending.emit()

    def _run_closures(self) -> None:
        with self._lock:
            todo, self._closures = self._closures, []
        for fn in todo:
            fn()

    def submit(self, fn: Callable[[], T], done: Callable[[Future[T]], None], *, pool: Pool = Pool.DB) -> None:
        if self.closed:  # a timer firing while the application shuts down: nothing to do any more
            log.debug("task submitted after shutdown: dropped")
            return
        self._set_running(+1)

        def finished(fut: Future[T]) -> None:
            self._set_running(-1)
            done(fut)

        if self.inline:
            fut: Future[T] = Future()
            try:
                fut.set_result(fn())
            except BaseException as exc:  # delivered to the callback, like a pool would
                fut.set_exception(exc)
            finished(fut)
            return
        future = (self._net if pool is Pool.NET else self._db).submit(fn)
        future.add_done_callback(lambda f: self.run_on_main(lambda: finished(f)))

    def _set_running(self, delta: int) -> None:
        was = self.busy
        self._running += delta
        if was != self.busy:
            self.sig_busy_changed.emit(self.busy)

    def call_db(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``fn`` on the DB thread and wait: for the network thread (sync), shutdown and tests;
        never on the GUI thread for UI work."""
        if self.inline:
            return fn()
        return self._db.submit(fn).result(timeout)

    def shutdown(self) -> None:
        self.closed = True
        self._net.shutdown(wait=True, cancel_futures=True)
        self._db.shutdown(wait=True)


class Op(Generic[T]):
    """``DbOp(runner, work).success(fn).failure(fn).run()``: work off the GUI thread, callbacks on it.

    The thread is chosen by the operation's type (Anki's ``CollectionOp`` / ``QueryOp``): a ``DbOp``
    runs on the DB thread, a ``NetOp`` on the network pool; there is no flag to get wrong.
    The default failure handler shows the error (translated, with "copy details" for bugs);
    a cancelled operation is silent. An operation that changes stored data says so once with
    ``changes(fn)``: ``fn(result)`` gives the change set, handed to ``announce`` after ``success``
    (Anki's ``on_op_finished``), so no call site emits "data changed" by hand.

    The callbacks belong to a Qt object (``owner(obj)``, else the parent when it is one): when that
    object was deleted before the answer came (its window closed), ``success`` and ``finally_`` are
    not called (they would touch a deleted C++ object), the change set is still announced, and a
    failure the screen left to the default handler is still shown, without a parent.
    """

    pool: ClassVar[Pool]

    def __init__(
        self,
        runner: TaskRunner,
        work: Callable[[], T],
        parent: Any = None,
        announce: Callable[[Any], None] | None = None,
        damaged: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._runner, self._work, self._parent, self._announce = runner, work, parent, announce
        self._damaged = damaged  # a damaged archive is the session's matter, not this operation's
        self._success: Callable[[T], object] | None = None
        self._failure: Callable[[BaseException], object] | None = None
        self._finally: Callable[[], object] | None = None
        self._changes: Callable[[T], Any] | None = None
        self._owner: QObject | None = parent if isinstance(parent, QObject) else None

    def owner(self, obj: QObject) -> Self:
        """The Qt object whose methods the callbacks call: nothing is called on it once it is deleted."""
        self._owner = obj
        return self

    def success(self, fn: Callable[[T], object]) -> Self:  # what fn returns is ignored
        self._success = fn
        return self

    def failure(self, fn: Callable[[BaseException], object]) -> Self:
        self._failure = fn
        return self

    def finally_(self, fn: Callable[[], object]) -> Self:
        self._finally = fn
        return self

    def changes(self, fn: Callable[[T], Any]) -> Self:
        """``fn(result)``: the change set (``app.services.events.Changes``) this operation made, or None."""
        self._changes = fn
        return self

    def run(self) -> None:
        self._runner.submit(self._work, self._done, pool=self.pool)

    def _done(self, fut: Future[T]) -> None:
        if self._owner is not None and not isValid(self._owner):
            self._orphaned(fut)
            return
        try:
            exc = fut.exception()
            if exc is not None:
                if self._damaged is not None and is_damage(exc):
                    self._damaged(exc)
                elif self._failure is not None:
                    self._failure(exc)
                else:
                    show_exception(self._parent, exc)
                return
            result = fut.result()
            if self._success is not None:
                self._success(result)
            self._announce_changes(result)
        finally:
            if self._finally is not None:
                self._finally()

    def _orphaned(self, fut: Future[T]) -> None:
        """The answer of an operation whose owner is gone: what it changed is still told, an error still shown."""
        log.debug("operation finished after its owner was deleted")
        exc = fut.exception()
        if exc is None:
            self._announce_changes(fut.result())
        elif self._damaged is not None and is_damage(exc):
            self._damaged(exc)
        elif self._failure is not None:  # the screen meant to handle it, and it is gone
            log.warning("operation failed after its owner was deleted: %s", type(exc).__name__)
        else:
            show_exception(None, exc)

    def _announce_changes(self, result: T) -> None:
        if self._changes is not None and self._announce is not None:
            changed = self._changes(result)
            if changed is not None:
                self._announce(changed)


def is_damage(exc: BaseException) -> bool:
    """A damaged archive (a page that fails its HMAC, a broken b-tree): nothing more may be written."""
    return isinstance(exc, StorageError) and exc.kind is StorageErrorKind.CORRUPT


class DbOp(Op[T]):
    """Work with the archive: on the one DB thread."""

    pool = Pool.DB


class NetOp(Op[T]):
    """Work with the server only (no archive): on the network pool."""

    pool = Pool.NET

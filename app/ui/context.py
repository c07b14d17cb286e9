"""What every screen needs: the task runner, the settings, and the unlocked session.

The session is only ever *used* inside operations, on the DB thread; the UI thread just passes
the reference along (enforced by convention and by SQLite's same-thread check).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar

from PySide6.QtCore import QObject, Signal

from app.errors import UserFacingError
from app.i18n import N_
from app.settings import Settings
from app.ui.tasks import Op, TaskRunner

if TYPE_CHECKING:
    from app.services.session import Session

T = TypeVar("T")


class UiContext(QObject):
    sig_data_changed = Signal(str)  # a customer id ("" = many) whose stored data changed

    def __init__(self, runner: TaskRunner, settings: Settings) -> None:
        super().__init__()
        self.runner = runner
        self.settings = settings
        self.session: "Session | None" = None

    def _session(self) -> "Session":
        if self.session is None:
            raise UserFacingError(N_("The archive is locked."))  # a message, never a traceback
        return self.session

    def op(self, work: Callable[["Session"], T], parent: Any = None) -> Op[T]:
        """An operation on the DB thread with the unlocked session."""
        return Op(self.runner, lambda: work(self._session()), parent)

    def task(self, work: Callable[[], T], parent: Any = None, net: bool = False) -> Op[T]:
        return Op(self.runner, work, parent, net=net)

    def ask_server(self, call: Callable[[Any], T], parent: Any, success: Callable[[T], None],
                   failure: Callable[[BaseException], None]) -> None:
        """``call(client)`` on the network pool, with a client for the server this archive is signed in to
        (made on the DB thread, where the binding is read) that is closed afterwards; the archive stays
        usable while the server answers. ``success`` or ``failure`` runs on the GUI thread."""
        from app.services import syncing

        def with_client(client: Any) -> None:  # a SyncClient (the UI does not import app.sync)
            def ask() -> T:
                try:
                    return call(client)
                finally:
                    client.close()
            self.task(ask, parent, net=True).success(success).failure(failure).run()

        self.op(syncing.client_for, parent).success(with_client).failure(failure).run()

"""What every screen needs: the task runner, the settings, the unlocked session, and the GUI thread's
copy of the session's shared state (the form in force, the work calendar).

The session is only ever *used* inside operations, on the DB thread; the UI thread just passes
the reference along (enforced by convention and by SQLite's same-thread check). Its shared state
reaches the screens the Electrum way (``QtEventListener``): the session announces a change on its
event bus, from whichever thread made it; the context re-emits it on the GUI thread, updates
``form``/``calendar`` there, and then tells the screens (``sig_form_changed``, ``sig_calendar_changed``).
Screens read ``ctx.form`` and ``ctx.calendar``, never ``session.form``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from app.errors import UserFacingError
from app.i18n import N_
from app.models.catalogue import FormDefinition
from app.models.workdays import WorkCalendar
from app.services.events import CalendarChanged, Changes, FormChanged, IntegrityChecked, IntegrityFailed
from app.services.session import builtin_calendar
from app.settings import Settings
from app.ui.tasks import DbOp, NetOp, TaskRunner

if TYPE_CHECKING:
    from app.services.session import Session

T = TypeVar("T")


class UiContext(QObject):
    sig_changes = Signal(object)  # the Changes an operation announced: what stored data changed
    sig_form_changed = Signal(object)  # the FormDefinition now in force (``ctx.form``)
    sig_calendar_changed = Signal(object)  # the WorkCalendar now in force (``ctx.calendar``)
    sig_integrity_failed = Signal(object)  # the StorageError of open checks that failed after the unlock
    sig_integrity_checked = Signal()  # the open checks run after the unlock found nothing: writes proceed
    _sig_event = Signal(object, object)  # (session, event) from any thread, received on the GUI thread

    def __init__(self, runner: TaskRunner, settings: Settings) -> None:
        super().__init__()
        self.runner = runner
        self.settings = settings
        self._current: Session | None = None
        self._integrity_told = False
        self.checking = False  # the open checks still run beside the user (the status bar says so)
        self._unsubscribe: list[Callable[[], None]] = []
        self.form: FormDefinition | None = None  # the session's form, as the GUI thread knows it
        self.calendar: WorkCalendar = builtin_calendar()
        # a queued connection when emitted from another thread: the slot runs on the GUI thread
        self._sig_event.connect(self._on_event)

    @property
    def session(self) -> Session | None:
        return self._current

    @session.setter
    def session(self, session: Session | None) -> None:
        """Unlocked (a session) or locked (None): listen to the new session's events only."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._current = session
        self.checking = False
        if session is None:
            return

        def forward(event: Any, s: Session = session) -> None:
            self._sig_event.emit(s, event)

        kinds = (FormChanged, CalendarChanged, IntegrityFailed, IntegrityChecked)
        self._unsubscribe = [session.events.subscribe(kind, forward) for kind in kinds]
        self._integrity_told = False
        self.checking = session.checking  # read after subscribing: a verdict meanwhile still arrives as an event
        self._take(FormChanged(session.form))
        self._take(CalendarChanged(session.calendar))
        if session.integrity_error is not None:  # the checks failed before this subscription
            self._take(IntegrityFailed(session.integrity_error))

    def _on_event(self, session: Session, event: object) -> None:
        if session is self._current:  # an event of a session locked meanwhile is late: dropped
            self._take(event)

    def _take(self, event: object) -> None:
        # compared by value: unlocking again reads an equal form and calendar, which change nothing
        if isinstance(event, FormChanged) and event.form != self.form:
            self.form = event.form
            self.sig_form_changed.emit(event.form)
        elif isinstance(event, CalendarChanged) and event.calendar != self.calendar:
            self.calendar = event.calendar
            self.sig_calendar_changed.emit(event.calendar)
        elif isinstance(event, IntegrityFailed) and not self._integrity_told:  # told once per session
            self._integrity_told = True
            self.checking = False
            self.sig_integrity_failed.emit(event.error)
        elif isinstance(event, IntegrityChecked):
            self.checking = False
            self.sig_integrity_checked.emit()

    def _damaged(self, error: BaseException) -> None:
        """An operation met a damaged archive: told once, as the open checks' verdict is."""
        if self._current is not None and isinstance(error, UserFacingError):  # a StorageError: tasks.is_damage
            self._take(IntegrityFailed(error))

    def _session(self) -> Session:
        if self.session is None:
            raise UserFacingError(N_("The archive is locked."))  # a message, never a traceback
        return self.session

    def announce(self, changes: Changes) -> None:
        """What an operation changed, told to every screen once (``DbOp.changes`` calls this)."""
        self.sig_changes.emit(changes)

    def op(self, work: Callable[[Session], T], parent: Any = None) -> DbOp[T]:
        """An operation on the DB thread with the unlocked session. Only ``app.ui.ops`` builds operations
        (tests/unit/test_architecture_ui.py); screens call its named builders."""
        return DbOp(self.runner, lambda: work(self._session()), parent, self.announce, self._damaged)

    def task(self, work: Callable[[], T], parent: Any = None) -> DbOp[T]:
        """Work on the DB thread without the session (unlocking, closing, preloading)."""
        return DbOp(self.runner, work, parent, self.announce)

    def net(self, work: Callable[[], T], parent: Any = None) -> NetOp[T]:
        """Work with the server on the network pool: it must not touch the archive."""
        return NetOp(self.runner, work, parent, self.announce)

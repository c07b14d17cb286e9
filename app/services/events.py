"""A small event bus owned by the session, and the change set an operation announces.

The bus: what changed in the shared state (the published form, the work calendar, the
verdict of the archive's open checks) is announced once, to whoever listens (Electrum's ``EventListener`` /
``trigger_callback``, without its process-wide registry: each session has its own bus).

Callbacks run on the thread that publishes (the DB thread during a sync); the UI listens through its
Qt adapter (``app.ui.context.UiContext``), which hands each event to the GUI thread. A failing listener
is logged and does not stop the others or the publisher.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from app.errors import UserFacingError
from app.models.catalogue import FormDefinition
from app.models.record import Customer
from app.models.workdays import WorkCalendar

log = logging.getLogger(__name__)
E = TypeVar("E")


@dataclass(frozen=True)
class FormChanged:
    """A newer form (catalogue) is in force: validate and show with it from now on."""

    form: FormDefinition


@dataclass(frozen=True)
class CalendarChanged:
    """Another work calendar is in force: count working days with it from now on."""

    calendar: WorkCalendar


@dataclass(frozen=True)
class IntegrityFailed:
    """The archive's open checks, run beside the user, found a problem: nothing more is written to
    it (its writes are refused), and the user is told what to do (restore from a backup)."""

    error: UserFacingError


@dataclass(frozen=True)
class IntegrityChecked:
    """The archive's open checks, run beside the user, are done and found nothing: writes proceed
    (the status bar stops saying the archive is being checked)."""


@dataclass(frozen=True)
class Changes:
    """What one operation changed in the stored data, announced once when it has finished (Anki's
    ``OpChanges``): the screens refresh from it instead of each call site telling each screen.

    ``customers``: the ids of the customers whose stored data changed (``all_customers``: many or
    unknown, e.g. after a sync or an import); ``stored``: those customers as the operation left them,
    so a screen showing one of them needs no second read; ``lists``: the customer list and the review
    queue may have gained, lost or reordered rows; ``counts``: the status bar and dashboard counts may
    have changed; ``waiting``: how many changes wait to be sent to the server after the operation, when
    it counted them (a save does: the status bar shows the number at once).
    """

    customers: frozenset[str] = frozenset()
    all_customers: bool = False
    stored: tuple[Customer, ...] = ()
    lists: bool = True
    counts: bool = True
    waiting: int | None = None

    @classmethod
    def of(
        cls, customers: Iterable[Customer], *, lists: bool = True, counts: bool = True, waiting: int | None = None
    ) -> Changes:
        """The customers an operation stored (and returns)."""
        stored = tuple(customers)
        return cls(frozenset(c.id for c in stored), False, stored, lists, counts, waiting)

    @classmethod
    def ids(cls, ids: Iterable[str], *, lists: bool = True, counts: bool = True) -> Changes:
        return cls(frozenset(i for i in ids if i), False, (), lists, counts)

    @classmethod
    def everything(cls) -> Changes:
        return cls(all_customers=True)

    def touches(self, customer_id: str) -> bool:
        return self.all_customers or customer_id in self.customers

    def stored_copy(self, customer_id: str) -> Customer | None:
        """The customer as the operation stored it, if it carried it."""
        return next((c for c in self.stored if c.id == customer_id), None)


Listener = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[tuple[type, Listener]] = []

    def subscribe(self, kind: type[E], listener: Callable[[E], None]) -> Callable[[], None]:
        """Call ``listener(event)`` for every event of ``kind`` published from now on; returns the
        function that ends the subscription."""
        entry = (kind, listener)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe

    def publish(self, event: object) -> None:
        with self._lock:
            listeners = [fn for kind, fn in self._listeners if isinstance(event, kind)]
        for fn in listeners:
            try:
                fn(event)
            except Exception:
                log.exception("a listener of %s failed", type(event).__name__)

"""A small event bus owned by the session: what changed in the shared state (the published form, the
work calendar) is announced once, to whoever listens (Electrum's ``EventListener`` /
``trigger_callback``, without its process-wide registry: each session has its own bus).

Callbacks run on the thread that publishes (the DB thread during a sync); the UI listens through its
Qt adapter (``app.ui.context.UiContext``), which hands each event to the GUI thread. A failing listener
is logged and does not stop the others or the publisher.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from app.models.catalogue import FormDefinition
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

"""Background work gives way to the requests of its process (issue 21: "no push or pull in the same
process slowed by more than 20 % while [a report] runs").

A report job runs in a thread of the server process, beside the requests. Its Python (rows turned into
JSON, gzip) holds the interpreter's lock, and its queries take a core of the database: on a small server
a push or a pull waits for both. :class:`ForegroundMiddleware` counts the requests being answered; a
job calls :func:`give_way` between its chunks, which returns at once when no request is being answered
and otherwise waits until none is, at most ``limit`` seconds and at most ten times what the job worked
since its last call, so a steady stream of requests slows the job (at most 11 times) but never stops it. Per
process: a job does not see the requests another server process answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

_lock = threading.Lock()
_quiet = threading.Condition(_lock)
_busy = 0

#: the longest one :func:`give_way` waits for the requests (seconds)
LIMIT = 0.2


def busy() -> int:
    """Requests being answered now in this process."""
    return _busy


_mine = threading.local()


#: a wait is at most this many times the work the thread did since its last call returned
SHARE = 10


def give_way(limit: float | None = None) -> None:
    """Wait while requests are being answered in this process, at most ``limit`` seconds (``LIMIT``), and
    no longer than ``SHARE`` times what this thread worked since its last call returned: under requests
    that never stop, the job keeps a share of its time (it takes at most 11 times as long, where the
    plain limit could stretch 1,600 chunks of a few milliseconds by 0.2 s each)."""
    bound = LIMIT if limit is None else limit
    last = getattr(_mine, "last", None)
    if last is not None:
        bound = min(bound, SHARE * (time.monotonic() - last))
    with _lock:
        if _busy and bound > 0:
            _quiet.wait_for(lambda: _busy == 0, timeout=bound)
    _mine.last = time.monotonic()


class ForegroundMiddleware:
    """Counts the HTTP requests being answered (pure ASGI; from the request's start to its answer's end)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        global _busy
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with _lock:
            _busy += 1
        try:
            await self.app(scope, receive, send)
        finally:
            with _lock:
                _busy -= 1
                if not _busy:
                    _quiet.notify_all()

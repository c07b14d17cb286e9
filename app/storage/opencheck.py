"""The integrity checks of an open, run beside the user instead of in front of them.

Opening an archive checks every page's HMAC (``cipher_integrity_check``) and, after an unclean
shutdown or for a small archive, the b-tree structure (``quick_check``). On a large archive that
is most of the time from passphrase to the main window. ``OpenCheck`` runs the same checks, as
often as before, on a second connection of their own in a background thread, while the archive
is already open for reading; the archive's write transactions wait at a gate until the checks
are done, and are refused (``StorageFault("corrupt")``) if they found a problem. So nothing is
ever written to an archive whose checks failed, and nobody waits for the checks to read.

The checks read the main database file. Nothing is checkpointed into it while they run: no
write commits before the gate opens, and ``close`` interrupts and joins the checks before its
final checkpoint.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3

from app.storage.db import StorageFault
from app.storage.engine import CorruptDatabase, integrity_problems, raw_connect

log = logging.getLogger(__name__)


class OpenCheck:
    """The open checks of one archive, running in their own thread on their own connection."""

    def __init__(self, path: Path, key: bytes, structure: bool) -> None:
        self._path, self._key, self._structure = path, key, structure
        self._conn: Any = None
        self._lock = threading.Lock()
        self._cancelled = False
        self._problems: list[str] | None = None
        self._done = threading.Event()
        self._callbacks: list[Callable[[list[str]], None]] = []
        self._thread = threading.Thread(target=self._run, name="archive-open-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        problems: list[str] = []
        try:
            conn = raw_connect(self._path, self._key)
        except CorruptDatabase as exc:
            problems = [str(exc)]
        except (sqlcipher3.Error, OSError, RuntimeError) as exc:
            problems = [str(exc)]
        else:
            with self._lock:
                self._conn = conn
                cancelled = self._cancelled
            try:
                if not cancelled:
                    problems = integrity_problems(conn, quick=True, structure=self._structure)
            finally:
                with self._lock:
                    self._conn = None
                conn.close()
        if self._cancelled:
            problems = []  # interrupted by close(): nothing was checked, nothing is claimed
        elif problems:
            log.error("the archive's integrity checks found %d problem(s): %s", len(problems), problems[:3])
        with self._lock:
            self._problems = problems
            callbacks, self._callbacks = self._callbacks, []
        if not self._cancelled:
            for fn in callbacks:  # told before ``problems()`` returns: a waiter sees the listeners' effect
                try:
                    fn(problems)
                except Exception:
                    log.exception("a listener of the open checks failed")
        self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def when_done(self, fn: Callable[[list[str]], None]) -> None:
        """``fn(problems)`` once the checks are done: at once if they are, else from their thread."""
        with self._lock:
            if self._problems is None:
                self._callbacks.append(fn)
                return
        fn(list(self._problems))

    def problems(self, timeout: float | None = None) -> list[str]:
        """The problems found (empty: none), waiting for the checks to finish."""
        if not self._done.wait(timeout):
            raise TimeoutError("the archive's integrity checks are still running")
        return list(self._problems or [])

    def require_ok(self) -> None:
        """The write gate: wait for the checks; refuse if they found a problem."""
        problems = self.problems()
        if problems:
            raise StorageFault("corrupt", "; ".join(problems[:3]))

    def cancel(self) -> None:
        """Stop the checks (the archive is closing) and wait for the thread to end."""
        with self._lock:
            self._cancelled = True
            if self._conn is not None:
                self._conn.interrupt()  # sqlite3_interrupt: safe from another thread
        self._thread.join()

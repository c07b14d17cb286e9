"""Write transactions queue in the process: one at a time on SQLite (it has one writer), PG_WRITERS at a
time on PostgreSQL (their work is Python under one GIL: more only share the processor unevenly), and
the queue is released when a transaction fails, on both."""

from __future__ import annotations

import threading
import time

import pytest

from server.db import PG_WRITERS, Database


def test_write_transactions_queue_and_fail_without_blocking_the_queue(db: Database) -> None:
    limit = PG_WRITERS if db.is_postgres else 1
    inside, most, lock = [0], [0], threading.Lock()

    def work(_tx) -> None:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.15)
        with lock:
            inside[0] -= 1

    threads = [threading.Thread(target=db.write, args=(work,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert most[0] == limit

    def boom(_tx) -> None:
        raise ValueError("a bug in the middle of a transaction")

    for _ in range(limit + 1):
        with pytest.raises(ValueError):
            db.write(boom)
    assert db.write(lambda tx: "still writable") == "still writable"

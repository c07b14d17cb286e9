"""Two delivering server processes at once (issue 19): two ``serve`` processes share one PostgreSQL
database and one webhook, both running delivery rounds every 0.1 s while approvals keep coming; a real
receiver process counts every POST: each batch arrives exactly once (no delivery id twice, not even a
duplicate the receiver would have ignored), every change once, in commit order."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.server.conftest import ServerProcess, free_port
from tests.server.test_outbound import FAST_ENV, add, approved_customers, people
from tests.server.test_webhooks import Receiver, deliveries, wait_for

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite: one process (docs/deploy.md)
BOTH = {**FAST_ENV, "FIELDARCHIVE_WEBHOOK_POLL": "0.1", "FIELDARCHIVE_WEBHOOK_BATCH": "3"}


def test_two_server_processes_deliver_each_batch_exactly_once(db, db_url, run, tmp_path):
    people(db)
    add(run, "crm", "--department", "营销中心", "--scope", "feed:read")
    port = free_port()
    secret = run("webhook", "set", "crm", f"http://127.0.0.1:{port}/crm")[1].strip()
    receiver = Receiver(tmp_path, secret, port)
    servers = [ServerProcess(db_url, tmp_path), ServerProcess(db_url, tmp_path)]
    try:
        for server in servers:
            server.start(env=BOTH)
        made: list[str] = []
        for i in range(8):  # approvals keep coming while both processes deliver
            made += approved_customers(db, "c1" if i % 2 else "c3", 5)
            time.sleep(0.15)
        wait_for(lambda: len(receiver.applied()) >= len(made) and not deliveries(db, "pending"))
        time.sleep(1.0)  # rounds of both processes after the last delivery: nothing more is sent
        attempts = receiver.attempts()
        sent = Counter(a["delivery"] for a in attempts)
        batches = deliveries(db)
        assert {a["what"] for a in attempts} == {"applied"}
        assert sorted(sent) == sorted(b.id for b in batches) and set(sent.values()) == {1}
        assert {b.state for b in batches} == {"delivered"} and all(
            b.attempts == 0 for b in batches
        )  # no failed attempt
        applied = receiver.applied()
        assert sorted(rid for _, rid, _ in applied) == sorted(made) and len(applied) == len(made) == 40
        assert [s for s, _, _ in applied] == sorted(s for s, _, _ in applied)  # in commit order
    finally:
        for server in servers:
            server.stop()
        receiver.stop()

"""The client killed with SIGKILL in the middle of a sync, and the server restarted in the middle of
one: afterwards the server holds exactly the client's records, none twice, no edit lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from app.errors import SyncError
from app.services import records, syncing
from app.services.demo import generate
from tests.sync.conftest import PASSPHRASE, ROOT, SERVER_PASSWORD
from tests.sync.test_faults import client_state, server_state

CHILD = r"""
import sys
from app.services import session as ss, syncing
s = ss.unlock(passphrase=sys.argv[1])
syncing.login(s, sys.argv[2], "c1", sys.argv[3])
print("ready", flush=True)
def progress(phase, done, total, nbytes):
    print("progress", phase, done, flush=True)
while True:
    out = syncing.sync(s, progress=progress, batch=4)
    print("synced", out.pushed, flush=True)
    if out.complete:
        break
s.close()
"""


def assert_same(server, session) -> None:
    mine, _refs = client_state(session)
    theirs, _stored = server_state(server)
    assert set(theirs) == set(mine)
    assert all(theirs[i] == mine[i] for i in mine)


@pytest.mark.slow
def test_client_killed_during_sync_then_restarted(server, clients) -> None:
    c1 = clients("c1")
    for v in generate(600, seed=21):
        records.save_draft(c1.session, v)
    c1.login(server)
    c1.session.close()  # the child processes own the archive while they run
    c1.session = None
    rng = random.Random(3)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FIELDARCHIVE_HOME": str(c1.home)}
    kills = 0
    for _ in range(12):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, PASSPHRASE, server.url, SERVER_PASSWORD],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        # killed after a random number of steps, a random moment into the next one (mid-request,
        # mid-transaction); a child that finished first is not killed
        steps, line = rng.randint(1, 20), "ready"
        for _step in range(steps):
            line = child.stdout.readline()
            if not line:
                break
        time.sleep(rng.uniform(0, 0.05))
        if line and child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.communicate(timeout=120)
    assert kills >= 8
    c1.__enter__()  # reopen: the archive checks itself after the unclean stops
    assert c1.session._archive.integrity_problems() == [] and c1.session._archive.audit.verify_chain() == []
    c1.login(server)
    for _ in range(10):
        if c1.sync().complete:
            break
    assert_same(server, c1.session)
    assert len(server_state(server)[0]) == 600


@pytest.mark.slow
def test_server_restarted_during_sync(server, clients) -> None:
    c1 = clients("c1")
    for v in generate(300, seed=22):
        records.save_draft(c1.session, v)
    c1.login(server)
    errors: list[BaseException] = []

    def kill_midway(phase: str, done: int, total: int, _bytes: int) -> None:
        if phase == "push" and done >= 60 and server.proc.poll() is None:
            server.proc.send_signal(signal.SIGKILL)  # the server dies between two batches of this sync
            server.proc.wait(10)

    try:
        syncing.sync(c1.session, progress=kill_midway, batch=3)
    except SyncError as exc:
        errors.append(exc)
    assert errors and errors[0].kind.value in ("offline", "timeout")
    assert c1.session._archive.outbox.outbox_count() > 0
    server.start()
    for _ in range(10):
        if c1.sync().complete:
            break
    assert_same(server, c1.session)
    assert len(server_state(server)[0]) == 300

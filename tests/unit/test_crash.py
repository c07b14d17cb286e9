"""SIGKILL during a stream of saves, 50 times: every acknowledged save survives and the checks pass.

The writer is a child process using the real storage and service code; it prints a record's id
only after its save returned (the COMMIT is done). This is a process crash (the OS page cache
survives); power loss is outside what a test on this machine can emulate.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.services import session as ss

WRITER = r"""
import sys
from pathlib import Path
from app.services import records
from app.services.session import Session, current_form
from app.storage.profile import Profile
profile = Profile("default", Path(sys.argv[1]))
key = bytes.fromhex(sys.stdin.readline().strip())
session = Session(profile, profile.open(key, check=False), key, current_form())
print("ready", flush=True)
n = 0
while True:
    n += 1
    consent = {"consent_signed": True, "consent_date": "2025-01-05", "consent_form": "written"}  # tests/consent.py
    c, _ = records.save_draft(session, {"shop_name": f"崩溃测试{n}", "contact_phone": f"138{n:08d}", **consent})
    if n % 3 == 0:  # updates too, not only inserts
        records.save_draft(session, {**c.values, "address": f"地址{n}"}, c.id)
    print(c.id, flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_saves_loses_no_acknowledged_save(session) -> None:
    profile_dir = session._profile.dir
    key = session.key
    session.close()
    rng = random.Random(20261122)
    acked: set[str] = set()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    rounds = 50
    for r in range(rounds):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(profile_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        proc.stdin.write(key.hex() + "\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(rng.uniform(0.02, 0.3))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        acked.update(line for line in out.split() if len(line) == 36)
        s = ss.unlock(key=key)
        try:
            present = set(s._archive.customers.many(sorted(acked)))
            assert present == acked, f"round {r}: lost {sorted(acked - present)[:3]}"
            assert s._archive.integrity_problems(full=True) == [], f"round {r}"
            assert s._archive.audit.verify_chain() == [], f"round {r}"
        finally:
            s.close()
    assert len(acked) > rounds  # the writer really wrote between the kills

"""One copy of the app per profile (issue 16): a lock file with the process id in the profile folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.instance_lock import LOCK_NAME, ProfileInUse, ProfileLock, pid_alive

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_lock_is_refused_with_a_clear_message_until_the_first_is_released(home) -> None:
    first, second = ProfileLock("default"), ProfileLock("default")
    first.acquire()
    lock_file = first.folder / LOCK_NAME
    assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    with pytest.raises(ProfileInUse) as refused:
        second.acquire()
    message = refused.value.message()
    assert "已在另一个正在运行的 FieldArchive 中打开" in message and str(os.getpid()) in message
    assert "ProfileInUse" not in message and "Error" not in message
    assert "already open in another copy" in refused.value.message("en")
    first.release()
    assert not lock_file.exists()
    second.acquire()  # fine once the first copy has ended
    assert second.held
    second.release()


def test_a_stale_lock_of_a_dead_process_is_taken_over(home) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not pid_alive(dead.pid)
    lock = ProfileLock("default")
    lock.folder.mkdir(parents=True)
    (lock.folder / LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": None, "start": None}))
    lock.acquire()
    assert json.loads((lock.folder / LOCK_NAME).read_text())["pid"] == os.getpid()
    lock.release()


@pytest.mark.parametrize("content", ["", "{not json", json.dumps({"pid": "x"})])
def test_a_damaged_lock_file_is_taken_over(home, content: str) -> None:
    lock = ProfileLock("default")
    lock.folder.mkdir(parents=True)
    (lock.folder / LOCK_NAME).write_text(content)
    lock.acquire()
    assert lock.held
    lock.release()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process start times are read from /proc")
def test_a_reused_pid_does_not_keep_the_lock(home) -> None:
    """The pid of the crashed copy now belongs to another process (started later): the lock is stale."""
    lock = ProfileLock("default")
    lock.folder.mkdir(parents=True)
    (lock.folder / LOCK_NAME).write_text(json.dumps({"pid": os.getpid(), "host": None, "start": "1"}))
    lock.acquire()
    assert lock.held
    lock.release()


def test_two_processes_on_one_profile(home, tmp_path) -> None:
    """A real second process holds the profile: this one is refused; after it ends, this one gets it."""
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from app.instance_lock import ProfileLock
        lock = ProfileLock("default")
        lock.acquire()
        Path({str(ready)!r}).write_text("ok")
        sys.stdin.readline()   # hold the lock until told to end
        lock.release()
    """)
    holder = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        text=True,
        env={**os.environ, "FIELDARCHIVE_HOME": str(home)},
    )
    try:
        for _ in range(200):  # bounded wait for the other process to take the lock
            if ready.exists() or holder.poll() is not None:
                break
            time.sleep(0.05)
        assert ready.exists(), "the holder process did not start"
        with pytest.raises(ProfileInUse) as refused:
            ProfileLock("default").acquire()
        assert str(holder.pid) in refused.value.message()
        holder.communicate("\n", timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    mine = ProfileLock("default")
    mine.acquire()
    mine.release()


def test_a_crashed_process_leaves_a_lock_that_is_taken_over(home, tmp_path) -> None:
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from app.instance_lock import ProfileLock
        ProfileLock("default").acquire()
        os._exit(3)   # a crash: no release
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, "FIELDARCHIVE_HOME": str(home)}, timeout=60, check=False
    )
    assert done.returncode == 3
    lock = ProfileLock("default")
    assert (lock.folder / LOCK_NAME).exists()
    lock.acquire()
    assert lock.held
    lock.release()

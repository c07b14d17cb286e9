"""The server's data folder and SQLite database are private to its user (0700 / 0600, whatever the
umask it was started with), and `serve` refuses a database that other users could read or write,
naming the command that fixes it. Real `python -m server` processes."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import ROOT, ServerProcess, free_port
from tests.server.helpers import PASSWORD

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def admin(data: Path, *args: str, umask: int = 0o000) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIELDARCHIVE_NEW_PASSWORD": PASSWORD}
    return subprocess.run(
        [sys.executable, "-m", "server", *args, "--data", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        umask=umask,
    )


def serve_refused(data: Path) -> str:
    """`serve` must exit at once with one line on stderr; returns that line."""
    proc = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--data", str(data), "--port", str(free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr.strip()


def test_a_fresh_data_folder_and_database_are_private_even_with_umask_0(tmp_path) -> None:
    data = tmp_path / "server-data"
    r = admin(data, "user", "add", "ann", "--role", "collector", umask=0o000)  # the loosest umask there is
    assert r.returncode == 0, r.stderr
    db = data / "fieldarchive-server.db"
    assert mode(data) == 0o700 and mode(db) == 0o600
    proc = ServerProcess("", tmp_path, db_args=("--data", str(data)))
    proc.start()
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as client:
            r = client.post(
                "/api/v1/auth/login",
                headers={"X-FieldArchive-Protocol": "1"},
                json={"username": "ann", "password": PASSWORD, "device_id": "d1", "device_name": "t"},
            )
            assert r.status_code == 200, r.text
        for f in data.iterdir():  # the database and its -wal and -shm files
            assert mode(f) == 0o600, (f, oct(mode(f)))
        assert {f.name for f in data.iterdir()} >= {db.name, db.name + "-wal"}
    finally:
        proc.stop()


def test_serve_refuses_a_database_others_can_read_and_says_how_to_fix_it(tmp_path) -> None:
    data = tmp_path / "server-data"
    assert admin(data, "user", "add", "ann", "--role", "collector").returncode == 0
    db = data / "fieldarchive-server.db"
    for loose in (0o644, 0o604, 0o620, 0o666):
        db.chmod(loose)
        line = serve_refused(data)
        assert f"chmod 600 {shlex.quote(str(db.resolve()))}" in line and f"{loose:04o}" in line, line
    # the command from the message, as the administrator would run it, lets the server start
    command = line.split("fix it with: ", 1)[1]
    subprocess.run(command, shell=True, check=True, timeout=10)
    assert mode(db) == 0o600
    proc = ServerProcess("", tmp_path, db_args=("--data", str(data)))
    proc.start()
    proc.stop()


def test_serve_refuses_a_folder_others_can_write_and_a_loose_wal_file(tmp_path) -> None:
    data = tmp_path / "server-data"
    assert admin(data, "user", "add", "ann", "--role", "collector").returncode == 0
    data.chmod(0o777)
    line = serve_refused(data)
    assert f"chmod 700 {shlex.quote(str(data.resolve()))}" in line, line
    data.chmod(0o700)
    wal = data / "fieldarchive-server.db-wal"
    wal.write_bytes(b"")
    wal.chmod(0o644)
    line = serve_refused(data)
    assert "-wal" in line and "chmod 600" in line and str(wal.resolve()) in line, line


def test_a_database_given_as_url_is_checked_too(tmp_path) -> None:
    assert admin(tmp_path / "first", "user", "add", "ann", "--role", "collector").returncode == 0
    db = tmp_path / "elsewhere.db"
    (tmp_path / "first" / "fieldarchive-server.db").rename(db)
    db.chmod(0o604)
    proc = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--database", f"sqlite:///{db}", "--port", str(free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and f"chmod 600 {db}" in proc.stderr, proc.stderr

"""Temporary files of an export never go to the system temp folder, and what a killed export leaves
(the sheet's plaintext XML in the profile's private tmp folder, the half-written workbook beside
the target) is removed at the next start. A real `python -m app export` of a real archive is killed
with SIGKILL midway (TMPDIR points to a folder of the test, which must stay empty)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app import scratch
from app.storage.profile import Profile
from tests.conftest import PASSPHRASE
from tests.forkserver import popen_app, run_app

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 22)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


@pytest.fixture
def big_archive(session) -> str:
    """An archive of some thousands of customers; returns one shop name that is in it."""
    from app.models.record import NewCustomer, Provenance, Source, new_id
    from app.services import records
    from app.services.demo import generate
    from app.validation import validate_values

    form, prov = session.form, Provenance("tester", Source.IMPORT, "t.xlsx", TODAY.isoformat())
    name = ""
    with session._archive.db.transaction() as tx:
        batch = []
        for v in generate(6000, seed=13, today=TODAY):
            name = name or v["shop_name"]
            r = validate_values(form, v, today=TODAY)
            batch.append(NewCustomer(new_id(), records.clean_values(r), records.quality(r)))
            if len(batch) == 500:
                session._archive.customers.insert(form, batch, prov, tx)
                batch = []
    return name


def app_env(home: Path, tmpdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDARCHIVE_")}
    env.update(
        FIELDARCHIVE_HOME=str(home),
        FIELDARCHIVE_PASSPHRASE=PASSPHRASE,
        PYTHONPATH=str(ROOT),
        TMPDIR=str(tmpdir),
        TEMP=str(tmpdir),
        TMP=str(tmpdir),
    )
    return env


def ours(folder: Path, suffix: str) -> list[Path]:
    return sorted(p for p in folder.glob(f"{scratch.PREFIX}*{suffix}") if p.is_file()) if folder.is_dir() else []


def kill_when(proc: Any, ready, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"the export ended (exit {proc.returncode}) before the moment to kill it: "
                + proc.stderr.read().decode(errors="replace")
            )
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            return
        time.sleep(0.005)
    proc.kill()
    proc.wait(10)
    raise AssertionError("the moment to kill the export never came")


def every_file(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def export(home: Path, tmpdir: Path, out: Path) -> Any:
    """A real ``python -m app export`` process (forked from the tests' zygote: tests/forkserver.py)."""
    return popen_app(["export", str(out)], env=app_env(home, tmpdir))


def next_start(home: Path, tmpdir: Path) -> None:
    r = run_app(["list", "--limit", "1"], env=app_env(home, tmpdir), cwd=ROOT)
    assert r.returncode == 0, r.stderr


def start_export(home: Path, tmp_path: Path) -> tuple[Path, Path, Path, Any]:
    """A real export in its own process, with its own system temp folder: (tmpdir, target, scratch, process)."""
    tmpdir, out = tmp_path / "system-tmp", tmp_path / "exports" / "customers.xlsx"
    tmpdir.mkdir()
    out.parent.mkdir()
    return tmpdir, out, Profile().scratch_dir, export(home, tmpdir, out)


def test_an_export_killed_while_writing_rows_leaves_nothing_in_tmpdir_and_nothing_after_the_next_start(
    home, tmp_path, big_archive
) -> None:
    tmpdir, out, private, proc = start_export(home, tmp_path)
    kill_when(proc, lambda: any(p.stat().st_size > 256 * 1024 for p in ours(private, ".xml")))
    assert every_file(tmpdir) == []  # nothing in the system temp folder
    leftovers = ours(private, ".xml")
    assert leftovers and big_archive.encode() in b"".join(p.read_bytes() for p in leftovers)  # plaintext
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in leftovers)
    assert stat.S_IMODE(private.stat().st_mode) == 0o700 and not out.exists()
    next_start(home, tmpdir)
    assert ours(private, "") == [] and every_file(tmpdir) == []
    assert [p for p in out.parent.iterdir()] == []


def test_an_export_killed_while_saving_the_workbook_leaves_nothing_after_the_next_start(
    home, tmp_path, big_archive
) -> None:
    tmpdir, out, private, proc = start_export(home, tmp_path)
    kill_when(proc, lambda: any(p.stat().st_size > 0 for p in ours(out.parent, ".xlsx")))
    beside = ours(out.parent, ".xlsx")
    assert beside and ours(private, scratch.MARKER) and every_file(tmpdir) == []
    assert not out.exists()
    next_start(home, tmpdir)
    assert ours(out.parent, "") == [] and ours(private, "") == [] and every_file(tmpdir) == []


def test_a_finished_export_leaves_no_temporary_file(home, tmp_path, session) -> None:
    from app.services import records
    from app.services.demo import generate
    from app.services.exporting import export_customers

    for v in generate(5, seed=3, today=TODAY):
        records.save_draft(session, v)
    out = tmp_path / "out" / "x.xlsx"
    out.parent.mkdir()
    assert export_customers(session._archive, session.form, out) == 5
    assert out.exists() and list(out.parent.iterdir()) == [out]
    assert ours(session._profile.scratch_dir, "") == []


def test_clean_keeps_the_files_of_a_running_process_and_only_names_it_made(tmp_path) -> None:
    folder = scratch.private_dir(tmp_path / "tmp")
    mine = scratch.new_file(folder, ".xml")  # this process is alive
    stranger = tmp_path / "notes.txt"
    stranger.write_text("keep")
    dead = 2**22 + 12345  # above Linux's default pid_max
    forged = folder / f"{scratch.PREFIX}{dead}-aaaa.where"
    forged.write_text(str(stranger))  # a marker naming a file we did not make
    old = folder / f"{scratch.PREFIX}{dead}-bbbb.xml"
    old.write_bytes(b"<x/>")
    assert scratch.clean(folder) == 1
    assert mine.exists() and stranger.read_text() == "keep" and not old.exists() and not forged.exists()


def test_a_backup_killed_midway_leaves_nothing_after_the_next_start(home, tmp_path, big_archive) -> None:
    tmpdir, out = tmp_path / "system-tmp", tmp_path / "usb" / "archive.fabak"
    tmpdir.mkdir()
    out.parent.mkdir()
    private = Profile().scratch_dir
    proc = popen_app(["backup", str(out)], env=app_env(home, tmpdir))
    kill_when(proc, lambda: bool(ours(out.parent, ".tmp")))
    assert ours(out.parent, ".tmp") and ours(private, scratch.MARKER) and every_file(tmpdir) == []
    assert not out.exists()
    next_start(home, tmpdir)
    assert list(out.parent.iterdir()) == [] and ours(private, "") == [] and every_file(tmpdir) == []

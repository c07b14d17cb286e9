"""The open checks beside the user (issue 21, "open ≤ 0.5 s: keep the checks as often as now, but
not in the user's way, and never let writes proceed on an archive whose checks failed"): the desktop
app's unlock returns before the HMAC and structure checks are done; reads work meanwhile; every write
waits for the checks and is refused, with the restore message, when they failed; the failure is
published to the UI once."""

from __future__ import annotations

import hashlib
import threading

import pytest

from app.errors import StorageError
from app.errors import StorageErrorKind as K
from app.services import records
from app.services import session as ss
from app.services.demo import generate
from app.services.events import IntegrityFailed
from app.storage import engine as engine_mod
from app.storage import opencheck as opencheck_mod
from app.storage.opencheck import OpenCheck
from tests.conftest import PASSPHRASE


@pytest.fixture
def closed_profile(session):
    for v in generate(300, seed=5, today=session.today()):
        records.save_draft(session, v)
    session.close()
    return session._profile


def digest(p) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def flip_last_page(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) - 5000] ^= 0x01  # a page that opening and the first reads do not touch
    path.write_bytes(bytes(data))


class Gate:
    """Holds the checks at their start (the checks' connection is made, nothing checked yet)."""

    def __init__(self, monkeypatch) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        real = engine_mod.integrity_problems

        def held(conn, quick=True, structure=True):
            self.started.set()
            assert self.release.wait(30)
            return real(conn, quick, structure)

        monkeypatch.setattr(opencheck_mod, "integrity_problems", held)


def test_unlock_returns_before_the_checks_and_reads_do_not_wait(closed_profile, monkeypatch) -> None:
    gate = Gate(monkeypatch)
    s = ss.unlock(passphrase=PASSPHRASE, background_check=True)
    try:
        assert gate.started.wait(30)
        check = s._archive.open_check
        assert check is not None and not check.done  # the checks are still running…
        assert s._archive.customers.count() == 300  # …and the archive reads meanwhile
        gate.release.set()
        assert s._archive.open_check_problems(30) == []
        records.save_draft(s, {"shop_name": "老王烟酒店"})  # the gate opened: writes proceed
        assert s._archive.customers.count() == 301
        assert s.integrity_error is None
    finally:
        gate.release.set()
        s.close()


def test_a_write_waits_for_the_checks(closed_profile, monkeypatch) -> None:
    gate = Gate(monkeypatch)
    s = ss.unlock(passphrase=PASSPHRASE, background_check=True)
    done = threading.Event()

    def write() -> None:
        records.save_draft(s, {"shop_name": "等待的店"})
        done.set()

    try:
        assert gate.started.wait(30)
        # the archive's connection belongs to one thread: the write runs on this one, the release on another
        threading.Timer(0.3, lambda: None if done.is_set() else gate.release.set()).start()
        write()
        assert gate.release.is_set()  # the write could only finish after the checks were let go
    finally:
        gate.release.set()
        s.close()


def test_a_damaged_archive_opens_for_reading_but_refuses_every_write(closed_profile) -> None:
    path = closed_profile.archive_path
    flip_last_page(path)
    tampered = digest(path)
    s = ss.unlock(passphrase=PASSPHRASE, background_check=True)
    told: list[IntegrityFailed] = []
    s.events.subscribe(IntegrityFailed, told.append)
    try:
        assert s._archive.open_check_problems(60)  # the HMAC pass found the flipped page
        for _ in range(2):  # every write, not only the first
            with pytest.raises(StorageError) as e:
                records.save_draft(s, {"shop_name": "不该写入"})
            assert e.value.kind is K.CORRUPT
            zh = e.value.message("zh_CN")
            assert str(closed_profile.backup_dir) in zh and "恢复" in zh
        assert s.integrity_error is not None and s.integrity_error.kind is K.CORRUPT
    finally:
        s.close()
    assert digest(path) == tampered  # nothing was written into it, not even at close
    # the same archive unlocked the way the command line does it: refused at once, as before
    with pytest.raises(StorageError) as e:
        ss.unlock(passphrase=PASSPHRASE)
    assert e.value.kind is K.CORRUPT


def test_the_failure_is_published_to_a_listener_that_was_there(closed_profile, monkeypatch) -> None:
    flip_last_page(closed_profile.archive_path)
    gate = Gate(monkeypatch)
    s = ss.unlock(passphrase=PASSPHRASE, background_check=True)
    told: list[IntegrityFailed] = []
    s.events.subscribe(IntegrityFailed, told.append)
    try:
        gate.release.set()
        assert s._archive.open_check_problems(60)
        assert len(told) == 1 and told[0].error.kind is K.CORRUPT
    finally:
        s.close()


def test_closing_while_the_checks_run_stops_them(closed_profile, monkeypatch) -> None:
    gate = Gate(monkeypatch)
    s = ss.unlock(passphrase=PASSPHRASE, background_check=True)
    assert gate.started.wait(30)
    check = s._archive.open_check
    threading.Timer(0.2, gate.release.set).start()
    s.close()  # waits for the checks' thread: nothing reads the file while close checkpoints into it
    assert check is not None and check.done
    assert not any(t.name == "archive-open-check" and t.is_alive() for t in threading.enumerate())
    s2 = ss.unlock(passphrase=PASSPHRASE)  # and the archive is whole
    assert s2._archive.integrity_problems() == []
    s2.close()


def test_a_wrong_file_is_a_problem_not_a_crash(tmp_path) -> None:
    bad = tmp_path / "x.db"
    bad.write_bytes(b"not a database" * 500)
    check = OpenCheck(bad, b"k" * 32, structure=True)
    assert check.problems(30)
    with pytest.raises(Exception) as e:
        check.require_ok()
    assert "corrupt" in str(e.value)

"""Where the data lives (platformdirs) and the one-time move of the old home folder (app/storage/relocate.py).

The platform folders are tmp folders given the way platformdirs reads them: XDG_* on Linux,
APPDATA / LOCALAPPDATA on Windows (its own environment-variable resolver, as on a Windows without
the shell API). Archives are real SQCipher files made and opened by the app's own session code."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import platformdirs.windows
import pytest

from app import paths
from app.services import records
from app.services import session as ss
from app.storage import backup as bk
from app.storage import relocate
from app.storage.profile import Profile
from tests.conftest import PASSPHRASE


@pytest.fixture
def windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """No --home nor $FIELDARCHIVE_HOME; Windows folders under tmp_path."""
    monkeypatch.delenv(paths.ENV_HOME, raising=False)
    monkeypatch.setattr(paths, "SYSTEM", "win32")
    monkeypatch.setattr(platformdirs.windows, "_RESOLVE_WIN_FOLDER", platformdirs.windows.get_win_folder_from_env_vars)
    roaming, local = tmp_path / "Roaming", tmp_path / "Local"
    monkeypatch.setenv("APPDATA", str(roaming))
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    return {"roaming": roaming, "local": local}


@pytest.fixture
def linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.delenv(paths.ENV_HOME, raising=False)
    monkeypatch.setattr(paths, "SYSTEM", "linux")
    dirs = {k: tmp_path / k for k in ("data", "config", "state")}
    for k, v in dirs.items():
        monkeypatch.setenv(f"XDG_{k.upper()}_HOME", str(v))
    return dirs


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def old_archive(settings: dict | None = None) -> tuple[str, str]:
    """A real archive with one record in the old home folder (paths.legacy_home()); its customer id."""
    paths.set_home(paths.legacy_home())
    try:
        s, _code = ss.create(passphrase=PASSPHRASE, actor="张三")
        c, _ = records.save_draft(s, {"shop_name": "搬家前"})
        archive_id = s._archive.meta.archive_id
        s.close()
        paths.settings_file().write_text(json.dumps(settings or {"server_url": "https://archive.example"}))
        (paths.log_dir()).mkdir(exist_ok=True)
        (paths.log_dir() / "fieldarchive.log").write_text("old log\n")
    finally:
        paths.set_home(None)
    return c.id, archive_id


def test_windows_layout_keeps_data_and_logs_out_of_the_roaming_profile(windows) -> None:
    assert paths.app_home() == windows["local"] / "FieldArchive"
    assert paths.profile_dir("default") == windows["local"] / "FieldArchive" / "profiles" / "default"
    assert paths.log_dir() == windows["local"] / "FieldArchive" / "Logs"
    assert paths.settings_file() == windows["roaming"] / "FieldArchive" / "settings.json"
    assert paths.legacy_home() == windows["roaming"] / "FieldArchive"


def test_linux_layout_follows_xdg(linux) -> None:
    assert paths.app_home() == linux["data"] / "FieldArchive"
    assert paths.settings_file() == linux["config"] / "FieldArchive" / "settings.json"
    assert paths.log_dir() == linux["state"] / "FieldArchive" / "log"


def test_home_given_keeps_everything_in_one_folder(windows, tmp_path, monkeypatch) -> None:
    paths.set_home(tmp_path / "one")
    assert {paths.app_home(), paths.settings_file().parent, paths.log_dir().parent} == {tmp_path / "one"}
    paths.set_home(None)
    monkeypatch.setenv(paths.ENV_HOME, str(tmp_path / "env"))
    assert {paths.app_home(), paths.settings_file().parent, paths.log_dir().parent} == {tmp_path / "env"}
    old_archive()  # an old folder exists, yet nothing moves when a home is given
    assert relocate.move_legacy_home().state == "none"


def test_windows_move_backs_up_first_and_moves_everything_once(windows) -> None:
    cid, archive_id = old_archive()
    legacy = paths.legacy_home()
    before = tree(legacy / "profiles")

    result = relocate.move_legacy_home()

    assert result.state == "moved" and sorted(result.moved) == ["logs", "profiles"]
    new_profile = windows["local"] / "FieldArchive" / "profiles" / "default"
    assert not (legacy / "profiles").exists() and not (legacy / "logs").exists()
    assert (legacy / "settings.json").exists()  # the settings' place did not change on Windows
    assert json.loads((legacy / relocate.NOTE).read_text())["moved"]["profiles"] == str(new_profile.parent)
    assert (windows["local"] / "FieldArchive" / "Logs" / "fieldarchive.log").read_text() == "old log\n"
    # every old file arrived unchanged; the only new file is the backup made before the move
    after = tree(new_profile.parent)
    assert {k: v for k, v in after.items() if k in before} == before
    [made] = result.backups
    assert set(after) - set(before) == {f"default/backups/{made.name}"}
    assert bk.read_header(new_profile / "backups" / made.name)["kind"] == "before-move"
    # the app finds the archive in its new place, and its settings
    s = ss.unlock(passphrase=PASSPHRASE)
    try:
        assert s._archive.customers.get(cid).values["shop_name"] == "搬家前"
    finally:
        s.close()
    from app.settings import Settings

    assert Settings().server_url == "https://archive.example"
    # the backup made before the move restores like any backup (on another machine, with the passphrase)
    elsewhere = Profile("default", windows["local"].parent / "restored")
    assert elsewhere.restore(new_profile / "backups" / made.name, PASSPHRASE) == archive_id
    # once only
    assert relocate.move_legacy_home().state == "none"


def test_a_failure_half_way_leaves_the_old_folder_in_use(windows, monkeypatch) -> None:
    cid, _ = old_archive()
    legacy = paths.legacy_home()
    copied = []

    def copy_then_fail(src: Path, dst: Path) -> None:  # the disk fills after two files
        def one(a: str, b: str) -> None:
            if len(copied) == 2:
                raise OSError(28, "No space left on device")
            copied.append(a)
            shutil.copy2(a, b)

        shutil.copytree(src, dst, copy_function=one) if src.is_dir() else one(str(src), str(dst))

    monkeypatch.setattr(relocate, "_copy", copy_then_fail)
    before = tree(legacy)

    result = relocate.move_legacy_home()

    assert result.state == "kept" and "No space left" in result.reason and len(copied) == 2
    after = tree(legacy)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing old changed or went
    assert set(after) - set(before) == {f"profiles/default/backups/{result.backups[0].name}"}
    local = windows["local"] / "FieldArchive"
    assert not local.exists() or not [p for p in local.rglob("*") if p.is_file()]  # no half copy left
    assert not (legacy / relocate.NOTE).exists()
    # this run works on the old folder as before
    assert paths.app_home() == legacy and paths.settings_file() == legacy / "settings.json"
    s = ss.unlock(passphrase=PASSPHRASE)
    c2, _ = records.save_draft(s, {"shop_name": "失败后"})
    s.close()
    # the next start moves it, with what this run added
    paths.set_home(None)
    monkeypatch.undo()
    monkeypatch.delenv(paths.ENV_HOME, raising=False)
    monkeypatch.setattr(paths, "SYSTEM", "win32")
    monkeypatch.setattr(platformdirs.windows, "_RESOLVE_WIN_FOLDER", platformdirs.windows.get_win_folder_from_env_vars)
    monkeypatch.setenv("APPDATA", str(windows["roaming"]))
    monkeypatch.setenv("LOCALAPPDATA", str(windows["local"]))
    assert relocate.move_legacy_home().state == "moved"
    assert paths.app_home() == local
    s = ss.unlock(passphrase=PASSPHRASE)
    try:
        assert {s._archive.customers.get(i).values["shop_name"] for i in (cid, c2.id)} == {"搬家前", "失败后"}
    finally:
        s.close()


def test_no_move_while_an_archive_has_an_unfinished_log_or_is_open(windows) -> None:
    old_archive()
    legacy = paths.legacy_home()
    wal = legacy / "profiles" / "default" / "archive.db-wal"
    wal.write_bytes(b"\0" * 32)  # what a crash leaves: only SQLCipher with the key can fold it in
    before = tree(legacy)
    result = relocate.move_legacy_home()
    assert result.state == "kept" and "write-ahead" in result.reason and tree(legacy) == before
    paths.set_home(None)
    wal.unlink()
    import subprocess
    import sys

    from app.instance_lock import ProfileLock

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (legacy / "profiles" / "default" / "fieldarchive.lock").write_text(json.dumps({"pid": other.pid}))
        assert ProfileLock("default", legacy / "profiles" / "default").owner()["pid"] == other.pid
        result = relocate.move_legacy_home()
        assert result.state == "kept" and f"process {other.pid}" in result.reason
    finally:
        other.kill()
        other.wait()


def test_linux_moves_settings_and_logs_and_leaves_the_data(linux) -> None:
    cid, _ = old_archive({"server_url": "https://linux.example"})
    legacy = paths.legacy_home()
    assert legacy == linux["data"] / "FieldArchive" == paths.app_home()
    result = relocate.move_legacy_home()
    assert result.state == "moved" and sorted(result.moved) == ["logs", "settings.json"]
    assert (linux["config"] / "FieldArchive" / "settings.json").exists() and not (legacy / "settings.json").exists()
    from app.settings import Settings

    assert Settings().server_url == "https://linux.example"
    s = ss.unlock(passphrase=PASSPHRASE)
    assert s._archive.customers.get(cid) is not None
    s.close()


def test_leftovers_of_an_interrupted_clean_up_are_removed_next_time(windows, monkeypatch) -> None:
    old_archive()
    legacy = paths.legacy_home()
    trash = legacy / (relocate.TRASH + "profiles")
    real = relocate._remove
    monkeypatch.setattr(
        relocate,
        "_remove",
        lambda p: (_ for _ in ()).throw(OSError(13, "in use")) if p == trash and p.exists() else real(p),
    )
    assert relocate.move_legacy_home().state == "moved"
    assert trash.exists() and not (legacy / "profiles").exists() and (legacy / relocate.NOTE).exists()
    monkeypatch.setattr(relocate, "_remove", real)
    assert relocate.move_legacy_home().state == "none"
    assert not trash.exists()
    ss.unlock(passphrase=PASSPHRASE).close()
    assert set(os.listdir(legacy)) == {relocate.NOTE, "settings.json"}


def test_an_old_folder_made_anew_after_the_move_is_left_alone(windows) -> None:
    old_archive()
    assert relocate.move_legacy_home().state == "moved"
    paths.set_home(None)
    old_archive()  # an older version started again and made an archive in the old place
    legacy = paths.legacy_home()
    before = tree(legacy)
    assert relocate.move_legacy_home().state == "none" and tree(legacy) == before


def test_the_app_moves_the_old_folder_at_start(linux, tmp_path) -> None:
    """The real command line in its own process, with no home given: it moves, then works."""
    import subprocess
    import sys

    cid, _ = old_archive({"server_url": "https://start.example", "ui_language": "en"})
    env = {k: v for k, v in os.environ.items() if k != paths.ENV_HOME}
    env.update({f"XDG_{k.upper()}_HOME": str(v) for k, v in linux.items()})
    env.update({"HOME": str(tmp_path), "FIELDARCHIVE_PASSPHRASE": PASSPHRASE})
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "app", "list", "--json"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert cid in proc.stdout
    config = linux["config"] / "FieldArchive" / "settings.json"
    assert json.loads(config.read_text())["server_url"] == "https://start.example"
    assert not (linux["data"] / "FieldArchive" / "settings.json").exists()
    log = (linux["state"] / "FieldArchive" / "log" / "fieldarchive.log").read_text()
    assert log.startswith("old log\n") and "old home folder: moved" in log


def test_a_start_stopped_before_the_note_is_finished_by_the_next(windows, monkeypatch) -> None:
    cid, _ = old_archive()
    legacy = paths.legacy_home()

    def killed(*_a, **_k):  # the process is killed after the copies are in place, before the note
        raise KeyboardInterrupt

    monkeypatch.setattr(relocate.paths, "atomic_write", killed)
    with pytest.raises(KeyboardInterrupt):
        relocate.move_legacy_home()
    monkeypatch.undo()
    paths.set_home(None)
    monkeypatch.delenv(paths.ENV_HOME, raising=False)
    monkeypatch.setattr(paths, "SYSTEM", "win32")
    monkeypatch.setattr(platformdirs.windows, "_RESOLVE_WIN_FOLDER", platformdirs.windows.get_win_folder_from_env_vars)
    monkeypatch.setenv("APPDATA", str(windows["roaming"]))
    monkeypatch.setenv("LOCALAPPDATA", str(windows["local"]))
    assert (legacy / "profiles").exists() and (windows["local"] / "FieldArchive" / "profiles").exists()
    assert not (legacy / relocate.NOTE).exists()
    result = relocate.move_legacy_home()
    assert result.state == "moved" and not (legacy / "profiles").exists() and (legacy / relocate.NOTE).exists()
    assert result.backups == []  # the first run's backup was copied with the rest
    assert (
        len(list((windows["local"] / "FieldArchive" / "profiles" / "default" / "backups").glob("before-move-*"))) == 1
    )
    s = ss.unlock(passphrase=PASSPHRASE)
    try:
        assert s._archive.customers.get(cid) is not None
    finally:
        s.close()


def test_different_data_in_both_places_is_left_alone(windows) -> None:
    old_archive()
    legacy = paths.legacy_home()
    other = windows["local"] / "FieldArchive" / "profiles" / "default"
    other.mkdir(parents=True)
    (other / "something.txt").write_text("not the same")
    before = tree(legacy)
    result = relocate.move_legacy_home()
    assert result.state == "kept" and "both" in result.reason
    assert tree(legacy) == before and (other / "something.txt").read_text() == "not the same"
    assert paths.app_home() == legacy

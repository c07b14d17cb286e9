"""`make run` on Linux: the system libraries Qt's xcb platform needs, and what to install (issue 16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app import syscheck

ROOT = Path(__file__).resolve().parents[2]


def test_every_missing_library_is_named_with_the_apt_command(home) -> None:
    present = {
        "xcb-icccm",
        "xcb-image",
        "EGL",
        "GL",
        "fontconfig",
        "dbus-1",
        "xcb-keysyms",
        "xcb-render-util",
        "xcb-xkb",
    }
    missing = syscheck.missing_packages(lambda lib: lib in present)
    assert missing == ["libxcb-cursor0", "libxkbcommon-x11-0"]
    text = syscheck.report(missing)
    assert "sudo apt install libxcb-cursor0 libxkbcommon-x11-0" in text and "系统库" in text
    assert syscheck.missing_packages(lambda lib: True) == []


def test_the_check_covers_the_libraries_qt_xcb_needs() -> None:
    assert {
        "libxcb-cursor0",
        "libxcb-icccm4",
        "libxcb-image0",
        "libxcb-keysyms1",
        "libxcb-render-util0",
        "libxcb-xkb1",
        "libxkbcommon-x11-0",
        "libegl1",
        "libgl1",
        "libfontconfig1",
        "libdbus-1-3",
    } == set(syscheck.XCB_PACKAGES)


def test_the_real_finder_finds_a_library_every_system_has_and_not_an_invented_one() -> None:
    found = syscheck.make_finder()
    if sys.platform.startswith("linux"):
        assert found("c")
    assert not found("fieldarchive-no-such-library-xyz")


def test_skipped_off_linux_and_when_qt_draws_offscreen() -> None:
    assert syscheck.needs_check("linux", {})
    assert syscheck.needs_check("linux", {"QT_QPA_PLATFORM": "xcb"})
    assert not syscheck.needs_check("linux", {"QT_QPA_PLATFORM": "offscreen"})
    assert not syscheck.needs_check("win32", {})
    assert not syscheck.needs_check("darwin", {})


def test_the_command_exits_cleanly_offscreen(home) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.syscheck"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"QT_QPA_PLATFORM": "offscreen", "FIELDARCHIVE_HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0 and done.stderr == ""


def test_the_makefile_runs_the_check_before_the_app() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert run.index("-m app.syscheck") < run.index("-m app $(ARGS)")


def test_the_installed_plugin_is_checked_with_ldd_and_each_missing_soname_named_by_its_package() -> None:
    """What ldd says the real libqxcb.so / libQt6XcbQpa lack, mapped to packages; nothing invented."""
    paths = syscheck.qt_xcb_libraries()
    if not sys.platform.startswith("linux"):
        return
    assert paths and paths[0].name == "libqxcb.so"
    sonames = syscheck.ldd_not_found(paths)
    assert sonames is not None
    out = subprocess.run(["ldd", str(paths[-1])], capture_output=True, text=True).stdout
    for name in sonames:
        assert (
            f"{name} => not found" in out
            or name in subprocess.run(["ldd", str(paths[0])], capture_output=True, text=True).stdout
        )
    assert syscheck.missing_packages() == [syscheck.SONAME_PACKAGES.get(n, n) for n in sonames]
    assert syscheck.ldd_not_found([Path("/bin/sh")]) == []  # a program with all its libraries

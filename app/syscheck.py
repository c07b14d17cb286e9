"""``python -m app.syscheck``: before the desktop app starts on Linux (``make run``), check that the
system libraries Qt's xcb platform plugin needs are installed, and say which to install (an apt
command) instead of Qt's "could not load the Qt platform plugin xcb" abort.

Skipped on other systems and when ``QT_QPA_PLATFORM`` is offscreen/minimal (tests, servers) or
wayland. Exit status 1 when something is missing (the message says what), 0 otherwise."""
from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
from typing import Callable

from app.i18n import _, set_language

# Debian/Ubuntu package → the library it provides (as ctypes.util.find_library names it).
XCB_PACKAGES: dict[str, str] = {
    "libxcb-cursor0": "xcb-cursor",
    "libxcb-icccm4": "xcb-icccm",
    "libxcb-image0": "xcb-image",
    "libxcb-keysyms1": "xcb-keysyms",
    "libxcb-render-util0": "xcb-render-util",
    "libxcb-xinerama0": "xcb-xinerama",
    "libxcb-xkb1": "xcb-xkb",
    "libxkbcommon-x11-0": "xkbcommon-x11",
    "libegl1": "EGL",
    "libgl1": "GL",
    "libfontconfig1": "fontconfig",
    "libdbus-1-3": "dbus-1",
}
HEADLESS = ("offscreen", "minimal", "vnc", "wayland", "eglfs", "linuxfb")


def ldconfig_names() -> set[str]:
    """Sonames the dynamic linker knows (``ldconfig -p``), e.g. ``libxcb-cursor.so.0``; empty if unavailable."""
    for exe in ("ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"):
        try:
            out = subprocess.run([exe, "-p"], capture_output=True, text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        return {line.split()[0] for line in out.splitlines()[1:] if line.strip()}
    return set()


def make_finder() -> Callable[[str], bool]:
    known = ldconfig_names()

    def found(lib: str) -> bool:
        if any(name.startswith(f"lib{lib}.so") for name in known):
            return True
        return ctypes.util.find_library(lib) is not None

    return found


def missing_packages(found: Callable[[str], bool] | None = None) -> list[str]:
    """The packages of :data:`XCB_PACKAGES` whose library is not found."""
    found = found or make_finder()
    return [pkg for pkg, lib in XCB_PACKAGES.items() if not found(lib)]


def needs_check(platform: str | None = None, environ: dict[str, str] | None = None) -> bool:
    platform = platform or sys.platform
    env = os.environ if environ is None else environ
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    return platform.startswith("linux") and qpa not in HEADLESS


def report(missing: list[str]) -> str:
    return _("The desktop app needs these system libraries, which are not installed: {packages}\n"
             "Install them with:\n    sudo apt install {packages}\n"
             "(on other distributions, install the packages that provide the same libraries) and run it again."
             ).format(packages=" ".join(missing))


def main(argv: list[str] | None = None) -> int:
    from app.settings import Settings
    try:
        set_language(Settings().ui_language)
    except Exception:  # settings unreadable: the default language
        pass
    if not needs_check():
        return 0
    missing = missing_packages()
    if missing:
        print(report(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

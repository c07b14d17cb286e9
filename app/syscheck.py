"""``python -m app.syscheck``: before the desktop app starts on Linux (``make run``), check that the
system libraries Qt's xcb platform plugin needs are installed, and say which to install (an apt
command) instead of Qt's "could not load the Qt platform plugin xcb" abort.

Skipped on other systems and when ``QT_QPA_PLATFORM`` is offscreen/minimal (tests, servers) or
wayland. Exit status 1 when something is missing (the message says what), 0 otherwise."""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from app.i18n import _, set_language
from app.settings import Settings

# Debian/Ubuntu package → the library it provides (as ctypes.util.find_library names it): the
# fallback list where ``ldd`` of the installed plugin cannot be run (Qt 6's xcb plugin needs no xinerama).
XCB_PACKAGES: dict[str, str] = {
    "libxcb-cursor0": "xcb-cursor",
    "libxcb-icccm4": "xcb-icccm",
    "libxcb-image0": "xcb-image",
    "libxcb-keysyms1": "xcb-keysyms",
    "libxcb-render-util0": "xcb-render-util",
    "libxcb-xkb1": "xcb-xkb",
    "libxkbcommon-x11-0": "xkbcommon-x11",
    "libegl1": "EGL",
    "libgl1": "GL",
    "libfontconfig1": "fontconfig",
    "libdbus-1-3": "dbus-1",
}
# a shared library (soname) that ``ldd`` reports "not found" → the Debian/Ubuntu package that has it
SONAME_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
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


def qt_xcb_libraries() -> list[Path]:
    """The installed xcb platform plugin and the Qt library it loads (without importing PySide6)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return []
    qt = Path(list(spec.submodule_search_locations)[0]) / "Qt"
    return [p for p in (qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6") if p.exists()]


def ldd_not_found(paths: list[Path]) -> list[str] | None:
    """The sonames ``ldd`` cannot resolve for ``paths`` (in order, once each); None when ldd cannot run."""
    missing: list[str] = []
    for path in paths:
        try:
            out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=20, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        for line in out.splitlines():
            name, _sep, where = line.strip().partition("=>")
            if "not found" in where and name.strip() not in missing:
                missing.append(name.strip())
    return missing


def missing_packages(found: Callable[[str], bool] | None = None) -> list[str]:
    """The packages to install. Without ``found``: what ``ldd`` says the installed plugin lacks (each
    soname mapped to its package, an unknown one named as it is), else :data:`XCB_PACKAGES` whose
    library is not found."""
    if found is None:
        paths = qt_xcb_libraries()
        sonames = ldd_not_found(paths) if paths else None
        if sonames is not None:
            return [SONAME_PACKAGES.get(name, name) for name in sonames]
        found = make_finder()
    return [pkg for pkg, lib in XCB_PACKAGES.items() if not found(lib)]


def needs_check(platform: str | None = None, environ: dict[str, str] | None = None) -> bool:
    platform = platform or sys.platform
    env = os.environ if environ is None else environ
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    return platform.startswith("linux") and qpa not in HEADLESS


def report(missing: list[str]) -> str:
    return _(
        "The desktop app needs these system libraries, which are not installed: {packages}\n"
        "Install them with:\n    sudo apt install {packages}\n"
        "(on other distributions, install the packages that provide the same libraries) and run it again."
    ).format(packages=" ".join(missing))


def main(argv: list[str] | None = None) -> int:
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

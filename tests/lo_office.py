"""A headless LibreOffice reached through UNO, for the helper scripts tests/lo_password.py and
tests/lo_typing.py (run by the system Python that has LibreOffice's ``uno`` module, python3-uno, not the
project's venv; they import this module as their sibling).

``with office(profile) as (ctx, desktop):`` starts soffice with its own user profile and a private pipe,
connects (up to a minute for the first start of a fresh profile) and, on leaving, waits for the office
to end (killed after 30 s). ``NoOffice.code``: 3 the office ended before it answered, 4 it never answered.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class NoOffice(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"LibreOffice did not answer (exit code {code})")
        self.code = code


def prop(name: str, value: object) -> Any:
    from com.sun.star.beans import PropertyValue

    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def url(path: str) -> str:
    import uno

    return uno.systemPathToFileUrl(os.path.abspath(path))


@contextmanager
def office(profile: str) -> Iterator[tuple[Any, Any]]:
    """(component context, desktop) of a new headless office."""
    import uno

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    pipe = f"fa-{uuid.uuid4().hex}"
    proc = subprocess.Popen(
        [
            exe or "soffice",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        ctx = None
        for _ in range(300):  # up to a minute for the first start of a fresh profile
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if proc.poll() is not None:
                    raise NoOffice(3) from None
                time.sleep(0.2)
        if ctx is None:
            raise NoOffice(4)
        yield ctx, ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    finally:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def open_hidden(desktop: Any, path: str) -> Any:
    return desktop.loadComponentFromURL(url(path), "_blank", 0, (prop("Hidden", True),))


def close(doc: Any, desktop: Any) -> None:
    """Close the document and end the office (it may already be going away: the file is saved)."""
    for step in (lambda: doc.close(True), desktop.terminate):
        try:
            step()
        except Exception:
            pass

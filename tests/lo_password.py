"""Save a copy of a workbook with an opening password, as LibreOffice Calc does (headless, through UNO).

Run by the system Python that has LibreOffice's ``uno`` module (python3-uno), not the project's venv:
``/usr/bin/python3 tests/lo_password.py IN OUT PROFILE_DIR FILTER PASSWORD``. With FILTER ``MS Excel 97``
it writes an encrypted .xls (BIFF8 with a FILEPASS record after the globals' BOF), what Save As with
"Save with password" does. ``soffice --convert-to`` cannot set a password (a filter option
``{"Password": …}`` is ignored: the file comes out plain), and msoffcrypto-tool encrypts only OOXML.
(Calc 7.4 given ``Calc MS Excel 2007 XML`` and a password writes a plain .xlsx: the tests encrypt
their .xlsx with msoffcrypto-tool.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid


def main(src: str, out: str, profile: str, filter_name: str, password: str) -> int:
    import uno
    from com.sun.star.beans import PropertyValue

    def prop(name: str, value: object) -> PropertyValue:
        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    pipe = f"fa-{uuid.uuid4().hex}"
    proc = subprocess.Popen(
        [
            exe,
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
                    return 3
                time.sleep(0.2)
        if ctx is None:
            return 4
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0, (prop("Hidden", True),)
        )
        doc.storeToURL(
            uno.systemPathToFileUrl(os.path.abspath(out)), (prop("FilterName", filter_name), prop("Password", password))
        )
        for step in (lambda: doc.close(True), desktop.terminate):
            try:
                step()
            except Exception:  # the office may already be going away: the file is saved
                pass
    finally:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))

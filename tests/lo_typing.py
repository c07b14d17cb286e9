"""Type into a workbook as a person does, in LibreOffice (headless, through UNO), and save it as .xlsx.

Run by the system Python that has LibreOffice's ``uno`` module (python3-uno), not the project's venv:
``/usr/bin/python3 tests/lo_typing.py IN.xlsx OUT.xlsx PROFILE_DIR '[[col, row, "text"], ...]'`` (0-based
column and row of the first sheet). ``.uno:EnterString`` on the selected cell is what typing and Enter do:
the text is interpreted with the cell's number format (a Text cell keeps digits as text, a General cell
makes a number). (``XCell.setFormula`` is not: it ignores a Text format.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid


def main(src: str, out: str, profile: str, edits: str) -> int:
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
        sheet = doc.Sheets.getByIndex(0)
        controller = doc.getCurrentController()
        frame = controller.getFrame()
        dispatcher = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
        for col, row, text in json.loads(edits):
            controller.select(sheet.getCellByPosition(col, row))
            dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", text),))
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)), (prop("FilterName", "Calc MS Excel 2007 XML"),))
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
    sys.exit(main(*sys.argv[1:5]))

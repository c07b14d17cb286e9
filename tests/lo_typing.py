"""Type into a workbook as a person does, in LibreOffice (headless, through UNO), and save it as .xlsx.

Run by the system Python that has LibreOffice's ``uno`` module (python3-uno), not the project's venv:
``/usr/bin/python3 tests/lo_typing.py IN.xlsx OUT.xlsx PROFILE_DIR '[[col, row, "text"], ...]'`` (0-based
column and row of the first sheet). ``.uno:EnterString`` on the selected cell is what typing and Enter do:
the text is interpreted with the cell's number format (a Text cell keeps digits as text, a General cell
makes a number). (``XCell.setFormula`` is not: it ignores a Text format.)
"""

from __future__ import annotations

import json
import sys

from lo_office import NoOffice, close, office, open_hidden, prop, url


def main(src: str, out: str, profile: str, edits: str) -> int:
    try:
        with office(profile) as (ctx, desktop):
            doc = open_hidden(desktop, src)
            sheet = doc.Sheets.getByIndex(0)
            controller = doc.getCurrentController()
            frame = controller.getFrame()
            dispatcher = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
            for col, row, text in json.loads(edits):
                controller.select(sheet.getCellByPosition(col, row))
                dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", text),))
            doc.storeToURL(url(out), (prop("FilterName", "Calc MS Excel 2007 XML"),))
            close(doc, desktop)
    except NoOffice as exc:
        return exc.code
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))

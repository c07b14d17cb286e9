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

import sys

from lo_office import NoOffice, close, office, open_hidden, prop, url


def main(src: str, out: str, profile: str, filter_name: str, password: str) -> int:
    try:
        with office(profile) as (_ctx, desktop):
            doc = open_hidden(desktop, src)
            doc.storeToURL(url(out), (prop("FilterName", filter_name), prop("Password", password)))
            close(doc, desktop)
    except NoOffice as exc:
        return exc.code
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))

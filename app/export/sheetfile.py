"""The file under an incoming spreadsheet: what it is, told by its first bytes, and why it cannot be read.

``sniff`` names the format (xlsx, xls, ods, xlsb or csv) or refuses the file with a ``SheetError``
whose message (i18n) says what to do (missing, empty, password-protected, not a spreadsheet,
damaged); a CSV file's encoding is detected (``csv_encoding``) and its rows read (``csv_rows``);
``open_calamine`` opens the others; ``active_sheet`` finds the sheet the file opens on. The reader
(app/export/reading.py) and the streamed .xlsx reader (app/export/xlsx_stream.py) build on it.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import mmap
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import python_calamine as pc

from app.errors import UserFacingError
from app.i18n import N_

EXACT = 2**53
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
XML_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XML_NS = XML_MAIN[1:]  # as expat names it: "namespace}local"
CHUNK = 1 << 16
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


_SNIFF = 1 << 20
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv")


class SheetError(UserFacingError):
    """The file cannot be read as a spreadsheet; the message (i18n) says why and what to do."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid, **params)


MSG_MISSING = N_("{file} does not exist.")
MSG_EMPTY = N_("{file} is empty (0 bytes). Choose the saved spreadsheet, not a new empty file.")
MSG_PASSWORD = N_(
    "{file} is protected by a password. Open it in Excel or WPS, remove the password "
    "(File → Info → Protect Workbook → Encrypt with Password), save a copy and import that copy."
)
MSG_NOT_SHEET = N_(
    "{file} is not a spreadsheet that can be read (perhaps a renamed file of another kind). "
    "Save it from Excel, WPS or LibreOffice as .xlsx, .xls, .ods or .csv and import it again."
)
MSG_DAMAGED = N_(
    "{file} is damaged or not complete and cannot be read. Open it in Excel or WPS, save it "
    "again as .xlsx and import that file."
)
MSG_ENCODING = N_(
    "{file}: the text is neither UTF-8 nor GBK/GB18030. Save the CSV file again as “CSV UTF-8” and import it again."
)
MSG_NO_SHEET = N_("{file} has no worksheet.")
MSG_NO_HEADER = N_(
    "Sheet “{sheet}” of {file}: no header row was found in its first {rows} rows. The column "
    "names (field labels such as 店铺名称, 联系电话（手机）) must be in one row above the data, "
    "within the first {rows} rows."
)
MSG_UNKNOWN_SHEET = N_("{file} has no sheet named “{sheet}”; its sheets are: {sheets}.")
MSG_EMPTY_SHEET = N_("Sheet “{sheet}” of {file} is empty.")


# -- format detection --------------------------------------------------------------------------------
def sniff(path: Path) -> str:
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise SheetError(MSG_MISSING, file=path.name) from None
    except OSError:
        raise SheetError(MSG_NOT_SHEET, file=path.name) from None
    if size == 0:
        raise SheetError(MSG_EMPTY, file=path.name)
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "xl/workbook.xml" in names:
                    return "xlsx"
                if "xl/workbook.bin" in names:
                    return "xlsb"
                if "content.xml" in names and (
                    "mimetype" not in names or b"opendocument.spreadsheet" in z.read("mimetype")
                ):
                    return "ods"
        except (zipfile.BadZipFile, OSError, KeyError, ValueError):
            raise SheetError(MSG_DAMAGED, file=path.name) from None
        raise SheetError(MSG_NOT_SHEET, file=path.name)
    if head == _OLE:
        if _has_encryption_stream(path) or _xls_has_filepass(path):
            raise SheetError(MSG_PASSWORD, file=path.name)
        return "xls"
    # a .csv/.txt/.tsv, or a file without any extension (an upload read from memory), may be text
    if (path.suffix.lower() in _TEXT_SUFFIXES or not path.suffix) and _looks_like_text(path):
        return "csv"
    raise SheetError(MSG_NOT_SHEET, file=path.name)


def _has_encryption_stream(path: Path) -> bool:
    """An encrypted .xlsx is an OLE2 (CFB) file whose directory names an "EncryptionInfo" stream."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(_ENCRYPTION_INFO) >= 0


#: BIFF8's BOF record of the workbook globals (type 0x0809, 16 bytes: version 0x0600, substream 0x0005).
_XLS_GLOBALS_BOF = b"\x09\x08\x10\x00\x00\x06\x05\x00"
_XLS_FILEPASS = b"\x2f\x00"


def _xls_has_filepass(path: Path) -> bool:
    """An .xls saved with an opening password (Excel, WPS, LibreOffice): the FILEPASS record (type 0x002F)
    follows the BOF record of the workbook globals, which open the Workbook stream ([MS-XLS] 2.4.117), found
    by scanning the file's first 256 KB. calamine says so for a file named .xls, but not for one read from
    memory (an .et, a misnamed file): it then tries every format and reports only that none fits."""
    with open(path, "rb") as f:
        data = f.read(256 * 1024)
    i = data.find(_XLS_GLOBALS_BOF, 512)
    return i >= 0 and data[i + 20 : i + 22] == _XLS_FILEPASS


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as f:
        sample = f.read(64 * 1024)
    if sample.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in sample:
        return False
    return _decodes(sample, "utf-8") or _decodes(sample, "gb18030")


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        return False


def csv_encoding(path: Path) -> str:
    with open(path, "rb") as f:
        sample = f.read(_SNIFF)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample, "gb18030"):  # a superset of GBK and GB2312
        return "gb18030"
    raise SheetError(MSG_ENCODING, file=path.name)


def csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    try:
        with open(path, encoding=encoding, newline="") as f:
            sample = f.read(64 * 1024)
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
            except csv.Error:
                dialect = csv.excel
            f.seek(0)
            for n, row in enumerate(csv.reader(f, dialect), start=1):
                yield n, [v if v.strip() else None for v in row]
    except UnicodeDecodeError:
        raise SheetError(MSG_ENCODING, file=path.name) from None
    except csv.Error:
        raise SheetError(MSG_DAMAGED, file=path.name) from None


_SUFFIX_KIND = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods", ".xlsb": "xlsb"}


def open_calamine(path: Path, kind: str) -> Any:
    try:
        if _SUFFIX_KIND.get(path.suffix.lower()) == kind:
            return pc.CalamineWorkbook.from_path(str(path))  # calamine picks its reader by the name
        with open(path, "rb") as f:  # .et, or a misnamed file: by content
            data = f.read()
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise SheetError(MSG_PASSWORD, file=path.name) from None
    except (pc.CalamineError, OSError, ValueError) as exc:
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise SheetError(MSG_PASSWORD, file=path.name) from None
        raise SheetError(MSG_DAMAGED, file=path.name) from None


# -- the sheet the file opens on -----------------------------------------------------------------------
def active_sheet(path: Path, kind: str, names: list[str]) -> str | None:
    try:
        if kind == "xlsx":
            return _xlsx_active(path)
        if kind == "ods":
            return _ods_active(path)
        if kind == "xls":
            i = _xls_active_index(path)
            return names[i] if i is not None and 0 <= i < len(names) else None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, ET.ParseError):
        return None
    return None


def _xlsx_active(path: Path) -> str | None:
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("xl/workbook.xml"))
    view = root.find(f"{XML_MAIN}bookViews/{XML_MAIN}workbookView")
    tab = int(view.get("activeTab", "0")) if view is not None else 0
    sheets = root.findall(f"{XML_MAIN}sheets/{XML_MAIN}sheet")
    return sheets[tab].get("name") if 0 <= tab < len(sheets) else None


_ACTIVE_TABLE = re.compile(rb'config:name="ActiveTable"[^>]*>([^<]*)<')


def _ods_active(path: Path) -> str | None:
    with zipfile.ZipFile(path) as z:
        if "settings.xml" not in z.namelist():
            return None
        m = _ACTIVE_TABLE.search(z.read("settings.xml"))
    if not m:
        return None
    return html.unescape(m.group(1).decode("utf-8"))


def _xls_active_index(path: Path) -> int | None:
    """itabCur of the WINDOW1 record (type 0x003D, 18 bytes) in the workbook globals, which come first
    in the Workbook stream: the first such record in the file's first 256 KB."""
    with open(path, "rb") as f:
        data = f.read(256 * 1024)
    i = data.find(b"\x3d\x00\x12\x00", 512)
    if i < 0:
        return None
    return int.from_bytes(data[i + 4 + 10 : i + 4 + 12], "little")

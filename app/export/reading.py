"""The one reader of incoming spreadsheets (client import, ``validate``/``import``, the server's imports).

Formats: .xlsx/.xlsm/.xlsb, .xls (Excel 97–2003, and the .xls/.et files WPS writes in that
format), .ods (LibreOffice) through python-calamine; .csv (and .txt) in UTF-8 with or without
BOM, UTF-16 with BOM, GBK/GB18030 (detected). The format is told by the file's first bytes, not
its name, so a renamed file is either read for what it is or refused with a clear message.

Cells keep their type: ``str``, ``int`` (a number cell holding a whole number below 2^53, which
a double stores exactly), ``float`` (any other number, including whole numbers at or above 2^53:
their last digits may be lost), ``date``/``datetime``, ``bool``; blank cells are ``None``. The
validation step decides what a number means in its column (app.validation.sheetmap.sheet_value);
nothing here turns a float into text.

Which sheet: ``open_book`` lists the worksheets, the active one (the sheet the file opens on:
``activeTab`` of workbook.xml for xlsx/xlsm, ``ActiveTable`` in settings.xml for ods, the
WINDOW1 record's ``itabCur`` for xls, found by scanning the start of the file; xlsb: none) and,
per sheet, where its header row is: the row among the first ``HEADER_SCAN`` rows whose cells the
caller's ``score`` recognises most (at least ``MIN_SCORE``; the first non-blank row also counts
with one).

Memory: calamine holds a whole sheet (about 5 KB a row of 80 columns: 500 MB peak for 100k rows),
so an .xlsx/.xlsm larger than ``STREAM_BYTES`` (32 MB, some 140k such rows) is read by
``XlsxStream`` instead: the sheet's XML is read a chunk at a time and cut into rows and cells
(str.find/split and regular expressions for the usual sheet, expat for any other), giving the
same typed rows (tests compare them) in nearly flat memory, but 1.7–2.2x slower than calamine's read
(100k rows: 30.8–38.7 s against 17.9–18.3 s on a loaded machine, bench.sheets 2026-12-06; it was
2.5–3.4x before a row of plainly written cells was cut by one regular expression). A CSV is streamed too. .xls/.ods/.xlsb files are read by calamine whatever their size.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import mmap
import os
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

import python_calamine as pc

from app.errors import UserFacingError
from app.i18n import N_

#: File types offered by the open dialogs (the reader tells the format by content).
EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".et", ".ods", ".csv", ".txt")
HEADER_SCAN = 10
MIN_SCORE = 2
EXACT = 2**53
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS = _MAIN[1:]  # as expat names it: "namespace}local"
_CHUNK = 1 << 16
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
#: An .xlsx/.xlsm above this size is streamed row by row (nearly flat memory) instead of read by
#: calamine, which holds the whole sheet: measured on 100k rows x 77 columns (22.9 MB), the dry
#: run's peak 500 MB through calamine, 116 MB streamed (20k rows: 150 and 79 MB); the reader alone
#: 18.3 s against 30.8 s streamed (bench.sheets, 2026-12-06, loaded machine). 32 MB (some 140k such
#: rows, ~650 MB with calamine) keeps the usual files fast and caps the memory of the huge ones.
STREAM_BYTES = int(os.environ.get("FIELDARCHIVE_STREAM_XLSX_BYTES", 32 * 2**20))
_SNIFF = 1 << 20
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv")

Score = Callable[[Sequence[Any]], int]


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


@dataclass
class Table:
    """One sheet: its header (as text), where it is, and its data rows as (sheet row number, values)."""

    name: str
    header: list[str]
    header_row: int  # 1-based row number in the sheet
    estimated_rows: int
    _rows: Iterator[tuple[int, list[Any]]] = field(repr=False, default_factory=lambda: iter(()))

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        return self._rows


@dataclass
class SheetInfo:
    name: str
    visible: bool
    active: bool
    header_row: int = 0  # 0: no header found
    has_rows: bool = False  # a non-blank row below the header
    has_content: bool = False  # any non-blank cell

    @property
    def has_data(self) -> bool:
        return self.header_row > 0 and self.has_rows


def _cells(row: list[Any]) -> list[Any]:
    """calamine's row: "" → None, a whole float below 2^53 → int (one comprehension: no per-cell stores)."""
    return [
        (v or None) if type(v) is str else int(v) if type(v) is float and v.is_integer() and -EXACT < v < EXACT else v
        for v in row
    ]


def _blank(values: Sequence[Any]) -> bool:
    return all(v is None or (type(v) is str and not v.strip()) for v in values)


def header_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


class Book:
    """An opened workbook (or CSV file). ``kind``: xlsx, xls, ods, xlsb or csv."""

    def __init__(self, path: Path, score: Score) -> None:
        self.path, self.score = Path(path), score
        self.kind = sniff(self.path)
        self._cache: dict[str, list[tuple[int, list[Any]]]] = {}
        self._wb: Any = None
        self._loaded: dict[str, Any] = {}
        self._csv_encoding = ""
        self._stream: XlsxStream | None = None
        if self.kind == "csv":
            self._csv_encoding = _csv_encoding(self.path)
            self.sheets = [SheetInfo(self.path.stem, True, True)]
        elif self.kind == "xlsx" and self.path.stat().st_size > STREAM_BYTES:
            self._stream = XlsxStream(self.path)
            active = _active_sheet(self.path, self.kind, [])
            self.sheets = [SheetInfo(name, visible, name == active) for name, visible in self._stream.sheets]
            if not self.sheets:
                raise SheetError(MSG_NO_SHEET, file=self.path.name)
            if not any(s.active for s in self.sheets):
                next((s for s in self.sheets if s.visible), self.sheets[0]).active = True
        else:
            self._wb = _open_calamine(self.path, self.kind)
            meta = [m for m in self._wb.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet]
            active = _active_sheet(self.path, self.kind, self._wb.sheet_names)
            if not meta:
                raise SheetError(MSG_NO_SHEET, file=self.path.name)
            self.sheets = [SheetInfo(m.name, m.visible == pc.SheetVisibleEnum.Visible, m.name == active) for m in meta]
            if not any(s.active for s in self.sheets):
                first_visible = next((s for s in self.sheets if s.visible), self.sheets[0])
                first_visible.active = True
        for info in self.sheets:
            self._survey(info)

    # -- which sheets hold data --------------------------------------------------------------------
    def _head(self, name: str) -> list[tuple[int, list[Any]]]:
        """The rows among the first HEADER_SCAN + 1 of the sheet (for the header search)."""
        if name not in self._cache:
            rows: list[tuple[int, list[Any]]] = []
            source = self._raw_rows(name)
            try:
                for n, values in source:
                    if n > HEADER_SCAN + 1:
                        rows.append((n, values))
                        break
                    rows.append((n, values))
            finally:
                source.close()  # a CSV file is closed at once
            self._cache[name] = rows
        return self._cache[name]

    def _survey(self, info: SheetInfo) -> None:
        head = self._head(info.name)
        info.has_content = any(not _blank(r) for _n, r in head)
        scan = [(n, r) for n, r in head if n <= HEADER_SCAN]
        best, best_n = 0, 0
        first = next((n for n, r in scan if not _blank(r)), None)
        for n, r in scan:
            s = self.score([header_text(v) for v in r])
            if s > best:
                best, best_n = s, n
        if best >= MIN_SCORE or (best >= 1 and best_n == first):
            info.header_row = best_n
            info.has_rows = any(not _blank(r) for n, r in head if n > best_n) or head[-1][0] > HEADER_SCAN

    @property
    def active(self) -> SheetInfo:
        return next(s for s in self.sheets if s.active)

    @property
    def data_sheets(self) -> list[SheetInfo]:
        return [s for s in self.sheets if s.has_data]

    def info(self, name: str) -> SheetInfo:
        for s in self.sheets:
            if s.name == name:
                return s
        raise SheetError(
            MSG_UNKNOWN_SHEET, file=self.path.name, sheet=name, sheets="、".join(s.name for s in self.sheets)
        )

    # -- rows ----------------------------------------------------------------------------------------
    def _raw_rows(self, name: str) -> Generator[tuple[int, list[Any]]]:
        if self.kind == "csv":
            yield from _csv_rows(self.path, self._csv_encoding)
            return
        if self._stream is not None:
            yield from self._stream.rows(name)
            return
        sheet = self._sheet(name)
        start = sheet.start
        first_row = 1  # iter_rows starts at row 1, blank rows included,
        lead = start[1] if start else 0  # but skips the blank columns left of the data
        pad = [None] * lead
        try:
            for n, row in enumerate(sheet.iter_rows(), start=first_row):
                yield n, (pad + _cells(row)) if lead else _cells(row)
        except pc.CalamineError as exc:
            raise SheetError(MSG_DAMAGED, file=self.path.name) from exc

    def _sheet(self, name: str) -> Any:
        """calamine reads a whole sheet when it is first asked for; each is read once."""
        if name not in self._loaded:
            try:
                self._loaded[name] = self._wb.get_sheet_by_name(name)
            except pc.CalamineError as exc:
                if "password" in str(exc).lower():
                    raise SheetError(MSG_PASSWORD, file=self.path.name) from None
                raise SheetError(MSG_DAMAGED, file=self.path.name) from exc
        return self._loaded[name]

    def table(self, name: str) -> Table:
        info = self.info(name)
        if not info.has_content:
            raise SheetError(MSG_EMPTY_SHEET, file=self.path.name, sheet=name)
        if not info.header_row:
            raise SheetError(MSG_NO_HEADER, file=self.path.name, sheet=name, rows=HEADER_SCAN)
        rows = self._raw_rows(name)
        header: list[str] = []
        header_n = 0
        for n, values in rows:
            if n == info.header_row:
                header, header_n = [header_text(v) for v in values], n
                break
        estimated = self._height(name) - header_n
        return Table(name, header, header_n, max(0, estimated), _data(rows))

    def _height(self, name: str) -> int:
        if self.kind == "csv":
            return 0
        if self._stream is not None:
            return self._stream.height(name)
        try:
            end = self._sheet(name).end
        except pc.CalamineError:
            return 0
        return (end[0] + 1) if end else 0

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        if self._wb is not None:
            try:
                self._wb.close()
            except pc.CalamineError:
                pass
            self._wb = None
        self._loaded.clear()


def _data(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    for n, values in rows:
        if not _blank(values):
            yield n, values


def open_book(path: Path, score: Score) -> Book:
    return Book(Path(path), score)


class SheetChoiceNeeded(SheetError):
    """Several sheets hold data and none was chosen; ``names`` lists them, ``active`` is the one shown."""

    def __init__(self, file: str, names: list[str], active: str) -> None:
        self.names, self.active = names, active
        super().__init__(MSG_CHOOSE, file=file, sheets="、".join(names))


MSG_CHOOSE = N_(
    "{file} has data on several sheets: {sheets}. Choose the sheet to import, or all of them "
    "(command line: --sheet NAME or --sheet all)."
)
MSG_ONE_SHEET = N_(
    "{file} has data on several sheets: {sheets}. Choose the one to import (command line: --sheet NAME)."
)


def choose_sheets(book: Book, sheet: str | None = None) -> list[str]:
    """The sheets to read: the one named, ``all`` sheets with data, or (None) the only sheet with data.

    Several sheets with data and no choice: SheetChoiceNeeded. No sheet with data: the error of the
    active sheet (empty, or no header row)."""
    if sheet == "all":
        names = [s.name for s in book.data_sheets]
    elif sheet:
        names = [book.info(sheet).name]
    else:
        data = book.data_sheets
        if len(data) > 1:
            raise SheetChoiceNeeded(book.path.name, [s.name for s in data], book.active.name)
        names = [s.name for s in data]
    if not names:
        shown = book.active if book.active.has_content else next((s for s in book.sheets if s.has_content), book.active)
        names = [shown.name]  # table() raises what is wrong with it
    return names


def read_sheet(path: Path, score: Score | None = None, sheet: str | None = None) -> tuple[list[str], Table]:
    """The header row (as text) and the data rows of the one sheet to read (``choose_sheets``).

    Without ``score`` the header is the first non-blank row. Formulas are never evaluated: a cell
    holding one reads as its cached value. Completely blank rows are skipped."""
    book = open_book(path, score or (lambda row: 1 if any(row) else 0))
    try:
        try:
            names = choose_sheets(book, sheet)
        except SheetChoiceNeeded as exc:
            raise SheetError(MSG_ONE_SHEET, file=book.path.name, sheets="、".join(exc.names)) from None
        if len(names) > 1:  # "all" is for the client's import; the server's imports read one sheet
            raise SheetError(MSG_ONE_SHEET, file=book.path.name, sheets="、".join(names))
        table = book.table(names[0])
    except BaseException:
        book.close()
        raise
    table._rows = closing(table._rows, book.close)
    return table.header, table


def closing(rows: Iterator[tuple[int, list[Any]]], close: Callable[[], None]) -> Iterator[tuple[int, list[Any]]]:
    try:
        yield from rows
    finally:
        close()


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


def _csv_encoding(path: Path) -> str:
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


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[Any]]]:
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


def _open_calamine(path: Path, kind: str) -> Any:
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
def _active_sheet(path: Path, kind: str, names: list[str]) -> str | None:
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
    view = root.find(f"{_MAIN}bookViews/{_MAIN}workbookView")
    tab = int(view.get("activeTab", "0")) if view is not None else 0
    sheets = root.findall(f"{_MAIN}sheets/{_MAIN}sheet")
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


# -- big .xlsx files, streamed ------------------------------------------------------------------------
_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')


def _is_date_format(code: str) -> bool:
    plain = _QUOTED.sub("", code.split(";")[0]).lower()  # the positive section, without "text" and [..]
    return plain != "general" and any(c in plain for c in "ymdhs")


class XlsxStream:
    """Rows of an .xlsx/.xlsm sheet straight from its XML (ElementTree.iterparse, each row freed when
    read): the same typed cells as the calamine path (numbers are doubles; whole ones below 2^53
    are int; date-formatted numbers are dates), the memory of one row plus the shared strings."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
            book = ET.fromstring(self.zip.read("xl/workbook.xml"))
            rels = ET.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, zipfile.BadZipFile, ET.ParseError, OSError):
            raise SheetError(MSG_DAMAGED, file=path.name) from None
        pr = book.find(f"{_MAIN}workbookPr")
        self.epoch = (
            dt.datetime(1904, 1, 1)
            if pr is not None and pr.get("date1904") in ("1", "true")
            else dt.datetime(1899, 12, 30)
        )
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        self.paths: dict[str, str] = {}
        self.sheets: list[tuple[str, bool]] = []
        for sh in book.findall(f"{_MAIN}sheets/{_MAIN}sheet"):
            target = targets.get(sh.get(_REL_ID), "")
            if "worksheets/" not in target:
                continue  # a chart sheet
            name = sh.get("name", "")
            self.paths[name] = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            self.sheets.append((name, sh.get("state", "visible") == "visible"))
        self.date_styles = self._date_styles()
        self._strings: list[str] | None = None

    def _date_styles(self) -> frozenset[int]:
        try:
            root = ET.fromstring(self.zip.read("xl/styles.xml"))
        except (KeyError, ET.ParseError):
            return frozenset()
        custom = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in root.findall(f"{_MAIN}numFmts/{_MAIN}numFmt")
        }
        out = set()
        for i, xf in enumerate(root.findall(f"{_MAIN}cellXfs/{_MAIN}xf")):
            fid = int(xf.get("numFmtId", "0"))
            if fid in _BUILTIN_DATE_FORMATS if fid not in custom else _is_date_format(custom[fid]):
                out.add(i)
        return frozenset(out)

    def strings(self) -> list[str]:
        if self._strings is None:
            out: list[str] = []
            try:
                f = self.zip.open("xl/sharedStrings.xml")
            except KeyError:
                self._strings = out
                return out
            SI, T, RPH = f"{_NS}si", f"{_NS}t", f"{_NS}rPh"
            parts: list[str] = []
            state = [False, 0]  # collecting the text of a <t>, depth inside <rPh>

            def start(name: str, _attrs: Any) -> None:
                if name == T:
                    state[0] = not state[1]
                elif name == RPH:
                    state[1] += 1

            def end(name: str) -> None:
                if name == T:
                    state[0] = False
                elif name == SI:
                    out.append("".join(parts))
                    parts.clear()
                elif name == RPH:
                    state[1] -= 1

            def text(data: str) -> None:
                if state[0]:
                    parts.append(data)

            p = _parser(start, end, text)
            with f:
                while chunk := f.read(_CHUNK):
                    p.Parse(chunk, False)
                p.Parse(b"", True)
            self._strings = out
        return self._strings

    def height(self, name: str) -> int:
        try:
            with self.zip.open(self.paths[name]) as f:
                m = _DIMENSION.search(f.read(4096))
        except KeyError:
            return 0
        return int(m.group(1)) if m else 0

    def rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        """The sheet's rows, a chunk of the zip member at a time (only the rows of one chunk and the
        shared strings are held). The usual sheet (UTF-8, the main namespace as the default one: what
        Excel, WPS, LibreOffice and openpyxl write) is cut into rows and cells by regular expressions;
        a row holding a comment or CDATA, and any other sheet, is parsed by expat: the same values."""
        try:
            f = self.zip.open(self.paths[name])
        except (KeyError, zipfile.BadZipFile, OSError):
            raise SheetError(MSG_DAMAGED, file=self.path.name) from None
        with f:
            head = f.read(_CHUNK)
            m = _PLAIN_SHEET.search(head)
            root_end = head.find(b">", m.end()) if m else -1
            if m is None or root_end < 0:
                yield from self._expat_rows(_chained(head, f))
                return
            wrap = (
                head[m.start("root") : root_end + 1].decode("utf-8", "replace")
                + "<sheetData>%s</sheetData></worksheet>"
            )
            yield from self._fast_rows(head, f, wrap)

    def _fast_rows(self, head: bytes, f: Any, wrap: str) -> Iterator[tuple[int, list[Any]]]:
        strings = self.strings()
        dates = frozenset(str(i) for i in self.date_styles)
        epoch, typed, unescape = self.epoch, _typed, _unescape
        columns: dict[str, int] = {}
        decoder = codecs.getincrementaldecoder("utf-8")()
        rows_of = _ROW.finditer
        number_of = _ROW_NUMBER.search
        plain_row, cells_of = _PLAIN_CELLS.fullmatch, _PLAIN_CELL.findall
        buf, chunk, n = "", head, 0
        try:
            while True:
                buf += decoder.decode(chunk, not chunk)
                cut = len(buf) if not chunk else buf.rfind("</row>") + 6
                if cut > 5:
                    for row in rows_of(buf, 0, cut):
                        attrs, body = row.group(1), row.group(2)
                        m = number_of(attrs)
                        n = int(m.group(1)) if m else n + 1
                        values: list[Any] = []
                        v: Any
                        if body and plain_row(body):  # every cell as Excel, WPS, LibreOffice and openpyxl write it
                            for letters, style, ct, empty, got, text in cells_of(body):
                                if empty:  # <c …/>: no value, not even an empty one
                                    continue
                                if ct == "inlineStr":  # what the general loop below gives for the same cell
                                    if "&" in text or "\r" in text:
                                        text = unescape(text)
                                    v = text or None
                                else:
                                    if not got:
                                        continue
                                    if "&" in got or "\r" in got:
                                        got = unescape(got)
                                    v = typed(ct or None, got, style in dates and ct in ("", "n"), strings, epoch)
                                col = columns.get(letters, -1)
                                if col < 0:
                                    col = columns[letters] = _column(letters)
                                width = len(values)
                                if col == width:
                                    values.append(v)
                                elif col > width:
                                    values.extend([None] * (col - width))
                                    values.append(v)
                                else:
                                    values[col] = v
                            yield n, values
                            continue
                        cells = _split_cells(body) if body else ()
                        if cells is None:  # a comment, CDATA or another element: expat reads the row
                            yield from self._expat_rows(iter(((wrap % row.group(0)).encode(),)), n - 1)
                            continue
                        for a, content in cells:
                            if "'" in a or "\n" in a or "\t" in a or "\r" in a:
                                a = a.replace("'", '"').replace("\n", " ").replace("\t", " ").replace("\r", " ")
                            i = a.find(' t="')
                            ct = a[i + 4 : a.find('"', i + 4)] if i >= 0 else None
                            if ct == "inlineStr":
                                if (
                                    content.startswith("<is><t>")
                                    and content.endswith("</t></is>")
                                    and "<" not in content[7:-9]
                                ):
                                    got = content[7:-9]
                                else:
                                    got = "".join(_TEXT.findall(_PHONETIC.sub("", content)))
                                if "&" in got or "\r" in got:
                                    got = unescape(got)
                                v = got or None
                            else:
                                if content.startswith("<v>") and content.endswith("</v>"):
                                    got = content[3:-4]
                                else:
                                    m = _VALUE.search(content)
                                    if not m:
                                        continue
                                    got = m.group(1)
                                if not got:
                                    continue
                                if "&" in got or "\r" in got:
                                    got = unescape(got)
                                i = a.find(' s="') if ct is None or ct == "n" else -1
                                v = typed(ct, got, i >= 0 and a[i + 4 : a.find('"', i + 4)] in dates, strings, epoch)
                            i = a.find(' r="')
                            if i < 0:
                                col = len(values)
                            else:
                                letters = a[i + 4 : a.find('"', i + 4)].rstrip("0123456789").lstrip("$")
                                col = columns.get(letters, -1)
                                if col < 0:
                                    col = columns[letters] = _column(letters)
                            width = len(values)
                            if col == width:
                                values.append(v)
                            elif col > width:
                                values.extend([None] * (col - width))
                                values.append(v)
                            else:
                                values[col] = v
                        yield n, values
                    buf = buf[cut:]
                if not chunk:
                    break
                chunk = f.read(_CHUNK)
        except (KeyError, ValueError, IndexError, zipfile.BadZipFile, OSError, EOFError):
            raise SheetError(MSG_DAMAGED, file=self.path.name) from None

    def _expat_rows(self, chunks: Iterator[bytes], after: int = 0) -> Iterator[tuple[int, list[Any]]]:
        """The rows parsed by expat (C), the rows finished in a chunk handed out before the next is read."""
        strings = self.strings()
        dates = frozenset(str(i) for i in self.date_styles)
        epoch, typed = self.epoch, _typed
        ROW, C, V, IS, T, RPH = (f"{_NS}{t}" for t in ("row", "c", "v", "is", "t", "rPh"))
        columns: dict[str, int] = {}
        done: list[tuple[int, list[Any]]] = []
        text: list[str] = []
        n, col, rph = after, 0, 0
        values: list[Any] = []
        ct: str | None = None
        cs: str | None = None
        got: str | None = None
        collecting = inline = False

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal n, col, ct, cs, got, collecting, inline, rph, values
            if name == C:
                ref = attrs.get("r")
                if ref is None:
                    col = len(values)
                else:
                    letters = ref.rstrip("0123456789")
                    col = columns.get(letters, -1)
                    if col < 0:
                        col = columns[letters] = _column(letters)
                ct, cs, got = attrs.get("t"), attrs.get("s"), None
            elif name == V:
                collecting = True
                text.clear()
            elif name == ROW:
                r = attrs.get("r")
                n = int(r) if r else n + 1
                values = []
            elif name == IS:
                inline, rph = True, 0
                text.clear()
            elif name == T:
                collecting = inline and not rph
            elif name == RPH:
                rph += 1

        def end(name: str) -> None:
            nonlocal got, collecting, inline, rph
            if name == V:
                collecting = False
                got = "".join(text)
            elif name == C:
                if ct == "inlineStr":
                    v: Any = got or None
                elif not got:
                    return
                else:
                    v = typed(ct, got, cs in dates, strings, epoch)
                width = len(values)
                if col == width:
                    values.append(v)
                elif col > width:
                    values.extend([None] * (col - width))
                    values.append(v)
                else:
                    values[col] = v
            elif name == ROW:
                done.append((n, values))
            elif name == T:
                collecting = False
            elif name == IS:
                inline = collecting = False
                got = "".join(text)
            elif name == RPH:
                rph -= 1

        def chars(data: str) -> None:
            if collecting:
                text.append(data)

        try:
            p = _parser(start, end, chars)
            for chunk in chunks:
                p.Parse(chunk, False)
                if done:
                    ready = done[:]
                    done.clear()
                    yield from ready
            p.Parse(b"", True)
            yield from done
        except (KeyError, ValueError, IndexError, expat.ExpatError, zipfile.BadZipFile, OSError, EOFError):
            raise SheetError(MSG_DAMAGED, file=self.path.name) from None

    def close(self) -> None:
        self.zip.close()


#: The usual sheet: the main namespace is the default one (elements without prefix), UTF-8.
_PLAIN_SHEET = re.compile(
    rb'\A(?:\xef\xbb\xbf)?\s*(?:<\?xml(?:(?!encoding)[^>])*(?:encoding=["\'](?i:utf-8)["\'][^>]*)?\?>\s*)?'
    rb'(?P<root><worksheet\b[^>]*\sxmlns="http://schemas\.openxmlformats\.org/spreadsheetml/2006/main")'
)
_ROW = re.compile(r"<row\b([^>]*?)(?:/>|>([^<]*(?:<(?!/row>)[^<]*)*)</row>)")
_ROW_NUMBER = re.compile(r'\br=["\'](\d+)["\']')
#: A cell as the usual writers write it: r, then s and t, double quotes, and a value (<v>) or an inline text
#: (<is><t>) without markup inside, or nothing (``<c …/>``). A row made only of such cells is read by one findall;
#: any other row by the general loop (``_split_cells``), which gives the same values for these cells.
_PLAIN_CELL_TEXT = (
    r'<c r="([A-Z]{1,3})[0-9]+"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?'
    r"(?:(/)>|>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)?</c>)"
)
_PLAIN_CELL = re.compile(_PLAIN_CELL_TEXT)
_PLAIN_CELLS = re.compile("(?:" + re.sub(r"\((?!\?)", "(?:", _PLAIN_CELL_TEXT) + ")*")
_VALUE = re.compile(r"<v\b[^>]*>(.*?)</v>", re.S)
_TEXT = re.compile(r"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>|<rPh\b[^>]*/>", re.S)
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _entity(m: re.Match[str]) -> str:
    e = m.group(1)
    if e[0] == "#":
        return chr(int(e[2:], 16) if e[1] == "x" else int(e[1:]))
    return _ENTITIES[e]


def _unescape(text: str) -> str:
    """Text as an XML parser gives it: line ends as "\\n", then the entities and character references."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ENTITY.sub(_entity, text) if "&" in text else text


def _split_cells(body: str) -> list[tuple[str, str]] | None:
    """The (attributes, content) of each non-empty ``<c>`` of a row's XML; None when the row holds
    anything else (a comment, CDATA, another element) and must be parsed by expat."""
    if "<!" in body:
        return None
    out = []
    for piece in body.split("</c>"):
        while True:
            if not piece.startswith("<c"):
                piece = piece.lstrip()
                if not piece:
                    break
                if not piece.startswith("<c"):
                    return None
            gt = piece.find(">")
            if gt < 0 or piece[2] not in " \t\r\n/>":
                return None
            if piece[gt - 1] == "/":  # <c .../>: an empty cell
                piece = piece[gt + 1 :]
                continue
            out.append((piece[2:gt], piece[gt + 1 :]))
            break
    return out


def _chained(head: bytes, f: Any) -> Iterator[bytes]:
    yield head
    while chunk := f.read(_CHUNK):
        yield chunk


def _parser(
    start: Callable[[str, dict[str, str]], None], end: Callable[[str], None], chars: Callable[[str], None]
) -> Any:
    """An expat parser reporting element names as namespace + local name (``_NS`` + "row")."""
    p = expat.ParserCreate(namespace_separator="}")
    p.buffer_text = True
    p.buffer_size = _CHUNK
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    return p


def _typed(ct: str | None, got: str, dated: bool, strings: list[str], epoch: dt.datetime) -> Any:
    """A streamed cell's value from its type attribute ``t`` and its non-empty text (both row parsers)."""
    if ct is None or ct == "n":
        num = float(got)
        if dated:
            when = epoch + dt.timedelta(milliseconds=round(num * 86_400_000))
            return when.date() if num.is_integer() else when
        return int(num) if num.is_integer() and -EXACT < num < EXACT else num
    if ct == "s":
        return strings[int(got)] or None
    if ct == "str":
        return got
    if ct == "b":
        return got == "1"
    if ct == "d":
        return _iso_date(got)
    return None


def _column(ref: str) -> int:
    i = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            i = i * 26 + ord(ch) - 64
        else:
            break
    return i - 1


def _iso_date(text: str) -> Any:
    try:
        d = dt.datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return text
    return d.date() if d.time() == dt.time() else d

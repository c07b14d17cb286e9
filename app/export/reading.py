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

Memory: calamine holds a whole sheet (about 5 KB a row of 80 columns: 610 MB peak for 100k rows
of 85), so an .xlsx/.xlsm larger than ``STREAM_BYTES`` (4 MiB, some 12k such rows) is read by
``XlsxStream`` instead: the sheet's XML is read a chunk at a time and cut into rows and cells
(regular expressions for the usual sheet, str.find/split for an unusual row, expat for any other
sheet), giving the same typed rows (tests compare them) in nearly flat memory, 1.2–1.5x calamine's
read time (bench.sheets, 2026-12-06). A CSV is streamed too. .xls/.ods/.xlsb files are read by
calamine whatever their size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine as pc

from app.export.sheetfile import (
    EXACT,
    MSG_DAMAGED,
    MSG_EMPTY_SHEET,
    MSG_NO_HEADER,
    MSG_NO_SHEET,
    MSG_PASSWORD,
    MSG_UNKNOWN_SHEET,
    SheetError,
    active_sheet,
    csv_encoding,
    csv_rows,
    open_calamine,
    sniff,
)
from app.export.xlsx_stream import XlsxStream
from app.i18n import N_

#: File types offered by the open dialogs (the reader tells the format by content).
EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".et", ".ods", ".csv", ".txt")
HEADER_SCAN = 10
MIN_SCORE = 2
#: An .xlsx/.xlsm above this size is streamed row by row (nearly flat memory) instead of read by
#: calamine, which holds the whole sheet. At 4 MiB calamine's peak (the dry run: ~130 MB at some 12k
#: rows of 85 columns) stays below the streamed dry run's peak at 100k rows, so the peak no longer
#: grows with the file; the streamed check costs ~10 % more time than through calamine (bench.sheets,
#: 2026-12-06; docs in the README's spreadsheet section). It was 32 MB (~650 MB peak just below it).
STREAM_BYTES = int(os.environ.get("FIELDARCHIVE_STREAM_XLSX_BYTES", 4 * 2**20))

Score = Callable[[Sequence[Any]], int]


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
            self._csv_encoding = csv_encoding(self.path)
            self.sheets = [SheetInfo(self.path.stem, True, True)]
        elif self.kind == "xlsx" and self.path.stat().st_size > STREAM_BYTES:
            self._stream = XlsxStream(self.path)
            active = active_sheet(self.path, self.kind, [])
            self.sheets = [SheetInfo(name, visible, name == active) for name, visible in self._stream.sheets]
            if not self.sheets:
                raise SheetError(MSG_NO_SHEET, file=self.path.name)
            if not any(s.active for s in self.sheets):
                next((s for s in self.sheets if s.visible), self.sheets[0]).active = True
        else:
            self._wb = open_calamine(self.path, self.kind)
            meta = [m for m in self._wb.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet]
            active = active_sheet(self.path, self.kind, self._wb.sheet_names)
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
            yield from csv_rows(self.path, self._csv_encoding)
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

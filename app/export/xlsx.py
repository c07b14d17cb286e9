"""Reading and writing .xlsx files.

Writing is streamed (openpyxl write-only mode: memory stays flat for 100k rows).
A ``str`` value is always written as a *string* cell: openpyxl would store any
text starting with ``=`` as a formula, and a text starting with ``+ - @``, a tab
or a carriage return can become one when a user edits the cell in Excel or WPS,
so those cells also get the quote-prefix style (ASVS 1.2.10, CWE-1236). Numbers
and dates keep their types.

A column can carry a number format (``Column.number_format``): ``TEXT`` (``@``, numFmtId 49) for
identifiers, ``DATE_FORMAT`` for dates. It is the column's style (``<col style=…>``), so a value a user
later types into an empty cell of that column in Excel or WPS stays text (an ID number keeps its 18
digits) or becomes a date, and every written cell of a text column carries it too. The first sheet can
be set up for printing (``printable``): landscape A4, one page wide, the header row repeated on every
page, an autofilter on the header.

No temporary file goes to the system temp folder (app/scratch.py): openpyxl's sheet XML is written
into the scratch folder given (the profile's private ``tmp``) or beside the target, and the
workbook itself into a file beside the target that is renamed over it at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet import _writer as _ws_writer
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from app import scratch
from app.export.sheetfile import SheetError

RISKY_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
MAX_ROWS = 1_048_575
_ILLEGAL = {c: None for c in range(32) if c not in (9, 10, 13)}
_RISKY_FIRST = frozenset(c for c in RISKY_START)
_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 14.0
    choices: Sequence[str] = ()  # a drop-down list in templates
    note: str = ""
    number_format: str | None = None  # TEXT or DATE_FORMAT: the column's style and its cells'


#: The Text number format (numFmtId 49): what is typed into such a cell stays as typed.
TEXT = "@"
#: Dates as dates: the format openpyxl gives date cells, for the column too.
DATE_FORMAT = "yyyy-mm-dd"


def _text(ws: Any, value: str) -> Any:
    if _ILLEGAL_RE.search(value):
        value = value.translate(_ILLEGAL)  # XML cannot hold other control characters
    if value.startswith(RISKY_START) or value[:1] == "=":
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


def _header_cells(ws: Any, columns: Sequence[Column]) -> list[Any]:
    out = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        out.append(cell)
    return out


def cell_value(ws: Any, v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, str):
        return _text(ws, v)
    if isinstance(v, bool):
        return _text(ws, str(v))
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and abs(v) < 2**53 else float(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v
    return _text(ws, str(v))


_openpyxl_temporary_file = _ws_writer.create_temporary_file


def _temporary_file(suffix: str = "") -> str:
    """openpyxl's sheet XML files: in the scratch folder of this thread's write_sheet, never $TMPDIR."""
    folder = scratch.current_folder()
    if folder is None:  # not from write_sheet (nothing in the app does that)
        return str(_openpyxl_temporary_file(suffix))
    path = str(scratch.new_file(folder, suffix or ".xml"))
    _ws_writer.ALL_TEMP_FILES.append(path)  # openpyxl removes it at exit too, as its own
    return path


_ws_writer.create_temporary_file = _temporary_file  # looked up by WorksheetWriter at each call


def write_sheet(
    path: Path,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    title: str = "Sheet1",
    extra_sheets: Sequence[tuple[str, Sequence[Column], Iterable[Sequence[Any]]]] = (),
    printable: bool = False,
    scratch_dir: Path | None = None,
) -> int:
    """Write a workbook atomically (temp file beside it + rename); returns the number of data rows.
    ``printable``: set the first sheet up for printing (``_print_setup``).
    The sheets' plaintext XML goes into ``scratch_dir`` (the profile's private tmp folder) or, without
    one, beside the target; a killed run's leftovers are removed by ``scratch.clean``."""
    with scratch.scratch_folder(scratch_dir or path.parent):
        wb = Workbook(write_only=True)
        try:
            count = _fill(wb, columns, rows, title, extra_sheets, printable)
        except BaseException:
            _discard(wb)  # cancelled or failed: openpyxl's own temporary files go too
            raise
        tmp = scratch.beside(path, scratch_dir, ".xlsx")
        try:
            wb.save(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            _discard(wb)
            scratch.release(tmp)
    return count


def _discard(wb: Any) -> None:
    for ws in wb.worksheets:
        writer, rows = getattr(ws, "_writer", None), getattr(ws, "_rows", None)
        for step in (
            rows.close if rows is not None else None,
            writer.close if writer is not None else None,
            writer.cleanup if writer is not None else None,
        ):
            try:
                if step is not None:
                    step()
            except (OSError, ValueError, RuntimeError, StopIteration):
                pass


def _fill(
    wb: Any,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    title: str,
    extra_sheets: Sequence[tuple[str, Sequence[Column], Iterable[Sequence[Any]]]],
    printable: bool = False,
) -> int:
    count = 0
    for n, (name, cols, data) in enumerate([(title, columns, rows), *extra_sheets]):
        ws = wb.create_sheet(title=name[:31])
        ws.freeze_panes = "A2"
        for i, col in enumerate(cols, start=1):
            dim = ws.column_dimensions[get_column_letter(i)]
            dim.width = col.width
            if col.number_format:
                dim.number_format = col.number_format  # <col style=…>: cells typed in later take it
        if n == 0 and printable:
            _print_setup(ws)  # the sheet's properties are written with its first row
        ws.append(_header_cells(ws, cols))
        # one styled cell per text column, given each row's value: written before the next row is made
        text_cols = [(i, _styled(ws, TEXT)) for i, c in enumerate(cols) if c.number_format == TEXT]
        written = 0
        for row in data:
            # plain text, whole numbers and floats need no conversion: the hot path of a big export
            values = [
                v
                if ((t := type(v)) is str and v[:1] not in _RISKY_FIRST and not _ILLEGAL_RE.search(v))
                or t is int
                or t is float
                or v is None
                else cell_value(ws, v)
                for v in row
            ]
            for i, proto in text_cols:
                if i < len(values) and (v := values[i]) is not None:
                    if type(v) is str:
                        proto.value = v
                        values[i] = proto
                    elif isinstance(v, Cell):  # a quoted risky text: Text as well
                        v.number_format = TEXT
            ws.append(values)
            written += 1
            if n == 0:
                count += 1
                if count > MAX_ROWS:
                    raise SheetError("more rows than a spreadsheet can hold")
        if n == 0 and printable and cols:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{written + 1}"
        if n == 0 and any(c.choices for c in cols):
            _add_lists(wb, ws, cols)
    return count


def _styled(ws: Any, number_format: str) -> Any:
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format
    return cell


def _print_setup(ws: Any) -> None:
    """Landscape A4, fit to one page wide and as many pages tall as it takes, the header row on every
    page (print titles), gridlines printed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.3
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _add_lists(wb: Any, ws: Any, cols: Sequence[Column]) -> None:
    """Drop-down lists for choice columns, fed from a hidden sheet (no length limit)."""
    lists = wb.create_sheet(title="_lists")
    lists.sheet_state = "hidden"
    longest = max(len(c.choices) for c in cols)
    table = [[(c.choices[r] if r < len(c.choices) else None) for c in cols] for r in range(longest)]
    for row in table:
        lists.append([_text(lists, v) if isinstance(v, str) else v for v in row])
    for i, col in enumerate(cols, start=1):
        if col.choices:
            letter = get_column_letter(i)
            dv = DataValidation(
                type="list",
                formula1=f"=_lists!${letter}$1:${letter}${len(col.choices)}",
                allow_blank=True,
                showErrorMessage=False,
            )
            dv.add(f"{letter}2:{letter}5000")
            ws.data_validations.append(dv)  # write-only sheets have no add_data_validation()

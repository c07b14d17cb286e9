"""A printout (app.export.pdf.Printout: a form's title, sections of label and value, footer) as an .xlsx
workbook, through the safe writer of app.export.xlsx: every text a string cell (a value starting with ``=``,
``+``, ``-`` or ``@`` quoted, never a formula), written beside the target and renamed.

The layout: the title and subtitle in the first row, then per section its heading in the first column and its
rows as (label, value) (a table section: its header row and rows), an empty row between sections, the footer
last. One sheet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.export.pdf import Printout
from app.export.xlsx import Column, write_sheet


def rows_of(p: Printout) -> Iterator[tuple[str, ...]]:
    """The printout's rows below the title row (a section with ``columns``: its header row, then one cell per
    column)."""
    for s in p.sections:
        yield ("", "")
        yield (f"【{s.heading}】", "")
        if s.columns:
            yield s.columns
        yield from s.rows
        if s.note:
            yield ("", s.note)
    yield ("", "")
    yield (p.footer, "")


def write_printout_sheet(p: Printout, path: Path, scratch_dir: Path | None = None) -> int:
    """Write ``p`` to ``path`` as one sheet; returns the number of rows below the title row."""
    columns = (Column(p.title, 42.0), Column(p.subtitle, 70.0))
    return write_sheet(path, columns, rows_of(p), title=p.title[:31] or "Sheet1", scratch_dir=scratch_dir)

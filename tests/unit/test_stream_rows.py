"""The streamed reader cuts a sheet's XML into rows at each "</row>" (``xlsx_stream._rows_in``) instead of
scanning every character with ``_ROW`` (issue 14's speed goal): the same rows, attributes, bodies and row
texts as ``_ROW.finditer`` on any text, and the same typed rows as calamine on a real file."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.export import xlsx_stream
from app.export.reading import open_book

_PIECES = [
    "<row>",
    '<row r="1">',
    '<row r="2" spans="1:3">',
    "<row\tr='3'>",
    "<row\nr='4'>",
    '<row r="5"/>',
    "<row/>",
    '<row r="6" />',
    "<rowBreaks count='1'>",
    "</rowBreaks>",
    "<rows>",
    "<row_x>",
    "</row>",
    "</row >",
    "</ro",
    "w>",
    "<",
    ">",
    "/",
    "/>",
    '<c r="A1" t="inlineStr"><is><t>中文</t></is></c>',
    '<c r="B1"><v>1</v></c>',
    "<!-- </row> -->",
    "<sheetData>",
    "</sheetData></worksheet>",
    " ",
    "x",
    "<row",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
@example(['<row r="1">', "<", "</row>"])
@example(["<sheetData>", '<row r="5"/>', '<row r="6">', "x", "</row>", '<row r="7"/>'])
@example(['<row r="1">', "<row", "</row>"])
def test_rows_are_cut_as_the_row_pattern_finds_them(parts: list[str]) -> None:
    text = "".join(parts)
    want = [(m.group(1), m.group(2), m.group(0)) for m in xlsx_stream._ROW.finditer(text)]
    assert list(xlsx_stream._rows_in(text)) == want


def test_a_generated_sheet_streams_as_calamine_reads_it(tmp_path: Path, monkeypatch) -> None:
    from app.export import reading
    from bench.sheets import make_sheet

    path = tmp_path / "s.xlsx"
    make_sheet(path, 300)

    def rows(stream: bool) -> list[tuple[int, list]]:
        monkeypatch.setattr(reading, "STREAM_BYTES", 0 if stream else 1 << 62)
        book = open_book(path, lambda row: 1 if any(row) else 0)
        try:
            return list(book._raw_rows(book.sheets[0].name))
        finally:
            book.close()

    def trimmed(got: list[tuple[int, list]]) -> list[tuple[int, list]]:
        out = []
        for n, r in got:
            r = list(r)
            while r and r[-1] is None:
                r.pop()
            out.append((n, r))
        return out

    streamed = trimmed(rows(True))
    assert len(streamed) == 301 and streamed == trimmed(rows(False))

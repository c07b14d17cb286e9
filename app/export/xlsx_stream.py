"""Big .xlsx/.xlsm sheets read straight from their XML, a chunk at a time (``XlsxStream``).

calamine holds a whole sheet in memory, so the reader (app/export/reading.py) hands an .xlsx over
``reading.STREAM_BYTES`` to this module instead: the same typed rows, in nearly flat memory. The sheet is
cut into rows at each "</row>" (``_rows_in``; ``_ROW`` reads anything unusual), a row of plainly written
cells into cells by one regular expression (``_PLAIN_CELLS``, one findall), any other row with
str.find/split, any other sheet by expat.
"""

from __future__ import annotations

import codecs
import datetime as dt
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.parsers import expat

from app.export.sheetfile import CHUNK, EXACT, MSG_DAMAGED, REL_ID, XML_MAIN, XML_NS, SheetError

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
        pr = book.find(f"{XML_MAIN}workbookPr")
        self.epoch = (
            dt.datetime(1904, 1, 1)
            if pr is not None and pr.get("date1904") in ("1", "true")
            else dt.datetime(1899, 12, 30)
        )
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        self.paths: dict[str, str] = {}
        self.sheets: list[tuple[str, bool]] = []
        for sh in book.findall(f"{XML_MAIN}sheets/{XML_MAIN}sheet"):
            target = targets.get(sh.get(REL_ID), "")
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
            int(f.get("numFmtId", "0")): f.get("formatCode", "")
            for f in root.findall(f"{XML_MAIN}numFmts/{XML_MAIN}numFmt")
        }
        out = set()
        for i, xf in enumerate(root.findall(f"{XML_MAIN}cellXfs/{XML_MAIN}xf")):
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
            SI, T, RPH = f"{XML_NS}si", f"{XML_NS}t", f"{XML_NS}rPh"
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
                while chunk := f.read(CHUNK):
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
        Excel, WPS, LibreOffice and openpyxl write) is cut into rows at each "</row>" and into cells by a
        regular expression;
        a row holding a comment or CDATA, and any other sheet, is parsed by expat: the same values."""
        try:
            f = self.zip.open(self.paths[name])
        except (KeyError, zipfile.BadZipFile, OSError):
            raise SheetError(MSG_DAMAGED, file=self.path.name) from None
        with f:
            head = f.read(CHUNK)
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
        columns = _Columns()
        decoder = codecs.getincrementaldecoder("utf-8")()
        rows_of = _rows_in
        number_of = _ROW_NUMBER.search
        cells_of = _PLAIN_CELLS.findall
        exact = EXACT
        buf, chunk, n = "", head, 0
        try:
            while True:
                buf += decoder.decode(chunk, not chunk)
                cut = len(buf) if not chunk else buf.rfind("</row>") + 6
                if cut > 5:
                    for attrs, body, whole in rows_of(buf[:cut] if cut < len(buf) else buf):
                        m = number_of(attrs)
                        n = int(m.group(1)) if m else n + 1
                        values: list[Any] = []
                        v: Any
                        # every cell as Excel, WPS, LibreOffice and openpyxl write it: one findall; anything
                        # else in the row (an "other" match: no column letters) sends it to the general loop
                        body = body or ""
                        escaped = "&" in body or "\r" in body  # else no cell of the row needs _unescape
                        for letters, style, ct, empty, got, text, _other in cells_of(body):
                            if empty:  # <c …/>: no value, not even an empty one
                                continue
                            if ct == "inlineStr":  # what the general loop below gives for the same cell
                                if escaped and ("&" in text or "\r" in text):
                                    text = unescape(text)
                                v = text or None
                            elif not got:
                                if not letters:
                                    break
                                continue
                            else:
                                if escaped and ("&" in got or "\r" in got):
                                    got = unescape(got)
                                if (ct == "n" or not ct) and style not in dates:  # _typed's number, without the call
                                    v = float(got)
                                    if v.is_integer() and -exact < v < exact:
                                        v = int(v)
                                else:
                                    v = typed(ct or None, got, style in dates and ct in ("", "n"), strings, epoch)
                            col = columns[letters]
                            width = len(values)
                            if col == width:
                                values.append(v)
                            elif col > width:
                                values.extend([None] * (col - width))
                                values.append(v)
                            else:
                                values[col] = v
                        else:
                            yield n, values
                            continue
                        values = []
                        cells = _split_cells(body) if body else ()
                        if cells is None:  # a comment, CDATA or another element: expat reads the row
                            yield from self._expat_rows(iter(((wrap % whole).encode(),)), n - 1)
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
                chunk = f.read(CHUNK)
        except (KeyError, ValueError, IndexError, zipfile.BadZipFile, OSError, EOFError):
            raise SheetError(MSG_DAMAGED, file=self.path.name) from None

    def _expat_rows(self, chunks: Iterator[bytes], after: int = 0) -> Iterator[tuple[int, list[Any]]]:
        """The rows parsed by expat (C), the rows finished in a chunk handed out before the next is read."""
        strings = self.strings()
        dates = frozenset(str(i) for i in self.date_styles)
        epoch, typed = self.epoch, _typed
        ROW, C, V, IS, T, RPH = (f"{XML_NS}{t}" for t in ("row", "c", "v", "is", "t", "rPh"))
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
    r'<c r="([A-Z]{1,3})[0-9]++"(?: s="([0-9]++)")?+(?: t="([a-zA-Z]++)")?+'
    r"(?:(/)>|>(?:<v>([^<]*+)</v>|<is><t>([^<]*+)</t></is>)?+</c>)"
)  # possessive (Python 3.11): no part gives back what it took, so a failing cell fails at once
#: Each plain cell of a row, or (the last group) a piece of anything else: a row holding such a piece is read
#: by the general loop (a test turns this path off with a pattern that finds only such pieces).
_PLAIN_CELLS = re.compile(_PLAIN_CELL_TEXT + r"|(<[^<]*+|[^<]++)")
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


#: What may follow "<row" where ``_ROW``'s ``\b`` holds (the usual ones; any other goes through ``_ROW``).
_ROW_NAME_ENDS = frozenset(" >/\t\n\r")


def _rows_in(text: str) -> Iterator[tuple[str, str | None, str]]:
    """(attributes, body or None for ``<row …/>``, the row's text) of each row of ``text``, exactly as
    ``_ROW.finditer`` finds them (a test compares the two), without its scan of every character: the text
    is cut at each "</row>", and a piece holding one plain row start (one "<row", then a space or ">",
    then attributes closed by ">", not "/>") is that row, up to the "</row>". From the first other piece
    on (a self-closed row, no row, text the pattern reads otherwise), ``_ROW`` reads the rest."""
    pieces = text.split("</row>")
    pieces.pop()  # after the last "</row>": read by _ROW below
    pos = 0
    for piece in pieces:
        k = piece.find("<row")
        if k < 0 or piece[k + 4 : k + 5] not in _ROW_NAME_ENDS or piece.find("<row", k + 4) >= 0:
            break
        gt = piece.find(">", k + 4)
        if gt < 0 or piece[gt - 1] == "/":
            break
        yield piece[k + 4 : gt], piece[gt + 1 :], piece[k:] + "</row>"
        pos += len(piece) + 6
    for m in _ROW.finditer(text, pos):
        yield m.group(1), m.group(2), m.group(0)


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
    while chunk := f.read(CHUNK):
        yield chunk


def _parser(
    start: Callable[[str, dict[str, str]], None], end: Callable[[str], None], chars: Callable[[str], None]
) -> Any:
    """An expat parser reporting element names as namespace + local name (``XML_NS`` + "row")."""
    p = expat.ParserCreate(namespace_separator="}")
    p.buffer_text = True
    p.buffer_size = CHUNK
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


class _Columns(dict[str, int]):
    """Column letters → 0-based index, each worked out when first met (a hit is a plain dict lookup)."""

    def __missing__(self, letters: str) -> int:
        col = self[letters] = _column(letters)
        return col


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

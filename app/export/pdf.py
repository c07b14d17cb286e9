"""A printout as PDF, laid out by Qt (QTextDocument on a QPdfWriter): A4, Chinese text in a CJK font
embedded in the file, a footer on every page with its number (``page x/y``).

The one module outside ``app/ui`` that imports PySide6, and only QtGui (docs/architecture.md): the desktop
app renders on its DB thread (QPainter on a QPdfWriter may run off the GUI thread), the command line
without a window (``ensure_gui``: an offscreen QGuiApplication when there is none). The content comes as
frozen data (``Printout``), already in the user's language and masked: this module lays it out, nothing
more. The file is written where it is told (the caller writes beside the target and renames).
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from app.errors import UserCancelled

#: The CJK fonts tried in order: WenQuanYi Micro Hei (Linux: fonts-wqy-microhei), then Windows' and
#: macOS's own; Qt embeds the glyphs used (a subset) in the PDF.
CJK_FAMILIES = ["WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "SimSun"]
#: Where fonts-wqy-microhei puts its file, added to the application's fonts when fontconfig did not list it.
WQY_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc")
RESOLUTION = 150  # dots per inch of the layout
BODY_PT = 10
FOOTER_MM = 10.0
SIGNATURE_URL = "signature.png"

_app: QGuiApplication | None = None
_fonts_lock = threading.Lock()
_fonts_checked = False


@dataclass(frozen=True)
class Section:
    """A heading, its rows (label, value), an optional note under them (``warn``: shown as a warning) and an
    optional PNG picture (the signature). With ``columns``: a table with that header row, each row one cell
    per column (the history, the integrity entries)."""

    heading: str
    rows: tuple[tuple[str, ...], ...] = ()
    note: str = ""
    warn: bool = False
    image: bytes | None = None
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Printout:
    """What to print: the title and subtitle, the sections, the footer's left text and its page text (a
    template with ``{page}`` and ``{pages}``)."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footer: str
    page_text: str
    author: str = ""


def ensure_gui() -> None:
    """A QGuiApplication for the fonts and the layout: the desktop app's own, else an offscreen one (the
    command line; on the main thread, once per process)."""
    global _app
    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _app = QGuiApplication(["fieldarchive"])
    _add_cjk_font()


def _add_cjk_font() -> None:
    global _fonts_checked
    with _fonts_lock:
        if _fonts_checked:
            return
        _fonts_checked = True
        if any(f in QFontDatabase.families() for f in CJK_FAMILIES):
            return
        for path in WQY_FILES:
            if Path(path).is_file():
                QFontDatabase.addApplicationFont(path)
                return


def body_font() -> QFont:
    font = QFont()
    font.setFamilies(CJK_FAMILIES)
    font.setPointSize(BODY_PT)
    return font


def _cell(text: str) -> str:
    return html.escape(text).replace("\n", "<br/>") if text else "—"


def to_html(p: Printout) -> str:
    """The document's HTML (Qt's rich-text subset): title, subtitle, then per section a heading and a table."""
    out = [
        f'<h2 align="center">{html.escape(p.title)}</h2>',
        f'<p align="center" style="font-size:12pt"><b>{html.escape(p.subtitle)}</b></p>',
    ]
    for s in p.sections:
        out.append(f'<h3 style="margin-top:14px">{html.escape(s.heading)}</h3>')
        if s.columns:
            out.append(_grid(s))
        elif s.rows:
            out.append('<table width="100%" border="1" cellspacing="0" cellpadding="5" style="border-color:#888">')
            for label, value in s.rows:
                out.append(
                    f'<tr><td width="32%" bgcolor="#f0f0f0">{html.escape(label)}</td><td>{_cell(value)}</td></tr>'
                )
            out.append("</table>")
        if s.image:
            out.append(f'<p><img src="{SIGNATURE_URL}" width="280"/></p>')
        if s.note:
            colour = "#b00020" if s.warn else "#333333"
            out.append(f'<p style="color:{colour}"><b>{html.escape(s.note)}</b></p>')
    return "\n".join(out)


def _grid(s: Section) -> str:
    """A table with a header row: one column per ``s.columns``, one line per row."""
    out = ['<table width="100%" border="1" cellspacing="0" cellpadding="3" style="border-color:#888">', "<tr>"]
    out.extend(f'<td bgcolor="#f0f0f0"><b>{html.escape(c)}</b></td>' for c in s.columns)
    out.append("</tr>")
    for row in s.rows:
        out.append("<tr>" + "".join(f'<td style="font-size:8pt">{_cell(v)}</td>' for v in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def write_pdf(
    p: Printout,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Lay ``p`` out on A4 and write it to ``path``; returns the number of pages. ``cancel`` set: UserCancelled
    between pages (the caller removes the partial file)."""
    ensure_gui()
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(18, 15, 18, 12),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setTitle(f"{p.title} {p.subtitle}")
    writer.setCreator(p.author or "FieldArchive")
    doc = QTextDocument()
    doc.setDefaultFont(body_font())
    doc.documentLayout().setPaintDevice(writer)
    for s in p.sections:
        if s.image:
            doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(SIGNATURE_URL), QImage.fromData(s.image))
    doc.setHtml(to_html(p))
    page = writer.pageLayout().paintRectPixels(RESOLUTION)
    footer_h = FOOTER_MM / 25.4 * RESOLUTION
    body = QSizeF(page.width(), page.height() - footer_h)
    doc.setPageSize(body)
    pages = doc.pageCount()
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    try:
        footer_font = body_font()
        footer_font.setPointSize(8)
        for n in range(pages):
            if cancel is not None and cancel.is_set():
                raise UserCancelled()
            if n:
                writer.newPage()
            painter.save()
            painter.translate(0, -n * body.height())
            doc.drawContents(painter, QRectF(0, n * body.height(), body.width(), body.height()))
            painter.restore()
            painter.setFont(footer_font)
            line = QRectF(0, body.height() + footer_h * 0.25, body.width(), footer_h * 0.75)
            painter.drawLine(line.topLeft(), line.topRight())
            painter.drawText(line, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), p.footer)
            painter.drawText(
                line,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                p.page_text.format(page=n + 1, pages=pages),
            )
            if progress:
                progress(n + 1, pages)
    finally:
        painter.end()
        # release the file now, also when an exception (holding this frame) is on its way: the caller removes it
        del painter, doc, writer
    return pages

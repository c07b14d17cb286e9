"""Application style: one place for fonts, spacing and colours, so the list, the form and the review
screen look alike (issue 16). Quiet and native: the platform style draws the widgets; this only adds
fonts that have Chinese glyphs, a readable minimum size, one accent colour, the validation states
and the status colours.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QStackedWidget, QTabWidget, QWidget

from app.models.record import CustomerStatus

CJK_FAMILIES = [
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
]

MIN_POINT_SIZE = 10  # Chinese characters below 10 pt are hard to read all day
SPACING = 6  # between widgets in a row or column
MARGIN = 8  # inside a panel

ACCENT = "#1565c0"  # the one accent colour: links, the current section, provincial marks, "pending"
ERROR = "#c62828"
WARNING = "#b26a00"
OK = "#2e7d32"
MUTED = "#6b6b6b"  # help texts, provisional codes, empty states

#: A customer's status looks the same in the list, the form's badge and the review screen.
STATUS_COLORS = {
    CustomerStatus.DRAFT: MUTED,
    CustomerStatus.PENDING: ACCENT,
    CustomerStatus.APPROVED: OK,
    CustomerStatus.RETURNED: ERROR,
}

STYLE = f"""
QLineEdit[validation="error"], QPlainTextEdit[validation="error"], QComboBox[validation="error"] {{
    border: 1px solid {ERROR}; background: #fff5f5;
}}
QLineEdit[validation="warning"], QPlainTextEdit[validation="warning"], QComboBox[validation="warning"] {{
    border: 1px solid #e0a000; background: #fffbf0;
}}
QLineEdit[readOnly="true"], QPlainTextEdit[readOnly="true"] {{ background: #f1f1f1; color: #555; }}
QGroupBox {{ font-weight: bold; margin-top: 12px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 6px; padding: 0 4px; color: {ACCENT}; }}
QLabel[role="hint"] {{ color: {MUTED}; }}
QLabel[role="empty"] {{ color: {MUTED}; font-size: 12pt; }}
QLabel[role="title"] {{ font-size: 15pt; font-weight: bold; }}
QListWidget#sections::item {{ padding: 3px 2px; }}
QListWidget#sections::item:selected {{ background: {ACCENT}; color: white; }}
"""


def status_color(status: CustomerStatus) -> str:
    return STATUS_COLORS[status]


def apply_style(app: QApplication) -> None:
    """The fonts and the style sheet, each set only when it is not already in force: Qt re-polishes every
    widget on either call, even with the same value (about 0.8 s of CPU per main window alive)."""
    available = set(QFontDatabase.families())
    families = [f for f in CJK_FAMILIES if f in available]
    font = QFont(app.font())
    if families:
        font.setFamilies([font.family(), *families])
    font.setPointSize(max(font.pointSize(), MIN_POINT_SIZE))
    if font != app.font():
        app.setFont(font)
    if app.styleSheet() != STYLE:
        app.setStyleSheet(STYLE)


def tab_pages(tabs: QTabWidget) -> QWidget:
    """The widget a tab widget keeps its pages in. A page built with it as its parent is added by ``addTab``
    without being moved: under the application's style sheet Qt styles a moved widget again, and everything in
    it (the main window's pages were moved whole four or five times as it was built: 0.4 s of its 0.55 s).
    Build a window from the top down, each widget with the parent it will keep."""
    pages = tabs.findChild(QStackedWidget, "qt_tabwidget_stackedwidget", Qt.FindChildOption.FindDirectChildrenOnly)
    return pages if pages is not None else tabs

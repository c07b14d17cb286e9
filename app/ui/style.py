"""Application style: fonts that have Chinese glyphs, and how validation states look."""
from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

CJK_FAMILIES = ["Microsoft YaHei UI", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC",
                "WenQuanYi Micro Hei", "WenQuanYi Zen Hei"]

STYLE = """
QLineEdit[validation="error"], QPlainTextEdit[validation="error"], QComboBox[validation="error"] {
    border: 1px solid #c62828; background: #fff5f5;
}
QLineEdit[validation="warning"], QPlainTextEdit[validation="warning"], QComboBox[validation="warning"] {
    border: 1px solid #e0a000; background: #fffbf0;
}
QLineEdit[readOnly="true"], QPlainTextEdit[readOnly="true"] { background: #f1f1f1; color: #555; }
QGroupBox { font-weight: bold; margin-top: 10px; }
QGroupBox::title { subcontrol-origin: margin; left: 6px; padding: 0 4px; }
"""


def apply_style(app: QApplication) -> None:
    available = set(QFontDatabase.families())
    families = [f for f in CJK_FAMILIES if f in available]
    font = QFont(app.font())
    if families:
        font.setFamilies([font.family(), *families])
    font.setPointSize(max(font.pointSize(), 10))
    app.setFont(font)
    app.setStyleSheet(STYLE)

"""The customer form's header bar (app/ui/records/form.py): the shop's name, the badge with its code
(official or provisional) and status, where the information comes from, and the save and submit
buttons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape as html_escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.i18n import _, translate
from app.models.record import STATUS_MSGIDS, Customer, Source
from app.ui.records.table_model import CLOSED
from app.ui.style import MUTED, SPACING, status_color

SOURCES = [(Source.VISIT, "Visit"), (Source.PHONE, "Phone call"), (Source.MANUAL, "Entered")]


class ElidedTitle(QLabel):
    """The shop's name, cut with "…" where the bar is too narrow for it (the whole name in the tooltip),
    never clipped in the middle of a character; ``text()`` stays the whole name."""

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def shown(self) -> str:
        """The name as painted at the label's present width."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setFont(self.font())
        painter.setPen(self.palette().color(self.foregroundRole()))
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(self.contentsRect(), flags, self.shown())


@dataclass
class HeaderBar:
    layout: QHBoxLayout
    title: QLabel
    badge: QLabel
    source: QComboBox
    save_button: QPushButton
    submit_button: QPushButton


def header_bar(parent: QWidget, save: Callable[[], None], submit: Callable[[], None]) -> HeaderBar:
    row = QHBoxLayout()
    row.setSpacing(SPACING)
    title = ElidedTitle(parent)
    title.setProperty("role", "title")
    title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # a long name never widens the form
    badge = QLabel(parent)  # under the name: at 1280×720 the bar has no room for both side by side
    badge.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    source = QComboBox(parent)
    for value, msgid in SOURCES:
        source.addItem(translate(msgid), value.value)
    source.setToolTip(_("Where the information you enter now comes from (kept in the history)"))
    save_button = QPushButton(_("Save draft"), parent)
    save_button.setShortcut("Ctrl+S")
    save_button.setToolTip(_("Save at any time, even with errors (Ctrl+S)"))
    save_button.clicked.connect(lambda: save())
    submit_button = QPushButton(_("Submit for review"), parent)
    submit_button.clicked.connect(submit)
    names = QVBoxLayout()
    names.setSpacing(0)
    names.addWidget(title)
    names.addWidget(badge)
    row.addLayout(names, 1)
    row.addWidget(QLabel(_("Source:"), parent))
    row.addWidget(source)
    row.addWidget(save_button)
    row.addWidget(submit_button)
    return HeaderBar(row, title, badge, source, save_button, submit_button)


def badge_html(c: Customer | None) -> str:
    """The customer's code (marked provisional until approval) and status, in its colour."""
    if c is None:
        return ""
    kind = "" if c.code_official else _("(provisional)")
    status = translate(STATUS_MSGIDS[c.status])
    if c.closed:  # 销户: what the list says of it too (app/ui/records/table_model.CLOSED)
        return f'{html_escape(c.code or "")} {kind} · <span style="color:{MUTED}">{translate(CLOSED)}</span>'
    return f'{html_escape(c.code or "")} {kind} · <span style="color:{status_color(c.status)}">{status}</span>'

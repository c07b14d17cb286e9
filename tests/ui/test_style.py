"""The application style (app/ui/style.py) is set once: applying it again leaves the widgets alone
(Qt re-polishes every live widget on setStyleSheet/setFont even with the same value, which made each
UI test slower than the one before), and a style that is not in force is put back."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLineEdit

from app.ui import style


class Changes(QObject):
    """Counts the style and font changes a widget is told of."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[QEvent.Type] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange):
            self.seen.append(event.type())
        return False


def test_applying_the_style_again_leaves_the_widgets_alone_and_a_lost_style_is_put_back(qtbot, qapp) -> None:
    style.apply_style(qapp)
    assert qapp.styleSheet() == style.STYLE
    assert qapp.font().pointSize() >= style.MIN_POINT_SIZE
    font = qapp.font()
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    changes = Changes()
    edit.installEventFilter(changes)

    style.apply_style(qapp)
    qapp.processEvents()
    assert changes.seen == [] and qapp.styleSheet() == style.STYLE and qapp.font() == font

    qapp.setStyleSheet("")  # someone else's style: applying ours sets it again, and the widget hears of it
    changes.seen.clear()
    style.apply_style(qapp)
    qapp.processEvents()
    assert qapp.styleSheet() == style.STYLE and QEvent.Type.StyleChange in changes.seen

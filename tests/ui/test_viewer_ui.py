"""A territory viewer (辖区查看) in the desktop app: reports only, so no action that writes a customer is
offered (new customer, import, visits, checks); the form's fields are all read-only for the role. The
server refuses a viewer's writes in any case (tests/sync/test_viewer_sync.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from app.models.wire import UserRole
from app.ui.main_window import MainWindow


def test_a_viewer_is_offered_no_action_that_writes(qtbot, ctx) -> None:
    win = MainWindow(ctx, ctx.session.form, "tester", UserRole.VIEWER)
    qtbot.addWidget(win)
    win.show()
    writing = [win.act_new, win.act_import, *win.customer_actions]
    assert not any(a.isVisible() for a in writing)
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # the shortcut does nothing either
    assert win.panel.form_widget.customer is None and not win.panel.form_widget.isVisible()
    win.panel.show_customer(None)  # an empty form, as Ctrl+N would show it: nothing can be typed in
    shop = win.panel.form_widget.rows["shop_name"].editor.findChild(QLineEdit)
    assert shop is not None and shop.isReadOnly()
    page = win.panel.writing_buttons()  # the page's own: Save, Submit, signature, change request, visits, records
    assert len(page) == 13 and all(b.isHidden() for b in page)  # hidden, not only in another tab
    win.set_role(UserRole.COLLECTOR)
    assert all(a.isVisible() for a in writing)
    assert not any(b.isHidden() for b in page)
    win.panel.show_customer(None)
    assert not shop.isReadOnly()  # the same form, for a collector

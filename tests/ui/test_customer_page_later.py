"""The main window opens with its list and without the customer's page (the form's editors, the visits, the
history…, the costliest part of the window): the page is built just after the list is painted, or at once
when something uses it first (issue 21, the unlock goal). Nothing a user does finds it missing."""

from __future__ import annotations

from app.models.wire import UserRole
from app.services import records
from app.ui.main_window import MainWindow
from app.ui.records.form import CustomerForm


def window(qtbot, ctx, role: UserRole = UserRole.COLLECTOR) -> MainWindow:
    win = MainWindow(ctx, ctx.session.form, "tester", role)
    qtbot.addWidget(win)
    return win


def test_the_page_is_built_after_the_list_is_shown_not_with_the_window(qtbot, ctx) -> None:
    records.save_draft(ctx.session, {"shop_name": "王记商店", "address": "西安市碑林区南大街1号"})
    win = window(qtbot, ctx)
    assert win.panel.findChildren(CustomerForm) == []  # the window is up, its list asked for, no form yet
    assert win.panel.customer is None and not win.panel.is_dirty()
    assert win.list_panel.model.rowCount() == 1
    qtbot.waitUntil(lambda: len(win.panel.findChildren(CustomerForm)) == 1, timeout=5000)
    assert win.panel.stack.currentIndex() == 0  # built, not shown: "choose a customer"


def test_a_customer_opened_before_the_page_was_built_is_shown(qtbot, ctx) -> None:
    customer, _report = records.save_draft(ctx.session, {"shop_name": "李记商店", "address": "西安市碑林区南大街2号"})
    win = window(qtbot, ctx, UserRole.SUPERVISOR)
    win.show()
    win.panel.show_customer(customer)  # at once: the page is built for it
    assert win.panel.stack.currentIndex() == 1 and win.panel.customer_id == customer.id
    assert win.panel.form_widget.isVisible() and win.panel.form_widget.role is UserRole.SUPERVISOR
    assert win.windowTitle().startswith("李记商店 — ")
    assert len(win.panel.findChildren(CustomerForm)) == 1


def test_the_page_takes_the_role_and_form_in_force_when_it_is_built(qtbot, ctx) -> None:
    win = window(qtbot, ctx)
    win.set_role(UserRole.VIEWER)  # before the page exists
    buttons = win.panel.writing_buttons()  # builds it
    assert buttons and all(not b.isVisibleTo(win.panel) for b in buttons)
    assert win.panel.form_widget.role is UserRole.VIEWER and win.panel.form_widget.form is ctx.form


def test_the_window_keeps_its_size_when_the_page_arrives(qtbot, ctx) -> None:
    records.save_draft(ctx.session, {"shop_name": "张记商店"})
    win = window(qtbot, ctx)
    win.resize(1280, 720)
    win.show()
    qtbot.waitExposed(win)
    before = win.size()
    qtbot.waitUntil(lambda: len(win.panel.findChildren(CustomerForm)) == 1, timeout=5000)
    qtbot.wait(50)
    assert win.size() == before and before.width() <= 1280 and before.height() <= 720
    assert win.minimumSizeHint().width() <= 1280 and win.minimumSizeHint().height() <= 720

"""The customer's page (the form's editors) is built while the archive is being opened (issue 21): the GUI
thread is idle while the DB thread derives the key, and the main window then takes the page built for its form."""

from __future__ import annotations

import dataclasses

from app.models.catalogue import load_form
from app.models.wire import UserRole
from app.settings import Settings
from app.ui.controller import AppController
from app.ui.records.customer_panel import CustomerPanel
from app.ui.tasks import TaskRunner
from tests.conftest import PASSPHRASE


def _controller(qapp) -> AppController:
    controller = AppController(qapp, Settings(), "default", TaskRunner(inline=True))
    controller.start()
    return controller


def _close(controller: AppController) -> None:
    controller.ctx.session.close()
    controller.ctx.session = None


def test_giving_the_passphrase_starts_building_the_page(qtbot, qapp, home, created) -> None:
    controller = _controller(qapp)
    dialog = controller.unlock_dialog
    dialog.passphrase.setText("not the passphrase")
    with qtbot.waitSignal(dialog.sig_opening, timeout=1000):
        dialog.try_unlock()
    qtbot.waitUntil(lambda: controller.page is not None, timeout=5000)  # built though the passphrase was wrong…
    form, page = controller.page
    assert form == load_form() and isinstance(page, CustomerPanel)
    dialog.passphrase.setText(PASSPHRASE)
    dialog.try_unlock()  # …and kept for the next try
    win = controller.window
    qtbot.addWidget(win)
    assert win.panel is page and controller.page is None
    assert page.window() is win
    win.new_customer()
    page.form_widget.rows["shop_name"].editor.edit.setText("开锁时建好的页")
    page.form_widget._edited("shop_name")
    assert page.is_dirty()
    _close(controller)


def test_the_window_sets_the_pages_role(qtbot, qapp, home, created) -> None:
    controller = _controller(qapp)
    controller._build_page()  # built for a collector, as the dialog's signal does
    page = controller.page[1]
    controller.unlock_dialog.passphrase.setText(PASSPHRASE)
    controller.unlock_dialog.try_unlock()
    win = controller.window
    qtbot.addWidget(win)
    win.set_role(UserRole.ADMIN)
    assert win.panel is page and page.tabs.isTabVisible(page.access_tab)
    _close(controller)


def test_a_page_built_for_another_form_is_dropped(qtbot, qapp, home, created) -> None:
    controller = _controller(qapp)
    controller.ctx.form = dataclasses.replace(load_form(), version=99)  # as if a newer form had been in force
    controller._build_page()
    stale = controller.page[1]
    controller.unlock_dialog.passphrase.setText(PASSPHRASE)
    controller.unlock_dialog.try_unlock()
    win = controller.window
    qtbot.addWidget(win)
    assert win.panel is not stale and controller.page is None
    assert win.panel.form_widget.form.version == controller.ctx.form.version
    _close(controller)

"""With real threads: every archive access happens on the one DB thread; long work can be cancelled;
a crash while editing loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QPushButton

from app.services import records
from app.services.sheet_results import ImportMode
from app.settings import Settings
from app.ui.controller import AppController
from app.ui.tasks import TaskRunner
from tests.conftest import PASSPHRASE
from tests.consent import CONSENT_CELLS

ROOT = Path(__file__).resolve().parents[2]


def test_save_on_the_db_thread_updates_the_list(qtbot, running) -> None:
    win = running.window
    win.new_customer()
    form = win.panel.form_widget
    form.rows["shop_name"].editor.edit.setText("线程测试店")
    form._edited("shop_name")
    form.save()
    qtbot.waitUntil(lambda: form.customer is not None, timeout=5000)
    qtbot.waitUntil(lambda: win.list_panel.model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: win.summary.text().startswith("共 1 户"), timeout=5000)


def test_a_long_import_can_be_cancelled_and_changes_nothing(qtbot, running, tmp_path, monkeypatch) -> None:
    from app.ui import import_preview, sheets_flow

    path = tmp_path / "big.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["店铺名称", "联系电话", *CONSENT_CELLS])
    for i in range(20_000):
        ws.append([f"商店{i}", f"139{i:08d}", *CONSENT_CELLS.values()])
    wb.save(path)
    win = running.window
    previews = []
    monkeypatch.setattr(import_preview.ImportPreview, "open", lambda self: previews.append(self))
    monkeypatch.setattr(sheets_flow.QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    sheets_flow.choose_import(running.ctx, win)
    qtbot.waitUntil(lambda: bool(previews), timeout=60_000)
    assert previews[0].result.rows == 20_000 and not previews[0].result.has_errors
    previews[0]._import(ImportMode.WRITE)
    dialog = next(d for d in win.findChildren(QProgressDialog) if d.isVisible())
    qtbot.waitUntil(lambda: "500 行" in dialog.labelText(), timeout=30_000)  # the import is running …
    dialog.findChild(QPushButton).click()  # … and the user cancels it
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
    count = running.runner.call_db(lambda: running.ctx.session._archive.customers.count())
    assert count == 0


WRITER = r"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from app.main import make_app
from app.services import session as ss
from app.settings import Settings
from app.ui.context import UiContext
from app.ui.records.form import CustomerForm
from app.ui.tasks import TaskRunner
app = make_app()
ctx = UiContext(TaskRunner(), Settings())
ctx.session = ctx.runner.call_db(lambda: ss.unlock(passphrase=sys.argv[1]))
form = CustomerForm(ctx, ctx.session.form)
form.load(None)
form.rows["shop_name"].editor.edit.setText("崩溃前在填的店")
form._edited("shop_name")
form.rows["contact_phone"].editor.edit.setText("1381234")
form._edited("contact_phone")
deadline = time.time() + 20
while time.time() < deadline:
    app.processEvents()
    if ctx.runner.call_db(lambda: ctx.session._archive.autosave.all()):
        print("autosaved", flush=True)
        break
    time.sleep(0.05)
time.sleep(60)
"""


def test_a_form_being_edited_survives_a_crash_and_is_offered_back(qtbot, qapp, created, home) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, PASSPHRASE], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout.readline().strip() == "autosaved", proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    controller = AppController(qapp, Settings(), "default", TaskRunner(inline=True))
    boxes = []
    import app.ui.controller as controller_mod

    original = controller_mod.QMessageBox.open
    controller_mod.QMessageBox.open = lambda box: boxes.append(box)
    try:
        controller.start()
        controller.unlock_dialog.passphrase.setText(PASSPHRASE)
        controller.unlock_dialog.try_unlock()
        qtbot.addWidget(controller.window)
        assert boxes and "恢复" in boxes[0].text()
        boxes[0].done(QMessageBox.StandardButton.Yes)
        form = controller.window.panel.form_widget
        assert form.rows["shop_name"].editor.edit.text() == "崩溃前在填的店"
        assert form.rows["contact_phone"].editor.edit.text() == "1381234"  # even the half-typed, invalid text
        assert form.is_dirty()
        form.save()
        assert records.autosaved(controller.ctx.session) == []
    finally:
        controller_mod.QMessageBox.open = original
        controller.ctx.session.close()
        controller.ctx.session = None

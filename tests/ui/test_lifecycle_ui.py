"""The outlet's lifecycle in the desktop app (docs/domain.md, "The archive's lifecycle"): a market manager
closes an outlet (销户) from the Customer menu with a date and a reason, the form turns read-only with a
banner saying when, why and by whom, the list leaves it out unless "包括已销户" (then greyed, 已销户), the
status bar counts it apart; reopening undoes it; a collector sees neither action. And an admin's "到期销毁"
page over a real server: the record due is listed and destroyed after a confirmation with a reason, logged
on the server, and erased from this archive at the next sync."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QLineEdit

from app.models import times
from app.models.wire import UserRole
from app.services import records
from app.ui.admin.retention import DestroyDialog
from app.ui.main_window import MainWindow
from app.ui.records.closure import ClosureDialog
from app.ui.records.table_model import Column
from tests.complete import complete_customers
from tests.ui.test_admin_ui import seed, settle, sign_in_as
from tests.ui.test_sync_ui import on_db, status_text


def _dialogs(monkeypatch: Any, cls: Any) -> list[Any]:
    seen: list[Any] = []
    monkeypatch.setattr(cls, "open", lambda self: seen.append(self))
    return seen


def _read_only(form: Any, key: str) -> bool:
    edits = form.rows[key].editor.findChildren(QLineEdit)
    assert edits
    return all(e.isReadOnly() for e in edits)


def _status_cell(win: MainWindow, customer_id: str) -> tuple[str, str]:
    model = win.list_panel.model
    for i in range(model.rowCount()):
        model.row_at(i)  # the rows load in windows, on demand
    row = model.row_of(customer_id)
    assert row is not None
    index = model.index(row, Column.STATUS)
    brush = model.data(model.index(row, Column.SHOP), Qt.ItemDataRole.ForegroundRole)
    return model.data(index), brush.color().name() if brush is not None else ""


def test_a_market_manager_closes_and_reopens_an_outlet(qtbot, ctx, monkeypatch) -> None:
    ctx.session.role = "supervisor"
    ids = [records.save_draft(ctx.session, v)[0].id for v in complete_customers(ctx.session, 3, seed=18)]
    win = MainWindow(ctx, ctx.session.form, "tester", UserRole.SUPERVISOR)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.list_panel.model.rowCount() == 3, timeout=5000)
    qtbot.waitUntil(lambda: win.summary.text().startswith("共 3 户"), timeout=5000)
    close, reopen = win.closure.close_action, win.closure.reopen_action
    assert close.isVisible() and reopen.isVisible()
    assert not close.isEnabled() and not reopen.isEnabled()  # no customer open
    win.open_customer(ids[0])
    form = win.panel.form_widget
    assert form.customer is not None and form.customer.id == ids[0]
    assert close.isEnabled() and not reopen.isEnabled() and not form.banner.isVisible()

    dialogs = _dialogs(monkeypatch, ClosureDialog)
    close.trigger()
    d = dialogs[-1]
    assert d.windowTitle() == "销户"
    today = times.today()
    assert d.day.maximumDate() == QDate(today.year, today.month, today.day)  # not in the future
    d._accept()  # no reason yet
    assert not d.result() and d.error.text() == "请说明销户或恢复的原因。"
    day = today - dt.timedelta(days=40)
    d.day.setDate(QDate(day.year, day.month, day.day))
    d.reason.setText("许可证已注销")
    d._accept()
    assert d.result() == 1
    # the form: read-only, with when, why and by whom
    qtbot.waitUntil(lambda: form.banner.isVisible(), timeout=5000)
    assert form.customer is not None and form.customer.closed
    text = form.banner.text()
    assert f"已于 {day.isoformat()} 由 tester 销户：许可证已注销" in text and "档案只读" in text
    assert not form.save_button.isEnabled() and not form.submit_button.isEnabled()
    assert "已销户" in form.badge.text() and "草稿" not in form.badge.text()  # the header says so as the list does
    assert _read_only(form, "shop_name") and _read_only(form, "contact_phone")
    assert not close.isEnabled() and reopen.isEnabled()
    stored = ctx.session._archive.customers.get(ids[0])
    assert stored.closure["state"] == "closed" and stored.closure["day"] == day.isoformat()
    # the list leaves it out; the status bar counts it apart
    qtbot.waitUntil(lambda: win.list_panel.model.rowCount() == 2, timeout=5000)
    qtbot.waitUntil(lambda: win.summary.text().startswith("共 2 户"), timeout=5000)
    assert win.summary.text().endswith("已销户 1 户")
    lp = win.list_panel
    assert lp.include_closed.text() == "包括已销户"
    lp.include_closed.setChecked(True)
    qtbot.waitUntil(lambda: lp.model.rowCount() == 3, timeout=5000)
    assert _status_cell(win, ids[0]) == ("已销户", "#6b6b6b")
    assert _status_cell(win, ids[1])[0] != "已销户" and _status_cell(win, ids[1])[1] != "#6b6b6b"
    assert lp.count.text() == "3 户客户"

    # reopened with a reason: editable again, back in the working list and counts
    reopen.trigger()
    d = dialogs[-1]
    assert d.windowTitle() == "恢复客户" and d.action == "reopen"
    d._accept()
    assert not d.result() and d.error.text() == "请说明销户或恢复的原因。"
    d.reason.setText("复业，已重新办证")
    d._accept()
    qtbot.waitUntil(lambda: not form.banner.isVisible(), timeout=5000)
    assert form.customer is not None and not form.customer.closed and form.save_button.isEnabled()
    assert "已销户" not in form.badge.text()
    assert not _read_only(form, "contact_phone")
    lp.include_closed.setChecked(False)
    qtbot.waitUntil(lambda: lp.model.rowCount() == 3, timeout=5000)
    qtbot.waitUntil(lambda: win.summary.text().startswith("共 3 户"), timeout=5000)
    assert "已销户" not in win.summary.text()
    assert close.isEnabled() and not reopen.isEnabled()
    # a collector reports a cancelled licence through the status, as before: neither action is shown
    win.set_role(UserRole.COLLECTOR)
    assert not close.isVisible() and not reopen.isVisible()


def test_a_closed_outlet_s_form_is_read_only_for_everyone(qtbot, ctx, monkeypatch) -> None:
    """Closed by the market manager, then seen by the collector: the banner and read-only form stay."""
    ctx.session.role = "supervisor"
    cid = records.save_draft(ctx.session, complete_customers(ctx.session, 1, seed=19)[0])[0].id
    win = MainWindow(ctx, ctx.session.form, "tester", UserRole.SUPERVISOR)
    qtbot.addWidget(win)
    win.show()
    win.open_customer(cid)
    dialogs = _dialogs(monkeypatch, ClosureDialog)
    win.closure.close_action.trigger()
    dialogs[-1].reason.setText("门店已拆除")
    dialogs[-1]._accept()
    form = win.panel.form_widget
    qtbot.waitUntil(lambda: form.banner.isVisible(), timeout=5000)
    win.set_role(UserRole.COLLECTOR)
    assert form.banner.isVisible() and "门店已拆除" in form.banner.text()
    assert not form.save_button.isEnabled()
    assert not win.closure.close_action.isVisible()


def test_an_admin_destroys_a_record_due_from_the_admin_area(
    qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path
) -> None:
    srv.stop()
    backups = tmp_path / "backups"
    backups.mkdir()
    # the retention ends at once (test deployment); the backups are kept in a folder the server knows
    srv.start(env={"FIELDARCHIVE_RETENTION_CLOSED_DAYS": "0", "FIELDARCHIVE_BACKUP_FOLDER": str(backups)})
    srv.admin("user", "add", "boss", "--role", "admin")
    seed(srv, tmp_path)
    sign_in_as(qtbot, running, srv, monkeypatch, "boss")
    win = running.window
    qtbot.waitUntil(lambda: win.list_panel.model.rowCount() == 5, timeout=20_000)
    # the rows' window loads after the count (the list reads it off the UI thread)
    qtbot.waitUntil(lambda: win.list_panel.model.customer_id(0) is not None, timeout=20_000)
    target = win.list_panel.model.customer_id(0)
    assert target is not None
    # the admin closes it (an admin may), and the close reaches the server
    win.open_customer(target)
    qtbot.waitUntil(lambda: win.closure.close_action.isEnabled(), timeout=10_000)
    closing = _dialogs(monkeypatch, ClosureDialog)
    win.closure.close_action.trigger()
    closing[-1].reason.setText("许可证注销")
    closing[-1]._accept()
    qtbot.waitUntil(lambda: win.panel.form_widget.banner.isVisible(), timeout=10_000)
    win.coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: on_db(running, records.waiting) == 0, timeout=30_000)

    win.act_admin.trigger()
    area = win.admin_window
    assert area is not None
    area.tabs.setCurrentWidget(area.retention)
    page = area.retention
    assert area.tabs.tabText(area.tabs.currentIndex()) == "到期销毁"
    settle(qtbot, page)
    assert page.table.rowCount() == 1 and page.table.item(0, 1).text() == target
    assert page.table.item(0, 2).text() == "已销户" and page.count.text() == "1 份档案到期待销毁。"
    page.ask_destroy()  # nothing chosen
    assert page.status.text() == "请选择要销毁的档案。"
    page.table.selectRow(0)
    confirm = _dialogs(monkeypatch, DestroyDialog)
    page.ask_destroy()
    d = confirm[-1]
    assert "此操作无法撤销" in d.warning.text() and "1 份档案" in d.warning.text()
    d._accept()
    assert not d.result() and d.error.text() == "请说明销毁的原因（销毁决定或其文号）。"
    d.reason.setText("2031 年度销毁决定第 3 号")
    key = tmp_path / "backup.key"
    srv.admin("backup-key", str(key))
    srv.admin("backup", f"{backups}/", "--key-file", str(key))  # made before: it still holds the record
    (made,) = [p.name for p in backups.iterdir()]
    d._accept()
    settle(qtbot, page)
    assert page.status.text() == (
        f"已销毁 1 份档案；各台电脑在下次同步时删除。 此前的 1 份备份仍含这些记录，直至按轮换规则删除：{made}。"
    )
    assert page.table.rowCount() == 0 and page.count.text() == "没有到期待销毁的档案。"
    log = srv.admin("retention", "log").stdout
    assert target in log and "boss" in log and "2031 年度销毁决定第 3 号" in log
    admin_log = srv.admin("admin-log", "--limit", "50").stdout
    assert "retention.destroy" in admin_log and "retention.due" in admin_log
    # this computer erases it at its next sync
    win.coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: on_db(running, lambda s: records.get(s, target)) is None, timeout=30_000)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)

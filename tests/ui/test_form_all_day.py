"""The form as staff use it all day (issue 16): a value with an error is neither filled in nor silent
(the side list and the navigator say what is wrong and where, the unsaved-changes question names it),
a submitted record is read-only at once, Ctrl+N starts typing in the new form, a draft without a shop
name is called by its code, and the status bar counts what waits to be sent right after a save."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.models.record import CustomerStatus
from app.models.sync_status import SyncState, SyncStatus
from app.services import records
from app.services.demo import generate
from app.ui.records.form import CustomerForm
from app.ui.records.submit_dialog import SubmitDialog
from app.ui.records.table_model import Column
from tests.consent import CONSENT
from tests.ui.conftest import type_text
from tests.ui.test_sync_ui import sign_in, status_text

BAD_ID = "110101199003071234"  # the check character should be 3
GOOD_ID = "110101199003071233"


@pytest.fixture
def form(qtbot, ctx):
    f = CustomerForm(ctx, ctx.session.form)
    qtbot.addWidget(f)
    f.load(None)
    f.resize(1100, 900)
    f.show()
    qtbot.waitExposed(f)
    return f


def fill(form: CustomerForm, values: dict[str, Any]) -> None:
    for key, value in values.items():
        form.rows[key].editor.set_value(value)
        form._edited(key)
    form.validate_record()


def items(form: CustomerForm) -> list[tuple[str | None, str]]:
    return [
        (form.missing_list.item(i).data(256), form.missing_list.item(i).text())
        for i in range(form.missing_list.count())
    ]


def section(form: CustomerForm, group: str):
    return next(form.sections.item(i) for i in range(form.sections.count()) if form.sections.item(i).data(256) == group)


def retype(form: CustomerForm, key: str, text: str) -> None:
    edit = form.rows[key].editor.edit
    edit.clear()
    type_text(edit, text)
    form.rows[key].editor.sig_left.emit()


def test_a_value_with_an_error_is_not_filled_in_and_the_list_says_what_is_wrong_and_where(form, ctx) -> None:
    fill(form, next(generate(1, seed=9, today=ctx.session.today())))
    retype(form, "id_card", GOOD_ID)
    filled, missing_before = form.progress.value(), len(form.report.missing)
    assert all(key is not None for key, _text in items(form))  # nothing wrong: no headings, the empty fields only
    retype(form, "id_card", BAD_ID)
    assert form.progress.value() < filled  # no longer counted as filled in
    lines = items(form)
    assert lines[0] == (None, "有错误的值：1")  # a heading of its own, before the empty fields
    key, text = lines[1]
    assert key == "id_card" and text.startswith("负责人身份证号码") and "校验" in text  # what is wrong, and where
    assert (None, f"尚未填写的必填项：{missing_before}") in lines
    assert len(form.report.missing) == missing_before  # not "empty" either: it is wrong
    assert "1 个值有错误" in form.missing_title.text()
    group = form.form["id_card"].group
    entry = section(form, group)
    assert entry.text().endswith(f"({form.missing_by_group()[group] + 1})")  # counted in its section
    assert "校验" in entry.toolTip() and entry.foreground().color().name() == "#c62828"
    form.missing_list.itemClicked.emit(form.missing_list.item(1))  # the line leads to the field
    assert QApplication.focusWidget() is form.rows["id_card"].editor.edit
    form.missing_list.itemClicked.emit(form.missing_list.item(0))  # a heading leads nowhere, and does not fail
    retype(form, "id_card", GOOD_ID)  # corrected: the heading and the line go, the bar is back
    assert form.progress.value() == filled and all(k is not None for k, _t in items(form))


def test_a_date_that_contradicts_another_is_not_counted_as_filled_in(form, ctx) -> None:
    fill(form, next(generate(1, seed=9, today=ctx.session.today())))
    retype(form, "licence_issue_date", "2020-03-01")
    retype(form, "licence_expiry_date", "2022-03-01")
    before = form.report.required_filled
    retype(form, "licence_issue_date", "2023-03-01")  # issued after it expired
    assert form.report.required_filled == before - 1
    assert "licence_issue_date" not in {i.field for i in form.report.missing}  # wrong, not empty
    assert any(k == "licence_issue_date" and "发证日期" in t for k, t in items(form))


def test_after_a_save_with_an_error_the_question_on_leaving_names_the_value(form, ctx, monkeypatch) -> None:
    from app.ui.records.customer_panel import CustomerPanel

    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    panel = CustomerPanel(ctx, ctx.session.form)
    f = panel.form_widget
    panel.show_customer(None)
    fill(f, next(generate(1, seed=9, today=ctx.session.today())))
    retype(f, "id_card", BAD_ID)
    f.save()
    assert f.customer is not None and f.is_dirty()  # the wrong number is not stored: still unsaved
    assert f.changed_values() == {"id_card": BAD_ID}  # and nothing else differs after normalisation
    left: list[bool] = []
    panel.confirm_leave(lambda: left.append(True))
    text = panel.leave_box.text()
    assert not left and "身份证号" in text and "校验" in text and "无法保存" in text
    # once corrected and saved, leaving asks nothing
    retype(f, "id_card", GOOD_ID)
    f.save()
    assert not f.is_dirty()
    panel.confirm_leave(lambda: left.append(True))
    assert left == [True]


def test_the_question_on_leaving_names_the_changed_fields(form, ctx, monkeypatch) -> None:
    from app.ui.records.customer_panel import CustomerPanel

    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    cid = records.save_draft(ctx.session, {"shop_name": "老王烟酒店", "contact_phone": "13812345678", **CONSENT})[0].id
    panel = CustomerPanel(ctx, ctx.session.form)
    panel.show_customer(records.get(ctx.session, cid))
    assert panel.form_widget.changed_values() == {}  # a stored customer shown as it is: nothing to save
    retype(panel.form_widget, "contact_phone", "13912345678")
    panel.confirm_leave(lambda: None)
    label = panel.form_widget.rows["contact_phone"].spec.label_zh  # 联系电话 (a mobile or a landline)
    assert f"已修改：{label}" in panel.leave_box.text().splitlines()


def test_typing_while_a_save_runs_stays_unsaved(form) -> None:
    type_text(form.rows["shop_name"].editor.edit, "老王")
    raw = form.raw_values()
    type_text(form.rows["shop_name"].editor.edit, "烟酒店")  # typed after the save took the values
    customer = records.save_draft(form.ctx.session, raw)[0]
    form._saved(customer, raw)
    assert form.is_dirty()


def test_a_submitted_record_is_read_only_at_once(qtbot, ctx, monkeypatch) -> None:
    from app.ui.style import apply_style

    apply_style(QApplication.instance())
    f = CustomerForm(ctx, ctx.session.form)
    qtbot.addWidget(f)
    f.load(None)
    f.resize(1100, 900)
    f.show()
    qtbot.waitExposed(f)
    fill(f, next(generate(1, seed=9, today=ctx.session.today())))
    shop = f.rows["shop_name"].editor.edit
    assert not shop.isReadOnly() and f.save_button.isEnabled()
    monkeypatch.setattr(SubmitDialog, "open", lambda dialog: dialog.accept())
    qtbot.mouseClick(f.submit_button, Qt.MouseButton.LeftButton)
    assert f.customer is not None and f.customer.status is CustomerStatus.PENDING
    for row in f.rows.values():  # every field, at once: no reload
        widget = row.editor.focus_widget()
        assert not widget.isEnabled() or getattr(widget, "isReadOnly", lambda: False)(), row.spec.key
    assert not f.save_button.isEnabled() and not f.submit_button.isEnabled()
    QApplication.processEvents()  # the next paint
    image = shop.grab().toImage()
    assert image.pixelColor(image.width() - 4, 4).name() == "#f1f1f1"  # and it looks read-only
    type_text(shop, "改")
    assert not f.is_dirty()


def test_ctrl_n_puts_the_cursor_in_the_first_field_of_the_new_form_at_the_top(qtbot, running) -> None:
    win = running.window
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    form = win.panel.form_widget
    win.list_panel.focus_search()
    form.scroll.verticalScrollBar().setValue(300)
    assert QApplication.focusWidget() is win.list_panel.search
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.panel.stack.currentIndex() == 1, timeout=5000)
    first = next(r for r in form.rows.values() if form._editable(r.spec))
    assert QApplication.focusWidget() is first.editor.focus_widget()
    assert form.scroll.verticalScrollBar().value() == 0
    assert win.windowTitle().startswith("新建客户 — ")


def test_a_draft_without_a_shop_name_is_called_by_its_code(qtbot, running) -> None:
    win = running.window
    win.show()
    qtbot.waitExposed(win)
    win.new_customer()
    form = win.panel.form_widget
    edit = form.rows["contact_phone"].editor.edit
    edit.setText("13812345678")
    edit.textEdited.emit("13812345678")
    for key, value in (("consent_signed", True), ("consent_date", "2025-01-05"), ("consent_form", "written")):
        form.rows[key].editor.set_value(value)  # the phone is collected with the customer's consent
    form.save()
    qtbot.waitUntil(lambda: form.customer is not None, timeout=5000)
    code = form.customer.code
    assert code and form.title.text() == code and "新建客户" not in form.title.text()
    assert win.windowTitle().startswith(f"{code} — ")
    model = win.list_panel.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: model.data(model.index(0, Column.SHOP)) == code, timeout=5000)
    assert model.data(model.index(0, Column.SHOP), Qt.ItemDataRole.ForegroundRole).color().name() == "#6b6b6b"


def test_customer_actions_are_disabled_without_a_customer(qtbot, running) -> None:
    win = running.window
    assert win.customer_actions and not any(a.isEnabled() for a in win.customer_actions)
    win.new_customer()
    assert not any(a.isEnabled() for a in win.customer_actions)  # not saved yet


def test_the_status_bar_counts_what_waits_right_after_a_save(qtbot, running, srv, memory_keyring, monkeypatch) -> None:
    """It said "已是最新" for 20 s after an offline save: the save's change set carries the count."""
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    srv.stop()  # offline now, and the status bar does not know it yet
    win = running.window
    win.new_customer()
    form = win.panel.form_widget
    edit = form.rows["shop_name"].editor.edit
    edit.setText("离线保存的店")
    edit.textEdited.emit("离线保存的店")
    form.save()
    qtbot.waitUntil(lambda: form.customer is not None, timeout=5000)
    assert status_text(running) == "1 项修改等待发送"  # at once, in the save's own callback
    assert win.coordinator.after_save.isActive()  # the sync itself comes a little later, as before
    win.coordinator.after_save.stop()
    win.coordinator.sig_state.emit(SyncStatus(SyncState.OFFLINE))  # a failed sync: offline, and still counted
    edit.setText("离线保存的店二")
    edit.textEdited.emit("离线保存的店二")
    form.save()
    qtbot.waitUntil(lambda: not form.is_dirty(), timeout=5000)
    waiting = running.runner.call_db(lambda: running.ctx.session._archive.outbox.outbox_count())
    assert status_text(running).startswith("离线") and status_text(running).endswith(f"{waiting} 项修改等待发送")

"""Opening a change request from the desktop (申请修改…, issue 17) in the real app against a real server on
127.0.0.1, signed in as the customer manager c1: on a customer's page the dialog offers the paths of the role
and the fields of the path with their owning department; a wrong new value is refused before anything is sent,
with the form's own message; a path that is not the user's is refused by the server, in Chinese; a request on
the own-field path opens on the server and waits in the 待办; with the server gone the dialog says so."""

from __future__ import annotations

import json
from pathlib import Path

from app.ui.change_request_dialog import ChangeRequestDialog
from app.ui.onboarding_view import TodoWindow
from tests.server.helpers import demo_values
from tests.server.test_cli import write_xlsx
from tests.ui.test_report_ui import _menu_action
from tests.ui.test_sync_ui import on_db, sign_in, status_text

CODE = "610102008890"


def test_a_change_request_opened_from_the_customer_page(
    qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path
) -> None:
    rows = demo_values(1, seed=12)
    rows[0]["customer_code"] = CODE
    sheet = tmp_path / "customers.xlsx"
    write_xlsx(sheet, rows, ["customer_code", "shop_name", "licence_no", "region_code", "address"])
    srv.admin("import-customers", str(sheet), "--owner", "c1")
    win = running.window
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)
    customer = on_db(running, lambda s: s._archive.customers.by_code(CODE))
    assert customer is not None and customer.code_official
    win.panel.show_customer(customer)
    assert win.panel.change_button.isEnabled() and win.panel.change_button.text() == "申请修改…"
    d = win.panel.request_change()
    assert isinstance(d, ChangeRequestDialog)
    qtbot.addWidget(d)
    assert [d.path.itemData(i) for i in range(d.path.count())] == ["own", "county", "city", "emergency"]
    assert [d.path.itemText(i) for i in range(d.path.count())][0] == "自身维护权限内，当日维护"
    own = [d.field.itemData(i) for i in range(d.field.count())]
    assert "contact_name" in own and "shop_name" not in own and "photo_storefront" not in own
    assert d.add_field("shop_name") is None  # not the customer manager's own field
    assert d.phone.isHidden()

    # a wrong value: the form's own message, nothing sent
    d.set_path("county")
    phone = d.add_field("contact_phone")
    assert phone is not None
    phone.set_value("12345")
    d.note.setPlainText("客户来电要求修改")
    d.send()
    assert d.errors["contact_phone"].text().startswith("联系电话：")
    assert d.message.text().startswith("请先更正新值：联系电话：") and d.send_button.isEnabled()
    assert "市场部" in d.owner.text()

    # a path that is not c1's to open: the server's refusal, in Chinese
    phone.set_value("13912345678")
    d.set_path("emergency")
    assert not d.phone.isHidden()  # the emergency's phone call to the county
    d.set_path("city")
    assert d.phone.isHidden()
    assert "contact_phone" in d.editors
    d.send()
    qtbot.waitUntil(lambda: d.send_button.isEnabled(), timeout=20_000)
    assert d.message.text() == "这条路径不能由您为这位客户发起：请选择其他路径，或请相关部门发起。"
    assert srv.admin("change", "waiting", "--user", "c1").stdout.strip() == ""

    # the own path: the field of another path is taken off; a reason is required
    d.set_path("own")
    assert "contact_phone" not in d.editors and d.errors == {}
    d.send()
    assert d.message.text() == "请至少选择一个字段并填写新值。"
    name = d.add_field("contact_name")
    d.send()
    assert d.errors["contact_name"].text() == "联系人：新值与当前值相同。"
    name.set_value("王五六七")
    d.note.clear()
    d.send()
    assert d.message.text() == "请说明修改的原因。"
    d.note.setPlainText("店主更换联系人")
    d.send()
    qtbot.waitUntil(lambda: d.result_case is not None or d.send_button.isEnabled(), timeout=20_000)
    assert d.result_case is not None, d.message.text()
    case_id = d.result_case.case.case_id
    shown = json.loads(srv.admin("change", "show", case_id, "--user", "c1").stdout)
    assert shown["path"] == "own" and shown["items"][0]["changes"] == {"contact_name": "王五六七"}
    assert win.statusBar().currentMessage().startswith("已发起修改申请（自身维护权限内，当日维护）")

    # the new request waits in the 待办
    _menu_action(win, "待办…").trigger()
    w: TodoWindow = win.todo_window
    qtbot.waitUntil(lambda: w.changes.table.rowCount() == 1, timeout=20_000)
    assert [i.case_id for i in w.changes.items] == [case_id]

    # the server gone: the dialog says so and keeps what was typed
    d2 = win.panel.request_change()
    qtbot.addWidget(d2)
    d2.add_field("contact_name").set_value("赵六")
    d2.note.setPlainText("再次修改")
    srv.stop()
    d2.send()
    qtbot.waitUntil(lambda: d2.send_button.isEnabled(), timeout=30_000)
    assert "无法连接服务器" in d2.message.text() and d2.result_case is None


def test_a_customer_never_approved_offers_no_change_request_and_says_why(ctx, qtbot, monkeypatch) -> None:
    """A draft changes in its form and its review: 申请修改… is disabled with the reason as its tooltip (the
    server would refuse the request as ``change.not_onboarded`` after the user had filled it in)."""
    from PySide6.QtWidgets import QMessageBox

    from app.services import records
    from app.ui.records.customer_panel import CustomerPanel

    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    draft = records.save_draft(ctx.session, {"shop_name": "永辉商行"})[0]
    assert not draft.code_official
    panel = CustomerPanel(ctx, ctx.session.form)
    panel.show_customer(records.get(ctx.session, draft.id))
    assert not panel.change_button.isEnabled()
    assert "尚未审核通过" in panel.change_button.toolTip()
    panel.show_customer(None)
    assert not panel.change_button.isEnabled() and "尚未审核通过" not in panel.change_button.toolTip()

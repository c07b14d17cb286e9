"""The customer form: validation as typed, Chinese input, drafts with errors, submission, duplicates."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.models.record import CustomerStatus
from app.models.remote import FieldError, PushResult
from app.models.wire import ResultStatus, UserRole
from app.services import records
from app.services.demo import generate
from app.ui.records.form import CustomerForm
from tests.ui.conftest import commit_ime, type_text


@pytest.fixture
def form(qtbot, ctx):
    f = CustomerForm(ctx, ctx.session.form)
    qtbot.addWidget(f)
    f.load(None)
    f.resize(1100, 900)
    f.show()
    f.activateWindow()
    qtbot.waitExposed(f)
    return f


def edit(form, key):
    return form.rows[key].editor.edit


def message(form, key):
    return form.rows[key].message.text()


def test_chinese_typed_and_committed_by_an_input_method(form) -> None:
    type_text(edit(form, "shop_name"), "老王烟酒店")
    commit_ime(edit(form, "contact_name"), "王小明")
    assert edit(form, "shop_name").text() == "老王烟酒店"
    assert edit(form, "contact_name").text() == "王小明"
    assert form.is_dirty()


def test_errors_show_under_the_field_as_typed_and_clear(form) -> None:
    type_text(edit(form, "contact_phone"), "1381234")
    assert "11 位" in message(form, "contact_phone") and form.rows["contact_phone"].message.isVisible()
    assert edit(form, "contact_phone").property("validation") == "error"
    type_text(edit(form, "contact_phone"), "5678")
    assert message(form, "contact_phone") == "" and not form.rows["contact_phone"].message.isVisible()
    assert edit(form, "contact_phone").property("validation") == ""


def test_full_width_digits_are_accepted(form) -> None:
    type_text(edit(form, "contact_phone"), "１３８１２３４５６７８")
    assert message(form, "contact_phone") == ""


def test_cross_field_error_appears_when_leaving_the_field(form) -> None:
    type_text(edit(form, "licence_issue_date"), "2025-01-01")
    type_text(edit(form, "licence_expiry_date"), "2024-01-01")
    form.rows["licence_expiry_date"].editor.sig_left.emit()
    assert "发证日期必须早于" in message(form, "licence_issue_date")


def test_required_markers_and_read_only_fields(form) -> None:
    assert 'color:#c62828">*' in form.rows["shop_name"].label.text()  # national
    assert 'color:#1565c0">*' in form.rows["uscc"].label.text()  # provincial
    assert "*" not in form.rows["email"].label.text()
    assert edit(form, "customer_code").isReadOnly()  # system-generated
    assert not form.rows["credit_grade"].editor.combo.isEnabled()
    assert not form.rows["monitored"].editor.combo.isEnabled()  # supervisor only


def test_a_read_only_fields_tooltip_names_the_department_that_keeps_it(form) -> None:
    """Issue 17: "the form shows the owner of a read-only field" (``meta.owners``, app/models/owners.py)."""
    assert "维护部门：专卖管理部门。修改须交由该部门办理。" in form.rows["credit_grade"].label.toolTip()  # system
    assert "维护部门：县区营销部。" in form.rows["monitored"].label.toolTip()  # a market manager's (default owner)
    assert "维护部门" not in form.rows["shop_name"].label.toolTip()  # the collector changes it (with approval)
    form.set_role(UserRole.SUPERVISOR)
    assert "维护部门" not in form.rows["monitored"].label.toolTip()  # the market manager's own field now
    assert "维护部门：专卖管理部门" in form.rows["credit_grade"].label.toolTip()


def test_missing_list_jumps_to_the_field(qtbot, form) -> None:
    form.validate_record()
    assert form.missing_list.count() > 20
    item = next(
        form.missing_list.item(i)
        for i in range(form.missing_list.count())
        if form.missing_list.item(i).data(256) == "contact_phone"
    )
    form.missing_list.itemClicked.emit(item)
    assert QApplication.focusWidget() is edit(form, "contact_phone")


def test_enter_moves_to_the_next_field(qtbot, form) -> None:
    edit(form, "shop_name").setFocus()
    qtbot.keyClick(edit(form, "shop_name"), Qt.Key.Key_Return)
    assert QApplication.focusWidget() is not edit(form, "shop_name")


def test_draft_saves_with_errors_and_keeps_the_text(form, ctx) -> None:
    type_text(edit(form, "shop_name"), "老王烟酒店")
    type_text(edit(form, "contact_phone"), "12345")
    form.save()
    c = form.customer
    assert c is not None and c.status is CustomerStatus.DRAFT
    assert ctx.session._archive.customers.get(c.id).values.get("shop_name") == "老王烟酒店"
    assert "contact_phone" not in ctx.session._archive.customers.get(c.id).values
    assert edit(form, "contact_phone").text() == "12345"  # the wrong text stays for correction
    assert form.is_dirty()


def test_submit_is_blocked_by_errors_then_allowed(qtbot, form, ctx, monkeypatch) -> None:
    values = next(generate(1, seed=9, today=ctx.session.today()))
    ctx_form = ctx.session.form
    for key, value in values.items():
        editor = form.rows[key].editor
        editor.set_value(value)
    type_text(edit(form, "contact_phone"), "x")
    form.validate_record()
    form.submit()
    assert form.customer is None  # nothing saved, nothing submitted
    edit(form, "contact_phone").setText(values["contact_phone"])
    form._edited("contact_phone")
    from app.ui.records.submit_dialog import SubmitDialog

    def answer(dialog) -> None:
        assert not dialog.urgent.isEnabled()  # a new customer is not an emergency change
        dialog.note.setText("已实地核实")
        dialog.accept()

    monkeypatch.setattr(SubmitDialog, "open", answer)
    form.submit()
    c = form.customer
    stored = ctx.session._archive.customers.get(c.id)
    assert c is not None and stored.status is CustomerStatus.PENDING
    assert stored.review["note"] == "已实地核实" and stored.review["urgent"] is False
    del ctx_form


def test_duplicate_licence_warns_and_links_to_the_other_customer(qtbot, form, ctx, monkeypatch) -> None:
    other, _ = records.save_draft(ctx.session, {"shop_name": "老李商店", "licence_no": "610103100001"})
    type_text(edit(form, "licence_no"), "610103100001")
    form._check_duplicates()
    text = message(form, "licence_no")
    assert "老李商店" in text and f"customer:{other.id}" in text
    with qtbot.waitSignal(form.sig_open_customer) as blocker:
        form.rows["licence_no"].message.linkActivated.emit(f"customer:{other.id}")
    assert blocker.args == [other.id]
    from PySide6.QtWidgets import QLabel

    from app.ui.records.submit_dialog import SubmitDialog

    asked = []
    monkeypatch.setattr(
        SubmitDialog, "open", lambda d: asked.append(" ".join(w.text() for w in d.findChildren(QLabel)))
    )
    type_text(edit(form, "shop_name"), "新店")
    form.submit()
    assert asked and "老李商店" in asked[0]  # one confirmation lists the duplicate


def test_autosave_writes_the_typed_text_into_the_archive(qtbot, form, ctx) -> None:
    type_text(edit(form, "shop_name"), "未保存的店")
    type_text(edit(form, "contact_phone"), "12")
    form._autosave()
    saved = records.autosaved(ctx.session)
    assert len(saved) == 1 and saved[0][2]["raw"]["shop_name"] == "未保存的店"
    assert saved[0][2]["raw"]["contact_phone"] == "12"
    form.save()
    assert records.autosaved(ctx.session) == []  # saving clears it


def test_the_servers_refusal_shows_in_the_users_language(form, ctx) -> None:
    """The banner words the server's reasons from their codes (app.services.refusals), not its English."""
    s = ctx.session
    c, _ = records.save_draft(s, {"shop_name": "老王烟酒店", "credit_grade": "A"})
    ((row, _local),) = s._archive.outbox.outbox_heads(10)
    s._archive.outbox.apply_push_results(
        s.form,
        [
            (
                row,
                PushResult(
                    row.mutation_id,
                    ResultStatus.REJECTED,
                    errors=(
                        FieldError(
                            "credit_grade",
                            "readonly.new",
                            "Integrity grade is maintained by the system: leave it empty for a new customer.",
                            {},
                        ),
                        FieldError(None, "some.future_code", "A <new> reason.", {}),
                    ),
                ),
            )
        ],
        lambda values: records.quality(records.validate(s, values)),
    )
    form.load(s._archive.customers.get(c.id))
    text = form.banner.text()
    assert form.banner.isVisible() and "诚信等级由系统维护，新客户请留空。" in text
    assert "maintained" not in text and "A &lt;new&gt; reason." in text  # an unknown code: the server's words, escaped

"""Values this user may not see (issue 18, R10: 机密 / 绝密, the masked view) on the client: a customer holding the
server's placeholders (app.validation.secrecy) shows them as 已屏蔽（机密） in the form, read-only, in the list,
the printout and the export; saving the form keeps the placeholder (nothing to send), and a masked value is
nobody's duplicate; a change step's masked new value shows the words, and a signature's withheld picture (the
masked view) is neither fetched nor drawn."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from app.i18n import translate
from app.models.onboarding import CaseStep, ChangeItem, WaitingChange
from app.models.record import ListQuery
from app.models.remote import FeedChange, RemoteRecord
from app.models.signature import Signature
from app.models.wire import ChangeKind
from app.services import records
from app.services.changes import changes_text
from app.services.exporting import converter, export_value
from app.services.printing import basic_sections
from app.sync.engine import _photos_of
from app.ui.records.form import CustomerForm
from app.ui.records.signature import SignatureBox
from app.ui.records.table_model import Column, CustomerTableModel
from app.validation.secrecy import LABELS, placeholder

SECRET, PERSONAL, TOP = placeholder("secret"), placeholder("personal"), placeholder("top_secret")


@pytest.fixture
def masked_customer(ctx):
    values = {
        "shop_name": "老王烟酒店",
        "address": "西安市碑林区南大街1号",
        "id_card": SECRET,
        "contact_name": PERSONAL,
        "contact_phone": PERSONAL,
        "photo_owner": [TOP],
    }
    customer, report = records.save_draft(ctx.session, values)
    assert not report.errors, report.errors
    stored = ctx.session._archive.customers.get(customer.id).values
    assert stored["id_card"] == SECRET and stored["photo_owner"] == [TOP]
    return customer


def test_the_words_in_chinese() -> None:
    assert translate(LABELS["secret"], "zh_CN") == "已屏蔽（机密）"
    assert translate(LABELS["top_secret"], "zh_CN") == "已屏蔽（绝密）"
    assert translate(LABELS["personal"], "zh_CN") == "已屏蔽（个人信息）"


def test_the_form_shows_masked_values_read_only_and_keeps_them(qtbot, ctx, masked_customer) -> None:
    form = CustomerForm(ctx, ctx.session.form)
    qtbot.addWidget(form)
    form.load(masked_customer)
    form.show()
    qtbot.waitExposed(form)
    id_card = form.rows["id_card"].editor
    assert id_card._mask_label is not None and id_card._mask_label.isVisible()
    assert id_card._mask_label.text() == translate(LABELS["secret"])
    assert not id_card.edit.isVisible() and id_card.edit.isReadOnly()
    form.set_role(form.role)  # the role's read-only rules applied again: a masked value stays read-only
    assert id_card.edit.isReadOnly()
    photo = form.rows["photo_owner"].editor
    assert photo._mask_label is not None and photo._mask_label.text() == translate(LABELS["top_secret"])
    assert not photo.add_button.isVisible()
    # an open value is shown as usual
    assert form.rows["address"].editor.edit.isVisible()
    assert form.rows["address"].editor.edit.text() == "西安市碑林区南大街1号"
    masked = {"id_card", "contact_name", "contact_phone", "photo_owner"}
    assert [i for i in form.validate_record().errors if i.field in masked] == []  # nothing to check in them
    assert all(form.field_issues[k] == [] for k in masked)
    assert not form.is_dirty() and form.changed_values() == {}
    # editing another field and saving keeps the placeholders as they were
    form.rows["address"].editor.edit.setText("西安市碑林区南大街2号")
    form.rows["address"].editor.sig_edited.emit()
    form.save()
    stored = ctx.session._archive.customers.get(masked_customer.id).values
    assert stored["address"] == "西安市碑林区南大街2号"
    assert stored["id_card"] == SECRET and stored["contact_name"] == PERSONAL and stored["photo_owner"] == [TOP]
    # loading an unmasked customer into the same form shows its editors again
    form.load(None)
    assert not id_card._mask_label.isVisible() and id_card.edit.isVisibleTo(form)


def test_the_list_printout_and_export_show_the_words(qtbot, ctx, masked_customer) -> None:
    model = CustomerTableModel(ctx)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_query(ListQuery())
    row = next(i for i in range(model.rowCount()) if model.data(model.index(i, Column.SHOP)) == "老王烟酒店")
    assert model.data(model.index(row, Column.CONTACT), Qt.ItemDataRole.DisplayRole) == translate(LABELS["personal"])
    assert model.data(model.index(row, Column.PHONE)) == translate(LABELS["personal"])
    assert model.data(model.index(row, Column.ADDRESS)) == "西安市碑林区南大街1号"

    form = ctx.session.form
    printed = {label: value for s in basic_sections(form, masked_customer, "zh_CN", True) for label, value in s.rows}
    assert printed[form["id_card"].label("zh_CN")] == "已屏蔽（机密）"  # even where numbers are printed in full
    assert printed[form["contact_phone"].label("zh_CN")] == "已屏蔽（个人信息）"
    assert converter(form["id_card"], "zh_CN")(SECRET) == "已屏蔽（机密）"  # the export's cells
    assert converter(form["photo_owner"], "en")([TOP]) == "Masked (top secret)"
    assert export_value(form["contact_name"], PERSONAL, "zh_CN") == "已屏蔽（个人信息）"


def test_a_masked_value_is_nobodys_duplicate(ctx, masked_customer) -> None:
    other, _report = records.save_draft(ctx.session, {"shop_name": "张记商店", "id_card": SECRET})
    dups = ctx.session._archive.duplicates.find(ctx.session.form, {"id_card": SECRET}, exclude=[other.id])
    assert dups == []


def test_a_change_step_shows_the_words_for_a_value_it_may_not_see(ctx) -> None:
    step = CaseStep(
        1, "apply", "Apply", "department:market", "市场部", None, None, None, None, None, None, "", False, None
    )
    item = ChangeItem("r1", "610100000001", "老王烟酒店", {"contact_phone": SECRET, "order_method": "phone"})
    waiting = WaitingChange("c1", "emergency", 3, (item,), step, frozenset({"apply"}), False)
    text = changes_text(waiting, ctx.session.form)
    assert translate(LABELS["secret"]) in text and SECRET not in text and "老王烟酒店" in text


def test_a_withheld_signature_picture_is_neither_fetched_nor_drawn(qtbot, ctx, masked_customer) -> None:
    sig = {"id": "s1", "signed_on": "2026-12-01", "image": PERSONAL, "fields": {}, "digest": "", "changed": []}
    real = {**sig, "id": "s2", "image": "b" * 64}
    rec = RemoteRecord(masked_customer.id, 2, "draft", {}, signatures=(sig, real))
    assert _photos_of([FeedChange(1, ChangeKind.RECORD, rec)], frozenset()) == ["b" * 64]
    box = SignatureBox(ctx, ctx.session.form)
    qtbot.addWidget(box)
    box._show([Signature("s1", masked_customer.id, "2026-12-01", PERSONAL, state="synced")])
    assert box.thumb.text() == translate(LABELS["personal"]) and box.thumb.pixmap().isNull()

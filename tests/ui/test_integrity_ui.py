"""The customer's "诚信档案" tab on a real archive: an entry and a complaint entered through their dialogs,
a bad value refused with its message in the dialog, the complainant masked in the list, the grade legend."""

from __future__ import annotations

from PySide6.QtCore import QDate

from app.i18n import translate
from app.models import times
from app.services import integrity, records
from app.ui.records.credit import CreditView
from app.ui.records.form import CustomerForm
from app.ui.records.integrity import ComplaintDialog, EntryDialog, IntegrityView, StepDialog
from app.validation.integrity import GRADE_DEFINITIONS


def _draft(session, name: str) -> str:
    c, _ = records.save_draft(session, {"shop_name": name})
    return c.id


def test_entries_and_complaints_through_the_tab(qtbot, ctx) -> None:
    cid = _draft(ctx.session, "诚信档案测试店")
    view = IntegrityView(ctx)
    qtbot.addWidget(view)
    view.load(cid)
    assert view.entries.rowCount() == 0 and view.add_entry.isEnabled() and not view.step.isEnabled()

    d = EntryDialog(ctx, cid, view)
    qtbot.addWidget(d)
    d.kind.setCurrentIndex(d.kind.findData("violation"))
    d.save()  # no text yet: refused, with the message in the dialog
    assert d.error.text() and integrity.entries(ctx.session, cid) == []
    d.text.setPlainText("超范围经营")
    d.handling.setPlainText("责令整改")
    d.date.setDate(QDate(2026, 3, 2))
    d.sig_done.connect(lambda _e: view.load(cid))
    d.save()
    assert view.entries.rowCount() == 1
    assert view.entries.item(0, 0).text() == "2026-03-02" and view.entries.item(0, 3).text() == "超范围经营"

    c = ComplaintDialog(ctx, cid, view)
    qtbot.addWidget(c)
    c.content.setPlainText("价格不明示")
    c.name.setText("王小明")
    c.phone.setText("abc")
    c.save()
    assert c.error.text() and integrity.complaints(ctx.session, cid) == []
    c.phone.setText("13912345678")
    c.sig_done.connect(lambda _c: view.load(cid))
    c.save()
    assert view.complaints.rowCount() == 1
    assert view.complaints.item(0, 2).text() == "王**" and view.complaints.item(0, 3).text() == "139****5678"
    assert view.complaints.item(0, 5).text() == "已受理"  # the state, not the column "受理日期"
    assert view.complaints.horizontalHeaderItem(0).text() == "受理日期"
    today = times.today()
    assert view.complaints.item(0, 7).text() == ctx.session.calendar.add_workdays(today, 5).isoformat()

    view.complaints.selectRow(0)
    assert view.step.isEnabled()
    s = StepDialog(ctx, view.selected_complaint(), view)
    qtbot.addWidget(s)
    assert [s.action.itemData(i) for i in range(s.action.count())] == ["assign"]  # only what "received" allows
    s.assignee.setText("tester")
    s.save()
    assert integrity.complaints(ctx.session, cid)[0].status == "assigned"


def test_the_grade_definitions_are_shown_with_the_grades(qtbot, ctx) -> None:
    view = CreditView(ctx)
    qtbot.addWidget(view)
    assert "A" in view.legend.text() and "D" in view.legend.text() and len(view.legend.text().splitlines()) == 4


def test_the_grade_field_of_the_form_explains_the_grades(qtbot, ctx) -> None:
    form = CustomerForm(ctx, ctx.session.form)
    qtbot.addWidget(form)
    form.load(None)
    row = form.rows["credit_grade"]
    for tip in (row.label.toolTip(), row.editor.focus_widget().toolTip()):
        assert all(translate(GRADE_DEFINITIONS[g]) in tip for g in "ABCD"), tip
        assert "无违法违规" in tip  # in the user's language (Chinese by default)
    assert "无违法违规" not in form.rows["shop_name"].label.toolTip()

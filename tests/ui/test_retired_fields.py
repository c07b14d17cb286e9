"""The old free-text care and satisfaction fields left the form (issue 18): care dates (亲情联络) and satisfaction
questionnaires (满意度测评) are structured service records, so form version 2 retires ``care_dates`` and
``satisfaction``. Nothing refers to them any more (template, export, sheet import, the form); a value stored
under version 1 is not lost: it stays in the record's data through later saves and imports, and in its history,
where the field is named with its old label and 已停用 (docs/domain.md)."""

from __future__ import annotations

import openpyxl

from app.i18n import language
from app.models.catalogue import load_form
from app.models.record import CustomerUpdate, NewCustomer, Provenance, Quality, new_id
from app.services import records
from app.services.exporting import export_customers
from app.services.sheet_results import ImportMode
from app.services.sheets import process_sheet, write_template
from app.ui.records.form import CustomerForm
from app.ui.records.history import HistoryView

RETIRED = ("care_dates", "satisfaction")
OLD = {"shop_name": "老王烟酒店", "care_dates": "店庆5月8日、春节", "satisfaction": "satisfied"}


def sheet_text(path) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)


def old_record(session) -> str:
    """A customer saved under form version 1, which had the two fields (its values as that version stored them)."""
    cid = new_id()
    arc = session._archive
    arc.customers.insert(session.form, [NewCustomer(cid, dict(OLD), Quality())], Provenance("c1"))
    arc.customers.update(
        session.form, [CustomerUpdate(cid, {**OLD, "care_dates": "店庆5月9日"}, Quality())], Provenance("c1")
    )
    return cid


def test_the_catalogue_no_longer_has_the_free_text_fields(tmp_path) -> None:
    form = load_form()
    assert form.version >= 2 and not [k for k in RETIRED if k in form]
    assert form.retired_label("care_dates", "zh_CN") == "亲情联络日" and form.retired_label("satisfaction", "en")
    assert form.retired_label("shop_name", "zh_CN") is None
    retired = form.meta["retired"]["fields"]
    assert {k: v["replaced_by"] for k, v in retired.items()} == {"care_dates": "care", "satisfaction": "survey"}
    template = tmp_path / "t.xlsx"
    write_template(form, template, "zh_CN")
    text = sheet_text(template)
    assert "亲情联络日" not in text and "满意度" not in text and "店铺名称" in text


def test_an_old_records_values_stay_in_its_data_and_history(qtbot, ctx, tmp_path) -> None:
    session = ctx.session
    cid = old_record(session)
    saved, _ = records.save_changes(session, cid, {"shop_name": "老王烟酒商行"})  # a save under version 2
    assert saved.values["care_dates"] == "店庆5月9日" and saved.values["satisfaction"] == "satisfied"
    out = tmp_path / "out.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN")
    exported = sheet_text(out)
    assert "店庆" not in exported and "亲情联络日" not in exported and "满意度" not in exported
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    ws.cell(row=2, column=[c.value for c in ws[1]].index("店铺名称") + 1, value="老王烟酒总店")
    wb.save(out)
    imported = process_sheet(out, session.form, session._archive, actor="tester", mode=ImportMode.WRITE)
    assert imported.updated == 1 and not imported.has_errors, imported.problems[:3]
    now = records.get(session, cid)
    assert now.values["shop_name"] == "老王烟酒总店" and now.values["care_dates"] == "店庆5月9日"
    history = records.history(session, cid)
    assert history[0].action == "create" and history[0].new["care_dates"] == "店庆5月8日、春节"
    assert ("care_dates", "店庆5月8日、春节", "店庆5月9日") in [(e.field, e.old, e.new) for e in history]
    assert not [e for e in history if e.field in RETIRED and e.new is None]  # never cleared by a later save
    view = HistoryView(ctx, session.form)
    qtbot.addWidget(view)
    view.load(cid)
    t = view.table
    rows = [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]
    assert ["亲情联络日（已停用）", "店庆5月8日、春节", "店庆5月9日"] in [r[2:5] for r in rows], rows
    with language("en"):
        view.load(cid)
        assert any(t.item(r, 2).text() == "Care dates (retired)" for r in range(t.rowCount()))
    form = CustomerForm(ctx, session.form)
    qtbot.addWidget(form)
    form.load(now)
    assert not [k for k in RETIRED if k in form.rows]  # not on the form

"""Spreadsheets: template, validate, all-or-nothing import, round trip, formula injection."""

from __future__ import annotations

import datetime as dt
import threading
import zipfile

import openpyxl
import pytest

from app.errors import UserCancelled, UserFacingError
from app.models.record import CustomerStatus
from app.services import records
from app.services.demo import generate
from app.services.exporting import export_customers
from app.services.sheet_results import ImportMode
from app.services.sheets import process_sheet, write_template
from tests.consent import CONSENT, CONSENT_CELLS


def sheet(path, header, *rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def run(session, path, **kw):
    return process_sheet(path, session.form, session._archive, actor="tester", today=session.today(), **kw)


def test_template_has_labels_drop_downs_and_instructions(form, tmp_path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(form, path, "zh_CN")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[-1] == "id" and "店铺名称" in header and "联系电话" in header
    assert "店面照片" not in header  # photos are not imported from sheets
    assert ws.freeze_panes == "A2"
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(header.index("订货方式") + 1)
    lists = {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv for dv in ws.data_validations.dataValidation}
    assert letter in lists and lists[letter].type == "list"
    hidden = wb["_lists"]
    values = [hidden.cell(row=r, column=header.index("订货方式") + 1).value for r in range(1, 5)]
    assert values == ["网上订货", "电话订货", "手机新商盟", "微信订货"]
    guide = wb.worksheets[-1]
    assert [c.value for c in guide[1]][:2] == ["列名", "字段键"] and guide.cell(
        row=guide.max_row, column=1
    ).value == "id"
    en = tmp_path / "t_en.xlsx"
    write_template(form, en, "en")
    assert "Shop name" in [c.value for c in openpyxl.load_workbook(en).worksheets[0][1]]


def test_validate_reports_every_problem_by_row_and_field(session, tmp_path) -> None:
    path = sheet(
        tmp_path / "in.xlsx",
        ["shop_name", "Contact phone", "发证日期", "colour", *CONSENT_CELLS],
        ["老王烟酒店", "13812345678", dt.date(2024, 3, 1), "red", *CONSENT_CELLS.values()],
        ["李记", "12345", "2030-01-01", None],
    )
    result = run(session, path)
    problems = [(p.row, p.field, p.severity, p.code) for p in result.problems]
    assert (1, "colour", "warning", "unknown_field") in problems
    assert (3, "contact_phone", "error", "phone.format") in problems
    assert (3, "licence_issue_date", "error", "date.future") in problems
    assert not [p for p in problems if p[0] == 2 and p[2] == "error"]
    assert (2, "licence_no", "missing", "required") in problems
    msg = next(p.message for p in result.problems if p.code == "phone.format")
    assert msg.startswith("联系电话")
    assert session._archive.customers.count() == 0 and not result.written  # validate writes nothing


def test_import_is_all_or_nothing(session, tmp_path) -> None:
    rows = [[f"商店{i}", f"138{i:08d}", *CONSENT_CELLS.values()] for i in range(1200)]
    rows[1100][1] = "not a phone"
    path = sheet(tmp_path / "in.xlsx", ["店铺名称", "联系电话", *CONSENT_CELLS], *rows)
    result = run(session, path, mode=ImportMode.WRITE)
    assert result.has_errors and not result.written and result.error_rows == [1102]
    assert session._archive.customers.count() == 0
    assert session._archive.audit.verify_chain() == []
    result = run(session, path, mode=ImportMode.WRITE_VALID_ROWS)
    assert result.written and result.created == 1199 and result.skipped_rows == [1102]
    assert session._archive.customers.count() == 1199


def test_rows_with_only_missing_values_import_as_drafts(session, tmp_path) -> None:
    path = sheet(tmp_path / "in.xlsx", ["店铺名称"], ["老王烟酒店"])
    result = run(session, path, mode=ImportMode.WRITE)
    assert result.written and result.created == 1
    c = session._archive.customers.get(
        session._archive.customers.rows(session._archive.customers.search_pks("老王"))[0].id
    )
    assert c.status is CustomerStatus.DRAFT and c.missing_count > 0
    history = session._archive.audit.history(c.id)
    assert history[0].source == "import" and history[0].source_ref == "in.xlsx"


def test_new_customers_from_a_sheet_start_with_the_defaults_of_the_form(session, tmp_path) -> None:
    """F3 L10, L158: weekly orders, online ordering, electronic settlement, also for an imported new customer;
    a value the sheet gives wins over the default."""
    path = sheet(tmp_path / "in.xlsx", ["店铺名称", "订货方式"], ["老王烟酒店", None], ["小李便利店", "电话订货"])
    assert run(session, path, mode=ImportMode.WRITE).created == 2
    arc = session._archive.customers
    got = {c.values["shop_name"]: c.values for c in (arc.get(r.id) for r in arc.rows(arc.search_pks("")))}
    assert {k: got["老王烟酒店"][k] for k in ("order_frequency", "order_method", "settlement_method")} == {
        "order_frequency": "weekly",
        "order_method": "online",
        "settlement_method": "electronic",
    }
    assert got["小李便利店"]["order_method"] == "phone" and got["小李便利店"]["order_frequency"] == "weekly"


def test_export_then_import_changes_nothing(session, tmp_path) -> None:
    for v in generate(40, seed=11, today=session.today()):
        records.save_draft(session, v)
    before = {c.id: c.values for c in session._archive.customers.iterate()}
    audit_before = len(session._archive.audit.history(next(iter(before))))
    out = tmp_path / "out.xlsx"
    assert export_customers(session._archive, session.form, out, lang="zh_CN") == 40
    result = run(session, out, mode=ImportMode.WRITE)
    assert not result.has_errors, result.problems[:3]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 40)
    assert {c.id: c.values for c in session._archive.customers.iterate()} == before
    assert len(session._archive.audit.history(next(iter(before)))) == audit_before
    out_en = tmp_path / "out_en.xlsx"
    export_customers(session._archive, session.form, out_en, lang="en")
    assert run(session, out_en, mode=ImportMode.WRITE).unchanged == 40


def test_an_exported_sheet_edited_updates_with_per_field_audit(session, tmp_path) -> None:
    c, _ = records.save_draft(session, {"shop_name": "老王烟酒店", "contact_phone": "13812345678", **CONSENT})
    out = tmp_path / "out.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN")
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    header = [cell.value for cell in ws[1]]
    ws.cell(row=2, column=header.index("联系电话") + 1, value="13912345678")
    wb.save(out)
    result = run(session, out, mode=ImportMode.WRITE)
    assert result.updated == 1
    changes = [(h.field, h.old, h.new, h.source) for h in session._archive.audit.history(c.id) if h.action == "update"]
    assert changes == [("contact_phone", "13812345678", "13912345678", "import")]


def test_import_refuses_changes_to_system_fields_and_unknown_ids(session, tmp_path) -> None:
    c, _ = records.save_draft(session, {"shop_name": "老王烟酒店"})
    path = sheet(
        tmp_path / "in.xlsx",
        ["id", "店铺名称", "诚信等级", "客户代码"],
        [c.id, "老王烟酒店", "A", None],
        ["00000000-0000-7000-8000-00000000dead", "谁", None, None],
        [c.id, "重复", None, None],
    )
    result = run(session, path, mode=ImportMode.WRITE)
    got = {(p.row, p.field, p.code) for p in result.problems if p.severity == "error"}
    assert got == {(2, "credit_grade", "readonly"), (3, "id", "id.unknown"), (4, "id", "id.duplicate")}
    assert session._archive.customers.get(c.id).values == {"shop_name": "老王烟酒店"}


def test_duplicates_in_the_file_and_in_the_archive_are_warnings(session, tmp_path) -> None:
    records.save_draft(session, {"shop_name": "老王烟酒店", "licence_no": "610103100001"})
    path = sheet(
        tmp_path / "in.xlsx",
        ["店铺名称", "烟草专卖零售许可证号"],
        ["甲", "610103100001"],
        ["乙", "610103100002"],
        ["丙", "610103100002"],
    )
    result = run(session, path, mode=ImportMode.WRITE)
    got = {(p.row, p.code) for p in result.problems if p.severity == "warning"}
    assert got == {(2, "duplicate"), (4, "duplicate.in_file")}
    assert result.written and result.created == 3


def test_bad_files_give_a_clear_message(session, tmp_path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is not a spreadsheet")
    with pytest.raises(UserFacingError) as e:
        run(session, bad)
    assert "不是可读取的电子表格" in e.value.message("zh_CN") and "Error" not in e.value.message("zh_CN")
    nofields = sheet(tmp_path / "n.xlsx", ["foo", "bar"], [1, 2])
    with pytest.raises(UserFacingError) as e:  # no row of the first ten names a field: where the header must be
        run(session, nofields, mode=ImportMode.WRITE)
    assert "前 10 行中没有找到表头行" in e.value.message("zh_CN")
    assert session._archive.customers.count() == 0
    dup = sheet(tmp_path / "d.xlsx", ["店铺名称", "shop_name"], ["a", "b"])
    assert [p.code for p in run(session, dup).problems if p.severity == "error"] == ["column.duplicate"]


def test_cancelled_import_changes_nothing(session, tmp_path) -> None:
    path = sheet(tmp_path / "in.xlsx", ["店铺名称"], *[[f"店{i}"] for i in range(2000)])
    cancel = threading.Event()
    seen = []

    def progress(done, total):
        seen.append(done)
        if done >= 1000:
            cancel.set()

    with pytest.raises(UserCancelled):
        run(session, path, mode=ImportMode.WRITE, progress=progress, cancel=cancel)
    assert session._archive.customers.count() == 0 and seen


RISKY = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://evil","x")', "=cmd|'/c calc'!A1"]


def test_export_writes_formula_like_text_as_text(session, tmp_path) -> None:
    for i, text in enumerate(RISKY):
        records.save_draft(session, {"shop_name": f"店{i}", "service_notes": text, "pickup_point": text})
    out = tmp_path / "out.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN")
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    col = header.index("服务备注") + 1
    notes = {ws.cell(row=r, column=col).value for r in range(2, ws.max_row + 1)}
    cells = [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells if c.value and c.value[0] in "=+-@\t\r")
    stored = {records.validate(session, {"service_notes": t}).values["service_notes"] for t in RISKY}
    assert notes == stored


def test_export_keeps_types(session, tmp_path) -> None:
    v = next(generate(1, seed=5, today=session.today()))
    v.update(
        business_area="120.5",
        brand_count=35,
        pickup=True,
        licence_issue_date="2024-03-05",
        postal_code="010010",
        contact_phone="13812345678",
        order_method="phone",
    )
    records.save_draft(session, v)
    out = tmp_path / "out.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN")
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]]
    row = {h: ws.cell(row=2, column=i + 1) for i, h in enumerate(header)}
    assert row["营业面积"].value == 120.5 and row["营业面积"].data_type == "n"
    assert row["经营品种数"].value == 35
    assert row["发证日期"].is_date and row["发证日期"].value.date() == dt.date(2024, 3, 5)
    assert row["邮政编码"].value == "010010" and row["邮政编码"].data_type == "s"  # leading zero kept
    assert row["联系电话"].data_type == "s"
    assert row["定点取货"].value == "是"
    assert row["订货方式"].value == "电话订货"
    assert ws.freeze_panes == "A2"


def test_problems_are_all_counted_but_only_so_many_kept(session, tmp_path, monkeypatch) -> None:
    from app.services import sheet_import, sheet_results

    # the result keeps at most so many; the pass reads the missing cap too (it skips work past it)
    monkeypatch.setattr(sheet_results, "MAX_MISSING", 5)
    monkeypatch.setattr(sheet_import, "MAX_MISSING", 5)
    monkeypatch.setattr(sheet_results, "MAX_PROBLEMS", 2)
    rows = [("店铺名称", "联系电话", *CONSENT_CELLS)] + [
        (f"店{i}", "12345" if i % 10 == 0 else "13812345678", *CONSENT_CELLS.values()) for i in range(40)
    ]
    path = sheet(tmp_path / "many.xlsx", *rows)
    r = run(session, path, mode=ImportMode.CHECK)
    assert r.counts["error"] == 4 and r.error_rows == [2, 12, 22, 32] and r.has_errors
    assert r.counts["missing"] > 5
    kept = {s: sum(p.severity == s for p in r.problems) for s in ("error", "warning", "missing")}
    assert kept["missing"] == 5 and kept["error"] + kept["warning"] == 2
    assert r.problems_omitted == sum(r.counts.values()) - len(r.problems)
    r = run(session, path, mode=ImportMode.WRITE)
    assert not r.written and session._archive.customers.count() == 0  # all or nothing still sees every error

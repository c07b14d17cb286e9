"""The export options dialog: groups, header language and meta columns, remembered; then the file."""

from __future__ import annotations

import openpyxl
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWidget

from app.services import records
from app.services.sheet_results import ImportMode
from app.settings import Settings
from app.ui import sheets_flow
from app.ui.export_dialog import ExportOptionsDialog
from tests.consent import CONSENT


def test_export_dialog_options_are_used_and_remembered(qtbot, ctx, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    for name in ("老王烟酒店", "李记便利店", "=SUM(1)"):
        records.save_draft(ctx.session, {"shop_name": name, "contact_phone": "13812345678", **CONSENT})
    parent = QWidget()
    qtbot.addWidget(parent)
    pks = ctx.session._archive.customers.search_pks()[:2]
    dialog = sheets_flow.choose_export(ctx, parent, pks)
    assert isinstance(dialog, ExportOptionsDialog) and dialog.isVisible()
    assert all(c.isChecked() for c in dialog.groups.values())
    assert dialog.lang.currentData() == "zh_CN" and dialog.meta.isChecked()
    assert "2 户" in dialog.summary.text()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog._set_all(False)
    assert not ok.isEnabled()  # nothing to export
    dialog.groups["basic"].setChecked(True)
    dialog.groups["identification"].setChecked(True)
    dialog.lang.setCurrentIndex(dialog.lang.findData("en"))
    dialog.meta.setChecked(False)
    out = tmp_path / "list.xlsx"
    asked = []
    monkeypatch.setattr(
        sheets_flow.QFileDialog, "getSaveFileName", lambda *a, **k: (asked.append(a[2]), (str(out), ""))[1]
    )
    ok.click()
    qtbot.waitUntil(lambda: out.exists(), timeout=10_000)
    qtbot.wait(20)  # the inline runner's queued progress updates run while their dialog is still there
    assert asked and asked[0].endswith(".xlsx")
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]]
    form = ctx.session.form
    assert header == [*[f.label("en") for f in form.visible_fields if f.group in ("identification", "basic")], "id"]
    assert ws.max_row == 3  # the two customers of the list
    assert ctx.session._archive.audit.actions("export")[-1].new["rows"] == 2
    # remembered: a new dialog (and a fresh read of the settings) starts with the same choice
    again = Settings()
    assert set(again.export_groups_off) == {g.key for g in form.groups} - {"basic", "identification"}
    assert again.export_meta is False and again.last_export_dir == str(tmp_path)
    second = ExportOptionsDialog(form, again, None, parent)
    assert [k for k, c in second.groups.items() if c.isChecked()] == ["identification", "basic"]
    assert not second.meta.isChecked() and second.lang.currentData() == "zh_CN"


def test_cancelling_the_options_writes_nothing(qtbot, ctx, tmp_path, monkeypatch) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    called = []
    monkeypatch.setattr(sheets_flow.QFileDialog, "getSaveFileName", lambda *a, **k: called.append(a) or ("", ""))
    dialog = sheets_flow.choose_export(ctx, parent, None)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not called and not ctx.session._archive.audit.actions("export")


def test_the_import_preview_shows_each_rows_diff_and_submits_for_review(qtbot, ctx, tmp_path, monkeypatch) -> None:
    from app.models.record import CustomerStatus
    from app.services.exporting import export_customers
    from app.services.sheets import process_sheet
    from app.ui.import_preview import ImportPreview

    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    s = ctx.session
    consent = {"consent_signed": True, "consent_date": "2026-01-05", "consent_form": "written"}  # to be submitted
    a, _r = records.save_draft(s, {"shop_name": "老王烟酒店", "contact_phone": "13812345678", **consent})
    b, _r = records.save_draft(s, {"shop_name": "李记便利店", "contact_phone": "13912345678", **CONSENT})
    out = tmp_path / "county.xlsx"
    export_customers(s._archive, s.form, out, lang="zh_CN", groups=["identification", "basic"], meta=False)
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    row_of = {ws.cell(row=r, column=len(header)).value: r for r in range(2, ws.max_row + 1)}  # the id is last
    ws.cell(row=row_of[a.id], column=header.index("联系电话") + 1, value="13612345678")
    ws.cell(row=row_of[b.id], column=header.index("联系电话") + 1, value="12345")  # an error
    ws.append([("新开的店" if h == "店铺名称" else None) for h in header])
    wb.save(out)
    result = process_sheet(out, s.form, s._archive, actor=s.user, role=s.role, today=s.today())
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = ImportPreview(ctx, out, result, parent)
    qtbot.addWidget(dialog)
    tree = dialog.tree
    items = {tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())}
    changed = items[str(row_of[a.id])]
    assert "老王烟酒店" in changed.text(1) and changed.text(2) == "1 处修改"
    assert [(changed.child(0).text(2), changed.child(0).text(3), changed.child(0).text(4))] == [
        ("联系电话", "13812345678", "13612345678")
    ]
    bad = items[str(row_of[b.id])]
    assert bad.text(2).startswith("未导入") and any(
        bad.child(i).text(0).startswith("错误: 联系电话") for i in range(bad.childCount())
    )
    new = items[str(ws.max_row)]
    assert new.text(1) == "新开的店" and new.text(2) == "新建客户"
    assert not dialog.more.isVisibleTo(dialog)
    assert (
        dialog.submit.isVisibleTo(dialog)
        and dialog.submit.isChecked()
        and "大批量维护: county.xlsx" in dialog.submit.text()
    )
    dialog._import(ImportMode.WRITE_VALID_ROWS)  # the inline runner imports and submits at once
    qtbot.wait(20)
    now = s._archive.customers.many([a.id, b.id])
    assert now[a.id].values["contact_phone"] == "13612345678" and now[a.id].status is CustomerStatus.PENDING
    assert now[a.id].review["note"] == "大批量维护: county.xlsx"
    assert now[b.id].status is CustomerStatus.DRAFT and now[b.id].values["contact_phone"] == "13912345678"
    assert s._archive.customers.count() == 3


def test_the_desktop_import_check_refuses_what_the_server_would(qtbot, ctx, tmp_path, monkeypatch) -> None:
    """The import dialog checks with the profile's role: a collector's new row setting the customer code or
    the average purchase price is an error before anything is written (app.validation.editing)."""
    from PySide6.QtWidgets import QFileDialog

    from app.ui.import_preview import ImportPreview

    path = tmp_path / "new.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["店铺名称", "客户代码", "进货均价", "监控户"])
    wb.active.append(["老王烟酒店", "610113000999", 23.5, "是"])
    wb.active.append(["李记便利店", None, None, None])
    wb.save(path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    shown: list[ImportPreview] = []
    monkeypatch.setattr(ImportPreview, "open", lambda self: shown.append(self))
    parent = QWidget()
    qtbot.addWidget(parent)
    assert ctx.session.role == "collector"
    sheets_flow.choose_import(ctx, parent)
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    qtbot.wait(20)  # the inline runner's queued progress updates run while their dialog is still there
    tree = shown[0].tree
    items = {tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())}
    bad = items["2"]
    texts = {bad.child(i).text(0) for i in range(bad.childCount())}
    assert bad.text(2).startswith("未导入")
    assert {
        "错误: 客户代码由系统维护，新客户请留空。",
        "错误: 进货均价由系统维护，新客户请留空。",
        "错误: 监控户只能由市场经理填写，新客户请留空。",
    } <= texts, texts
    assert items["3"].text(2) == "新建客户" and ctx.session._archive.customers.count() == 0

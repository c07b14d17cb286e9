"""The export options dialog: groups, header language and meta columns, remembered; then the file."""
from __future__ import annotations

import openpyxl
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWidget

from app.services import records
from app.settings import Settings
from app.ui import sheets_flow
from app.ui.export_dialog import ExportOptionsDialog


def test_export_dialog_options_are_used_and_remembered(qtbot, ctx, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    for name in ("老王烟酒店", "李记便利店", "=SUM(1)"):
        records.save_draft(ctx.session, {"shop_name": name, "contact_phone": "13812345678"})
    parent = QWidget()
    qtbot.addWidget(parent)
    pks = ctx.session.archive.search_pks()[:2]
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
    monkeypatch.setattr(sheets_flow.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (asked.append(a[2]), (str(out), ""))[1])
    ok.click()
    qtbot.waitUntil(lambda: out.exists(), timeout=10_000)
    assert asked and asked[0].endswith(".xlsx")
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]]
    form = ctx.session.form
    assert header == ["id", *[f.label("en") for f in form.visible_fields if f.group in ("identification", "basic")]]
    assert ws.max_row == 3  # the two customers of the list
    assert ctx.session.archive.actions("export")[-1].new["rows"] == 2
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
    assert not called and not ctx.session.archive.actions("export")

"""The import preview (issue 16): problems name the field by its label (身份证号, not ``id_card``);
"Check again" re-reads the corrected file and its fixed problems are gone; the summary after an
import of the rows without errors counts the rows it skipped."""

from __future__ import annotations

import openpyxl
from PySide6.QtWidgets import QMessageBox, QWidget

from app.services.demo import generate
from app.services.sheet_results import ImportMode
from app.ui import sheets_flow
from app.ui.import_preview import ImportPreview

HEADER = ["店铺名称", "id_card", "联系电话（手机）"]  # a column named by its key: shown by its label


def write(path, rows) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(HEADER)
    for r in rows:
        wb.active.append(r)
    wb.save(path)


def test_labels_recheck_and_skipped_rows(qtbot, ctx, tmp_path, monkeypatch) -> None:
    good = next(generate(1, seed=3))
    path = tmp_path / "名单.xlsx"
    write(path, [["老王烟酒店", good["id_card"], "13812345678"], ["李记便利店", "110101199003071234", "13912345678"]])
    shown: list[ImportPreview] = []
    monkeypatch.setattr(ImportPreview, "open", lambda self: shown.append(self))
    infos: list[str] = []
    monkeypatch.setattr(QMessageBox, "open", lambda box: infos.append(box.text()))
    parent = QWidget()
    qtbot.addWidget(parent)
    sheets_flow.check_sheet(ctx, parent, path, None)
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    first = shown[0]
    fields = {first.table.item(r, 2).text() for r in range(first.table.rowCount())}
    assert "负责人身份证号码" in fields and "id_card" not in fields
    assert first.result.has_errors

    # corrected in the spreadsheet program, then checked again: the fixed problem is gone
    write(path, [["老王烟酒店", good["id_card"], "13812345678"], ["李记便利店", good["id_card"], "139123"]])
    first.again.click()
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=30_000)
    second = shown[1]
    problems = [second.table.item(r, 3).text() for r in range(second.table.rowCount())]
    assert not any("身份证" in p and "校验" in p for p in problems)
    assert not first.isVisible()

    # the rows without errors are imported; the summary says which row was skipped
    second._import(ImportMode.WRITE_VALID_ROWS)
    qtbot.waitUntil(lambda: bool(infos), timeout=30_000)
    assert "跳过" in infos[-1] and "3" in infos[-1], infos[-1]

"""The desktop import (issue 14): the open dialog offers every readable type; a workbook with data on
several sheets asks which one (the sheet it opens on first, or all) and imports only that one."""

from __future__ import annotations

import openpyxl

from app.services.sheet_results import ImportMode
from tests.consent import CONSENT_CELLS


def test_the_import_asks_which_sheet_and_imports_only_that_one(qtbot, running, tmp_path, monkeypatch) -> None:
    from app.ui import import_preview, sheets_flow

    path = tmp_path / "districts.xlsx"
    wb = openpyxl.Workbook()
    east = wb.active
    east.title = "东区"
    for r in (["店铺名称", "经营地址"], ["东区旧店", "东路 1 号"]):
        east.append(r)
    west = wb.create_sheet("西区")
    for r in (["某区零售客户名单"], ["*店铺名称", "经营地址（必填）"], ["西区新店", "西路 2 号"]):
        west.append(r)
    wb.active = 1
    wb.save(path)
    filters, asked, previews = [], [], []
    monkeypatch.setattr(import_preview.ImportPreview, "open", lambda self: previews.append(self))

    def open_name(parent, title, start, filt):
        filters.append(filt)
        return str(path), ""

    def get_item(parent, title, label, items, current, editable):
        asked.append((label, list(items)))
        return "西区", True

    monkeypatch.setattr(sheets_flow.QFileDialog, "getOpenFileName", open_name)
    monkeypatch.setattr(sheets_flow.QInputDialog, "getItem", get_item)
    win = running.window
    sheets_flow.choose_import(running.ctx, win)
    qtbot.waitUntil(lambda: bool(previews), timeout=30_000)
    assert all(f"*{ext}" in filters[0] for ext in (".xlsx", ".xlsm", ".xls", ".et", ".ods", ".csv"))
    assert asked == [("districts.xlsx 有多个工作表含有数据。要导入哪一个？", ["西区", "东区", "全部 2 个工作表"])]
    result = previews[0].result
    assert result.sheets == ["西区"] and result.header_rows == {"西区": 2} and result.ignored_sheets == ["东区"]
    previews[0]._import(ImportMode.WRITE)
    arc = running.ctx.session._archive
    qtbot.waitUntil(lambda: running.runner.call_db(lambda: arc.customers.count()) == 1, timeout=30_000)
    shops = running.runner.call_db(
        lambda: [arc.customers.get(r.id).values["shop_name"] for r in arc.customers.rows(arc.customers.search_pks())]
    )
    assert shops == ["西区新店"]


def test_all_sheets_are_checked_and_shown_row_by_row_with_their_sheet(qtbot, running, tmp_path, monkeypatch) -> None:
    from app.ui import import_preview, sheets_flow

    path = tmp_path / "both.xlsx"
    wb = openpyxl.Workbook()
    east = wb.active
    east.title = "东区"
    heads, consent = ["店铺名称", "联系电话", *CONSENT_CELLS], list(CONSENT_CELLS.values())
    for r in (heads, ["东店", "12345", *consent]):
        east.append(r)
    west = wb.create_sheet("西区")
    for r in (heads, [None, None, None, None, None], ["西店", "13912345678", *consent]):
        west.append(r)
    wb.save(path)
    previews = []
    monkeypatch.setattr(import_preview.ImportPreview, "open", lambda self: previews.append(self))
    monkeypatch.setattr(sheets_flow.QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(sheets_flow.QInputDialog, "getItem", lambda *a, **k: ("全部 2 个工作表", True))
    sheets_flow.choose_import(running.ctx, running.window)
    qtbot.waitUntil(lambda: bool(previews), timeout=30_000)
    preview = previews[0]
    assert preview.result.sheets == ["东区", "西区"] and preview.result.error_rows == ["东区 2"]
    tops = [preview.tree.topLevelItem(i).text(0) for i in range(preview.tree.topLevelItemCount())]
    assert tops == ["东区 2", "西区 3"]
    assert preview.table.item(0, 0).text() == "东区 2"

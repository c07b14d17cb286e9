"""The "打印申请表…" action of the to-do list (待办) in the real app against a real server on 127.0.0.1, signed in as
the customer manager c1: the onboarding section prints the selected case as 《客户新入网申请表》 (PDF, read back with
pdftotext), the change section the city task order as 《客户信息修改维护任务单》 (.xlsx, read back with openpyxl); each
is logged in the access log as a print of the customer; a folder that does not exist is said in Chinese and
leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from app.models.wire import ACCESS_ENTITY, AccessKind
from app.ui.onboarding_view import TodoWindow
from tests.sync.test_case_forms import CODES, pdf_text, setup_cases
from tests.ui.test_report_ui import _menu_action
from tests.ui.test_sync_ui import on_db, sign_in, status_text


def printed(running, record_id: str) -> list[dict]:
    entries = on_db(running, lambda s: s._archive.access.entries(record_id))
    return [e.new for e in entries if e.entity == ACCESS_ENTITY and e.action == AccessKind.PRINT.value]


def test_printing_the_request_forms_from_the_to_do_list(
    qtbot, running, srv, memory_keyring, monkeypatch, tmp_path: Path
) -> None:
    import app.ui.case_print as action

    shown: list[str] = []
    monkeypatch.setattr(action, "show_exception", lambda parent, exc: shown.append(exc.message()))
    _rows, onboarding_id, _phone, _city = setup_cases(srv, tmp_path)

    win = running.window
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=30_000)
    _menu_action(win, "待办…").trigger()
    w: TodoWindow = win.todo_window
    w.fetch()
    qtbot.waitUntil(lambda: w.table.rowCount() == 1 and w.changes.table.rowCount() == 1, timeout=20_000)
    assert w.print_button.text() == "打印申请表…" and not w.print_button.isEnabled()

    pdf = tmp_path / "申请表.pdf"
    w.print_button.choose = lambda case_id: pdf
    w.table.selectRow(0)
    assert w.print_button.isEnabled()
    w.print_button.click()
    qtbot.waitUntil(lambda: bool(shown) or w.message.text().startswith("申请表已保存到"), timeout=20_000)
    assert not shown and w.message.text() == f"申请表已保存到 {pdf}。"
    text = pdf_text(pdf)
    assert "客户新入网申请表" in text and CODES[0] in text and "zm 于" in text and "营销科负责人审核" in text
    record = w.items[0].record_id
    assert [(d["form"], d["format"], d["case"]) for d in printed(running, record)] == [
        ("onboarding", "pdf", onboarding_id)
    ]

    p = w.changes
    xlsx = tmp_path / "任务单.xlsx"
    p.print_button.choose = lambda case_id: xlsx
    p.table.selectRow(0)
    p.print_button.click()
    qtbot.waitUntil(lambda: bool(shown) or p.message.text().startswith("申请表已保存到"), timeout=20_000)
    assert not shown
    values = [(r[0].value, r[1].value) for r in load_workbook(xlsx).active.iter_rows()]
    assert values[0][0] == "客户信息修改维护任务单"
    assert ("客户代码", CODES[2]) in values
    assert any(str(a).startswith("1. 营销中心填写") and str(b).startswith("mkt 于") for a, b in values)
    assert any(str(a).startswith("2. 客户经理实地走访") and str(b).startswith("待办理，期限") for a, b in values)
    assert [d["form"] for d in printed(running, p.items[0].items[0].record_id)] == ["task_order"]

    nowhere = tmp_path / "没有这个文件夹" / "x.pdf"
    p.print_button.choose = lambda case_id: nowhere
    p.print_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    assert shown[0].startswith(f"无法写入 {nowhere}") and not nowhere.parent.exists()
    assert p.print_button.isEnabled() and p.message.text() == ""

    p.print_button.choose = lambda case_id: None  # the dialog cancelled: nothing asked, nothing written
    p.print_button.click()
    assert p.message.text() == "" and len(shown) == 1

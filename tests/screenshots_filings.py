"""Screenshots of the monthly filings (issue 17) for ``make screenshots`` (tests/screenshots.py): the 待办
window's filings section with each of the five filings as a server would answer (due with the reminder on,
overdue, filed, filed late), the special-use form's rows, the self-inspection documents, and a visit with
its order collection."""

from __future__ import annotations

from typing import Any


def filings_shots(shot: Any, ctx: Any, win: Any, lang: str) -> None:
    from PySide6.QtCore import QDate

    from app.models.filings import Filing, FilingsOwed
    from app.ui.filings_view import DocumentsDialog, RowsDialog
    from app.ui.onboarding_view import TodoWindow
    from app.ui.records.visits import VisitDialog

    zh = lang == "zh_CN"
    names = {
        "category_adjustment": "县(市、区)零售客户类别调整情况表",
        "special_use": "县级卷烟营销部特殊用烟统计备案表",
        "supervisor_orders": "卷烟营销部市场经理订单采集汇总表",
        "collector_orders": "卷烟营销部客户经理订单采集汇总表",
        "self_inspection": "自查方案、自查报告、自查整改报告",
    }

    def filing(kind: str, month: str, due: str, state: str, filed_at: str | None = None) -> Filing:
        remind = state == "due"
        who = "王建国" if zh else "Wang Jianguo"
        return Filing(kind, names[kind], month, "wangjg", who, due, due[:8] + "01", state, remind, filed_at, None, "")

    current = (
        filing("category_adjustment", "2026-11", "2026-12-03", "filed", "2026-12-02T09:12:00+08:00"),
        filing("special_use", "2026-11", "2026-12-03", "due"),
        filing("supervisor_orders", "2026-11", "2026-12-03", "due"),
        filing("collector_orders", "2026-11", "2026-12-03", "filed", "2026-12-02T16:40:00+08:00"),
        filing("self_inspection", "2026-11", "2026-12-03", "due"),
    )
    # the screen as on 2 December: October's self-inspection still not filed (overdue)
    overdue = (filing("self_inspection", "2026-10", "2026-11-03", "overdue"),)
    todo = TodoWindow(ctx, win)
    todo._show([])
    todo.filings._show(FilingsOwed("2026-11", 2, current, overdue))
    shot(todo, "40-monthly-filings", (1280, 800))
    todo.close()

    rows = RowsDialog(current[1], win)
    cells = [
        ["2026-11-06", "接待用烟" if zh else "Reception", "中华(硬)", "2", "900.00", "李明" if zh else "Li Ming"],
        ["2026-11-18", "样品" if zh else "Samples", "延安(1935)", "1", "230.00", "李明" if zh else "Li Ming"],
    ]
    rows.table.setRowCount(len(cells))
    from PySide6.QtWidgets import QTableWidgetItem

    for r, line in enumerate(cells):
        for c, text in enumerate(line):
            rows.table.setItem(r, c, QTableWidgetItem(text))
    shot(rows, "41-special-use-form", (960, 440))
    rows.close()

    docs = DocumentsDialog(current[4], win)
    texts = (
        ("十一月自查方案：抽查各客户经理档案完整性与及时性……", "Plan: check each manager's archives for completeness…"),
        ("自查报告：抽查 120 户，完整率 96.7%，发现 4 户电话有误……", "Report: 120 archives checked, 96.7% complete…"),
        ("整改报告：4 户电话已于 11 月 28 日核实更正……", "Rectification: the 4 phone numbers were corrected…"),
    )
    for box, (z, e) in zip(docs.texts.values(), texts, strict=True):
        box.setPlainText(z if zh else e)
    shot(docs, "42-self-inspection", (760, 560))
    docs.close()

    arc = ctx.session._archive
    [row] = arc.customers.rows(arc.customers.search_pks("", None, False, limit=1))
    visit = VisitDialog(ctx, row.id, win)
    visit.date.setDate(QDate(2026, 11, 20))
    visit.order.setChecked(True)
    visit.orders.setValue(2)
    visit.cartons.setValue(30)
    visit.amount.setText("1234.50")
    shot(visit, "43-visit-with-order", (620, 620))
    visit.close()

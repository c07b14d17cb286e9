"""The customer's "服务记录" tab on a real archive: a visit plan, a care date and a survey entered through their
dialogs, bad values refused with the message in the dialog (a survey without telling the respondent first),
a plan marked visited by one of the customer's visits; in the running app a visit recorded closes the
overdue plan and the tab shows it; the tab reads when it comes into
view, an overdue plan puts its customer in the overdue filter with its reason, and Archive → 拜访计划与亲情联络…
lists the week's plans and the coming care dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QTableWidgetItem

import app.ui.records.service as service_ui
from app.services import records, service
from app.ui.records.service import CareDialog, PlanDialog, ServiceView, StepDialog, SurveyDialog
from app.ui.records.table_model import Column
from app.ui.records.visits import VisitDialog
from app.validation.service import questionnaire
from tests.ui.test_layout_fit import main_window, settle
from tests.ui.test_report_ui import _menu_action


def test_plans_care_dates_and_surveys_through_the_tab(qtbot, ctx) -> None:
    cid = records.save_draft(ctx.session, {"shop_name": "服务记录测试店"})[0].id
    visit = records.add_visit(ctx.session, cid, ctx.session.today().isoformat(), "季度走访", "陈列整齐", "")
    view = ServiceView(ctx)
    qtbot.addWidget(view)
    view.load(cid)
    assert view.table.rowCount() == 0 and view.add_plan.isEnabled() and not view.step.isEnabled()

    p = PlanDialog(ctx, cid, view)
    qtbot.addWidget(p)
    p.save()  # no purpose yet: refused, with the message in the dialog
    assert "拜访目的" in p.error.text() and service.of_customer(ctx.session, cid) == []
    p.purpose.setText("季度走访")
    p.sig_done.connect(lambda _r: view.load(cid))
    p.save()
    assert view.table.rowCount() == 1 and view.table.item(0, 0).text() == "拜访计划"
    assert view.table.item(0, 2).text() == "已计划" and view.table.item(0, 4).text() == "待发送"

    c = CareDialog(ctx, cid, view)
    qtbot.addWidget(c)
    c.date.setDate(QDate(1985, 6, 1))
    c.occasion.setCurrentIndex(c.occasion.findData("anniversary"))
    c.yearly.setChecked(True)
    c.sig_done.connect(lambda _r: view.load(cid))
    c.save()
    assert view.table.rowCount() == 2 and "店庆 · 每年" in view.table.item(1, 5).text()
    assert view.table.item(1, 5).text().startswith("下次 ")  # a yearly date: its next day first

    s = SurveyDialog(ctx, cid, view)
    qtbot.addWidget(s)
    for qid, score in zip(questionnaire().question_ids, [5, 4, 4, 3, 5, 4, 2, 4, 5, 4], strict=True):
        s.groups[qid].button(score).setChecked(True)
    s.save()  # the respondent not told yet: refused
    assert "告知" in s.error.text() and len(service.of_customer(ctx.session, cid)) == 2
    s.informed.setChecked(True)
    s.sig_done.connect(lambda _r: view.load(cid))
    s.save()
    kinds = {view.table.item(r, 0).text(): view.table.item(r, 2).text() for r in range(view.table.rowCount())}
    assert kinds["满意度问卷"] == "有效" and "得分 4.0" in view.table.item(0, 5).text()

    o = service_ui.ObservationDialog(ctx, cid, view)
    qtbot.addWidget(o)
    o.brands.setItem(0, 0, QTableWidgetItem("中华(硬)"))
    o.brands.setItem(0, 1, QTableWidgetItem("十二"))
    o.save()  # sales not a number: refused with the message
    assert "整数" in o.error.text()
    o.brands.setItem(0, 1, QTableWidgetItem("12"))
    o.brands.setItem(0, 3, QTableWidgetItem("45"))
    o.display.setCurrentIndex(o.display.findData("good"))
    o.competitors.setText("电子烟")
    o.visit.setCurrentIndex(o.visit.findData(visit.id))
    o.sig_done.connect(lambda _r: view.load(cid))
    o.save()
    seen = next(r for r in service.of_customer(ctx.session, cid) if r.kind == "observation")
    assert (
        seen.body["brands"] == [{"brand": "中华(硬)", "sales": 12, "price": 45}] and seen.body["visit_id"] == visit.id
    )
    assert any("中华(硬) 销量 12 价格 45 · 陈列：良好 · 竞品：电子烟" in view.table.item(r, 5).text() for r in range(4))

    plan_row = next(r for r in range(view.table.rowCount()) if view.table.item(r, 0).text() == "拜访计划")
    view.table.selectRow(plan_row)
    assert view.step.isEnabled()
    d = StepDialog(ctx, view.selected(), view)
    qtbot.addWidget(d)
    assert [d.action.itemData(i) for i in range(d.action.count())] == ["done", "cancel"]
    d.visit.setCurrentIndex(d.visit.findData(visit.id))
    d.save()
    done = next(r for r in service.of_customer(ctx.session, cid) if r.kind == "plan")
    assert done.status == "done" and done.body["visit_id"] == visit.id


def _setup(session: Any) -> dict[str, str]:
    ids = {n: records.save_draft(session, {"shop_name": name})[0].id for n, name in (("a", "甲店"), ("b", "乙店"))}
    today = session.today()
    service.plan_visit(session, ids["a"], (today - dt.timedelta(days=2)).isoformat(), "季度走访")
    service.plan_visit(session, ids["b"], (today + dt.timedelta(days=3)).isoformat(), "送达通知")
    service.add_care_date(
        session, ids["b"], (today + dt.timedelta(days=1)).replace(year=1990).isoformat(), "birthday", True
    )
    ids["c"] = records.save_draft(session, {"shop_name": "丙店", "visit_cycle": "weekly"})[0].id
    return ids


def test_the_tab_reads_in_view_and_the_overdue_plan_is_on_the_to_do_list(qtbot, running, monkeypatch) -> None:
    win = running.window
    ids = running.runner.call_db(lambda: _setup(running.ctx.session))
    win.open_customer(ids["a"])
    side, view = win.panel, win.panel.service
    qtbot.waitUntil(lambda: view.customer_id == ids["a"], timeout=10_000)
    assert side.tabs.currentIndex() != side.service_tab and view.stale and view.table.rowCount() == 0
    side.tabs.setCurrentIndex(side.service_tab)
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
    assert "（逾期）" in view.table.item(0, 2).text() or "逾期" in view.table.item(0, 2).text()

    panel = win.list_panel
    panel.overdue.setChecked(True)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: panel.model.row_at(0) is not None, timeout=10_000)
    assert panel.model.customer_id(0) == ids["a"]
    status = panel.model.index(0, Column.STATUS.value)
    assert "计划拜访逾期未做" in panel.model.data(status, Qt.ItemDataRole.ToolTipRole)

    shown: list[service_ui.RemindersDialog] = []
    monkeypatch.setattr(service_ui.RemindersDialog, "open", lambda self: shown.append(self))
    _menu_action(win, "拜访计划与亲情联络…").trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    table = shown[0].table
    assert table.rowCount() == 3
    assert [table.item(r, 2).text() for r in range(3)] == ["甲店", "乙店", "乙店"]
    assert "逾期" in table.item(0, 0).text() and table.item(2, 3).text() == "亲情联络"
    # plans from the visit cycle: 丙店 (weekly, never visited) is due today; the list comes again with it
    said: list[str] = []
    monkeypatch.setattr(service_ui, "info", lambda parent, text: said.append(text))
    shown[0].plan_button.click()
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=10_000)
    assert said == ["已按拜访周期计划 1 次拜访。"]
    again = shown[1].table
    assert again.rowCount() == 4 and "丙店" in [again.item(r, 2).text() for r in range(4)]

    # a visit recorded on the customer's page closes its overdue plan; the tab, in view, reads it again
    side.visits.new_visit()
    dialog = side.visits.findChild(VisitDialog)
    assert dialog is not None
    dialog._save()
    qtbot.waitUntil(lambda: view.table.rowCount() == 1 and "已拜访" in view.table.item(0, 2).text(), timeout=10_000)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_service_tab_keeps_the_window_at_1280_wide(qtbot, ctx, lang) -> None:
    """Its buttons in two rows: the customer's page (with this tab) never forces the window past 1280 px."""
    win = main_window(qtbot, ctx, lang, (1280, 720))
    win.panel.tabs.setCurrentIndex(win.panel.service_tab)
    settle()
    assert win.width() == 1280 and win.panel.service.minimumSizeHint().width() < 640

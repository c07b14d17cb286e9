"""The review tab as a market manager uses it, and the statistics tab."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.models.record import CustomerStatus
from app.services import records
from app.services.demo import generate
from app.ui.dashboard import DashboardPanel
from app.ui.review.panel import ReturnDialog, ReviewPanel
from tests.complete import complete_customers


@pytest.fixture
def queue(qtbot, ctx):
    ctx.session.role = "supervisor"
    ids = [records.save_draft(ctx.session, v)[0].id for v in complete_customers(ctx.session, 4, seed=12)]
    records.submit(ctx.session, ids[:3], note="三户新店")
    records.submit(ctx.session, ids[3:], note="客户要求立即改号", urgent=True)
    panel = ReviewPanel(ctx, ctx.session.form)
    qtbot.addWidget(panel)
    panel.resize(1400, 800)
    panel.show()
    panel.refresh()
    return panel, ids


def test_the_queue_shows_deadlines_and_opens_the_first_submission(queue) -> None:
    panel, ids = queue
    assert panel.table.rowCount() == 4
    assert panel.table.item(0, 0).data(Qt.ItemDataRole.UserRole) == ids[3]  # the emergency first
    assert panel.table.item(0, 1).text() == "应急"
    assert panel.table.item(0, 5).text().startswith("剩余") and "分钟" in panel.table.item(0, 5).text()
    late = [r for r, i in enumerate(panel.items) if i.overdue]  # new customers bound long ago (demo data)
    assert panel.summary.text() == f"待审核 4 项 · 逾期 {len(late)} 项"
    for r in range(4):
        text, colour = panel.table.item(r, 5).text(), panel.table.item(r, 5).foreground().color().name()
        assert (text.startswith("已逾期") and colour == "#c62828") if r in late else text.startswith("剩余")
    view = panel.view
    assert view.current is not None and view.current.item.id == ids[3]
    assert "客户要求立即改号" in view.note.text() and view.note.isVisible()
    assert view.diff.rowCount() > 10  # a new customer: every value
    assert view.diff.isColumnHidden(1)  # nothing approved to compare with


def test_approve_the_clean_ones_together(queue) -> None:
    panel, ids = queue
    panel.check_clean()
    checked = panel.checked_ids()
    assert (
        checked
        and panel.approve_selected.isEnabled()
        and panel.approve_selected.text() == f"批准选中的 {len(checked)} 项"
    )
    panel.approve_checked()
    assert panel.table.rowCount() == 4 - len(checked)
    statuses = {i: panel.ctx.session._archive.customers.get(i).status for i in checked}
    assert set(statuses.values()) == {CustomerStatus.APPROVED}


def test_return_with_a_reason_and_the_fields_to_correct(queue, monkeypatch) -> None:
    panel, ids = queue
    dialogs: list[ReturnDialog] = []
    monkeypatch.setattr(ReturnDialog, "open", lambda self: dialogs.append(self))
    panel.select(ids[0])
    panel.view.return_.click()
    dialog = dialogs[0]
    assert dialog.reason.count() >= 5  # the usual reasons are offered
    dialog._accept()  # no reason yet: refused with a message
    assert not dialog.result() and dialog.error.text() == "请说明退回的原因。"
    dialog.reason.setCurrentText("联系电话与店主不符，请核实")
    for i in range(dialog.fields.count()):
        item = dialog.fields.item(i)
        item.setCheckState(
            Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) == "contact_phone" else Qt.CheckState.Unchecked
        )
    dialog._accept()
    c = panel.ctx.session._archive.customers.get(ids[0])
    assert c.status is CustomerStatus.RETURNED and c.review["fields"] == ["contact_phone"]
    assert c.review["reason"] == "联系电话与店主不符，请核实"
    assert panel.table.rowCount() == 3


def test_the_statistics_tab_draws_what_the_archive_holds(qtbot, ctx) -> None:
    ctx.session.role = "supervisor"
    values = list(generate(30, seed=13))
    ids = [records.save_draft(ctx.session, v)[0].id for v in values]
    records.submit(ctx.session, ids[:5])
    panel = DashboardPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    panel.refresh()
    d = panel.data
    assert d is not None and d.total == 30
    assert sum(a + b for _n, a, b in d.pending_by_age) == 5
    assert sum(sum(row) for row in d.by_format_scale.values()) == 30
    formats = {}
    for v in values:
        formats[v.get("retail_format")] = formats.get(v.get("retail_format"), 0) + 1
    assert sorted(sum(r) for r in d.by_format_scale.values()) == sorted(formats.values())
    assert panel.formats.categories == d.formats and panel.age.totals() == [a + b for _n, a, b in d.pending_by_age]
    image = panel.grab()
    assert not image.isNull()


def test_the_review_tab_follows_the_role(qtbot, ctx) -> None:
    from app.ui.main_window import MainWindow

    win = MainWindow(ctx, ctx.session.form, "tester", "collector")
    qtbot.addWidget(win)
    assert not win.tabs.isTabVisible(win.review_tab)
    win.set_role("supervisor")
    assert win.tabs.isTabVisible(win.review_tab)

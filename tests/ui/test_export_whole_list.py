"""Export the list while its keys are still arriving: the list paints its first page of a query first and
the rest of its keys later (table_model); an export asked for in between gets every customer of the query,
not the first page only (nothing silently short)."""

from __future__ import annotations

from app.models.wire import UserRole
from app.services import records
from app.ui import sheets_flow
from app.ui.main_window import MainWindow
from app.ui.records.table_model import WINDOW


def test_an_export_before_the_rest_of_the_keys_has_arrived_takes_them_all(qtbot, ctx, monkeypatch) -> None:
    n = WINDOW + 30
    for i in range(n):
        records.save_draft(ctx.session, {"shop_name": f"导出测试店{i:03d}"})
    win = MainWindow(ctx, ctx.session.form, "tester", UserRole.COLLECTOR)
    qtbot.addWidget(win)
    model = win.list_panel.model
    qtbot.waitUntil(lambda: model.complete and model.rowCount() == n, timeout=20_000)
    asked: list[list[int] | None] = []
    monkeypatch.setattr(sheets_flow, "choose_export", lambda _ctx, _parent, pks: asked.append(pks))

    win.export_list()  # the whole list known: the keys as shown
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=10_000)
    assert asked[0] == model.pks and len(asked[0]) == n

    model.pks, model.complete = model.pks[:WINDOW], False  # as between the first page and the rest
    win.export_list()
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=10_000)
    assert asked[1] is not None and len(asked[1]) == n and asked[1][:WINDOW] == model.pks

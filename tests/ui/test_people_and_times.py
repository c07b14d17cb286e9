"""Who did what, by display name, and one time zone (issue 16): a collector's history names the
market manager who approved, and ``system`` for the code the server gave; a market manager's list
names each customer's manager. Real server process on 127.0.0.1, real archives, the real widgets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.models import times
from app.models.record import ListQuery
from app.services import listing, records, review
from app.services.demo import generate
from app.settings import Settings
from app.ui.context import UiContext
from app.ui.records.history import HistoryView
from app.ui.records.table_model import Column, CustomerTableModel
from app.ui.tasks import TaskRunner
from tests.complete import with_photos
from tests.sync.conftest import Client, Server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "server-data")
    srv.admin("user", "add", "s1", "--role", "supervisor", "--display-name", "李主管")
    srv.admin("user", "add", "c1", "--role", "collector", "--supervisor", "s1", "--display-name", "王小明")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def clients(tmp_path: Path, memory_keyring: Any) -> Iterator[Any]:
    made: list[Client] = []

    def make(name: str) -> Client:
        c = Client(tmp_path / f"home-{name}", name).__enter__()
        made.append(c)
        return c

    yield make
    for c in made:
        c.__exit__()


_made: list[UiContext] = []


def ui(session: Any) -> UiContext:
    ctx = UiContext(TaskRunner(inline=True), Settings())
    ctx.session = session
    _made.append(ctx)
    return ctx


@pytest.fixture(autouse=True)
def _release_contexts() -> Iterator[None]:
    """Each test's UI contexts stop listening to their sessions before those close (no late events)."""
    yield
    while _made:
        ctx = _made.pop()
        ctx.session = None
        ctx.runner.shutdown()


def rows_of(view: HistoryView) -> list[list[str]]:
    t = view.table
    return [
        [(t.item(r, c).text() if t.item(r, c) else "") for c in range(t.columnCount())] for r in range(t.rowCount())
    ]


def test_the_history_names_who_approved_and_the_system_and_shows_china_time(qtbot, server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    made, _ = records.save_draft(c1.session, with_photos(c1.session, next(generate(1, seed=11, complete=True))))
    assert records.submit(c1.session, [made.id])[0] == [made.id]
    c1.login(server)
    s1.login(server)
    assert c1.sync().complete and s1.sync().complete
    assert review.decide(s1.session, [made.id], "approve") == 1
    assert s1.sync().complete
    last = c1.sync()
    assert last.complete and last.audit_sent and not last.audit_problem  # the server took the trail as written

    entries = records.history(c1.session, made.id)
    by_action = {(e.action, e.field): e for e in entries}
    assert by_action[("status", None)].new == "approved" and by_action[("status", None)].by == "李主管"
    assert by_action[("update", "customer_code")].by == "系统"  # the server gave the code
    assert by_action[("review", None)].by == "李主管"
    assert by_action[("create", None)].by == "王小明"  # this archive's own user, by display name too
    # the trail itself still names this device's user as the one who recorded it (the server checks that)
    assert {e.actor for e in entries} == {"c1"}

    view = HistoryView(ui(c1.session), c1.session.form)
    qtbot.addWidget(view)
    view.load(made.id)
    shown = rows_of(view)
    who = {row[1] for row in shown}
    assert "李主管" in who and "系统" in who and "c1" not in who and "s1" not in who
    approved = next(row for row in shown if row[2] == "状态" and row[4] == "已通过")
    assert approved[1] == "李主管" and approved[5] == "服务器"  # the source: no login name appended
    review_row = next(row for row in shown if row[2] == "审核决定")
    assert "李主管" in review_row[4] and "s1" not in review_row[4]
    # China time, whatever the machine's zone: the entry's UTC instant + 8 hours
    at = dt.datetime.fromisoformat(by_action[("status", None)].at.replace("Z", "+00:00"))
    assert approved[0] == (at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def test_a_market_managers_list_names_each_customers_manager_by_display_name(qtbot, server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    made, _ = records.save_draft(c1.session, next(generate(1, seed=12)))
    c1.login(server)
    s1.login(server)
    assert c1.sync().complete and s1.sync().complete
    keys = listing.pks(s1.session, ListQuery())
    (row,) = listing.rows(s1.session, keys)
    assert row.id == made.id and row.owner == "王小明"
    provisional = c1.session._archive.customers.get(made.id).code
    assert provisional.startswith("TMP-") and row.code == provisional and not row.code_official  # the same code

    model = CustomerTableModel(ui(s1.session))
    model.set_query(ListQuery())
    assert model.rowCount() == 1
    assert model.data(model.index(0, Column.OWNER)) == "王小明"
    assert model.data(model.index(0, Column.CODE)) == provisional
    assert model.headerData(Column.OWNER, Qt.Orientation.Horizontal) == "客户经理"
    assert model.data(model.index(0, Column.UPDATED)) == times.shown(row.updated_at)
    # the collector's own list has nobody else's customers: its own rows name no manager
    (own,) = listing.rows(c1.session, listing.pks(c1.session, ListQuery()))
    assert own.owner in (None, "王小明")


def test_times_are_shown_in_china_time_whatever_the_machines_zone() -> None:
    assert times.shown("2026-12-06T16:30:05.123Z") == "2026-12-07 00:30"
    assert times.shown("2026-12-06T16:30:05Z", seconds=True) == "2026-12-07 00:30:05"
    assert times.shown("2026-12-07T00:30:05+08:00", year=False) == "12-07 00:30"
    assert times.shown("not a time") == "not a time" and times.shown(None) == ""


def test_the_provisional_code_is_sent_only_to_a_server_that_lists_it() -> None:
    """An older server refuses a mutation with a key it does not know: the code goes only where /info
    lists ``provisional_code`` among its features."""
    from app.models.sync_state import LocalRecord, OutboxRow
    from app.sync.engine import build_body

    row = OutboxRow(1, "m1", "customer.save", "r1", "pending", None, None)
    local = LocalRecord("r1", {"shop_name": "老王烟酒店"}, None, 0, "draft", 1, "pending", "TMP-ABCD-000001", False)
    assert "provisional_code" not in (build_body(row, local, 1) or {})
    assert (build_body(row, local, 1, provisional=True) or {})["provisional_code"] == "TMP-ABCD-000001"
    official = LocalRecord("r1", {"shop_name": "老王烟酒店"}, None, 0, "approved", 1, "pending", "610102000001", True)
    assert "provisional_code" not in (build_body(row, official, 1, provisional=True) or {})

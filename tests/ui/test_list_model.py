"""The customer list over 100,000 customers: it never loads all rows, sorts and jumps without waiting."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from app.models.record import CustomerStatus, ListQuery, NewCustomer, Provenance, Quality, new_id
from app.ui.records.list_panel import CustomerListPanel
from app.ui.records.table_model import MAX_WINDOWS, WINDOW, Column, CustomerTableModel

N = 100_000
#: the 100k archive is built once per worker: all of this module's tests run in the same one
pytestmark = pytest.mark.xdist_group("list_model_100k")


@pytest.fixture(scope="session")
def big_archive(tmp_path_factory):
    """One archive with 100k minimal customers, shared by this module's tests (building it takes ~15 s): per
    test process, not per module, since a worker may run other modules' tests between this module's, and a
    module-scoped archive was then built again."""
    import os

    from app import paths
    from app.services import session as ss

    home = tmp_path_factory.mktemp("big")
    old = os.environ.get(paths.ENV_HOME)
    os.environ[paths.ENV_HOME] = str(home)
    s, _ = ss.create(passphrase="correct horse battery staple", actor="bench")
    rng = random.Random(1)
    surnames = "王李张刘陈杨黄赵吴周"
    with s._archive.db.transaction() as tx:
        for i in range(0, N, 1000):
            items = [
                NewCustomer(
                    new_id(),
                    {
                        "shop_name": f"{rng.choice(surnames)}记商店{n}",
                        "contact_name": rng.choice(surnames) + "先生",
                        "contact_phone": f"138{n:08d}",
                        "address": f"西安市碑林区南大街{n}号",
                    },
                    Quality(0.1, 30, 0, 0),
                )
                for n in range(i, i + 1000)
            ]
            s._archive.customers.insert(s.form, items, Provenance("bench"), tx)
    s.close()
    yield home
    if old is None:
        os.environ.pop(paths.ENV_HOME, None)
    else:
        os.environ[paths.ENV_HOME] = old


@pytest.fixture
def big_ctx(qapp, big_archive, monkeypatch):
    from app import paths
    from app.services import session as ss
    from app.settings import Settings
    from app.ui.context import UiContext
    from app.ui.tasks import TaskRunner

    monkeypatch.setenv(paths.ENV_HOME, str(big_archive))
    c = UiContext(TaskRunner(inline=True), Settings())
    c.session = ss.unlock(passphrase="correct horse battery staple")
    calls: list[int] = []
    real = c.session._archive.customers.rows
    c.session._archive.customers.rows = lambda pks: (calls.append(len(pks)), real(pks))[1]  # type: ignore[method-assign]
    c.row_fetches = calls  # type: ignore[attr-defined]
    yield c
    c.session.close()


def test_model_counts_all_but_loads_only_what_is_shown(qtbot, big_ctx) -> None:
    model = CustomerTableModel(big_ctx)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1000, 600)
    model.set_query(ListQuery())
    view.show()
    qtbot.waitExposed(view)
    assert model.rowCount() == N
    assert sum(big_ctx.row_fetches) <= 2 * WINDOW  # the first screen, not 100k rows
    assert model.data(model.index(0, Column.SHOP)).endswith(str(N - 1))  # newest first
    view.scrollToBottom()
    qtbot.wait(50)
    last = model.data(model.index(N - 1, Column.SHOP))
    assert last == "…" or last.endswith("商店0")
    assert model.data(model.index(N - 1, Column.SHOP)).endswith("商店0")
    for row in range(0, N, N // 60):  # jump around: the cache stays bounded
        model.data(model.index(row, Column.CODE))
    assert len(model.windows) <= MAX_WINDOWS
    assert sum(big_ctx.row_fetches) < 80 * WINDOW


def test_sort_and_search(qtbot, big_ctx) -> None:
    model = CustomerTableModel(big_ctx)
    model.set_query(ListQuery())
    model.sort(Column.PHONE, Qt.SortOrder.AscendingOrder)
    assert model.data(model.index(0, Column.PHONE)) == "13800000000"
    model.sort(Column.PHONE, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, Column.PHONE)) == f"138{N - 1:08d}"
    model.set_query(ListQuery("13800009999"))
    assert model.rowCount() == 1 and model.data(model.index(0, Column.SHOP)).endswith("商店9999")
    model.set_query(ListQuery("王"))
    assert 5_000 < model.rowCount() < 20_000
    model.set_query(ListQuery(status=CustomerStatus.PENDING))
    assert model.rowCount() == 0


def test_search_box_is_debounced_and_stale_answers_are_dropped(qtbot, big_ctx) -> None:
    panel = CustomerListPanel(big_ctx)
    qtbot.addWidget(panel)
    panel.apply()
    queries = []
    real = big_ctx.session._archive.customers.list_pks
    big_ctx.session._archive.customers.list_pks = lambda q, *a: (queries.append(q.text), real(q, *a))[1]  # type: ignore[method-assign]
    for prefix in ("1", "13", "138", "1380", "13800", "138000", "1380000", "13800001"):
        panel.search.setText(prefix)  # typing quickly: one query after the pause
    # one query after the pause: its first page (with a limit), then the rest of its keys
    qtbot.waitUntil(lambda: queries == ["13800001", "13800001"], timeout=2000)
    assert panel.model.rowCount() == 1000  # 138 00001 000 … 138 00001 999
    assert panel.count.text() == "1000 户客户"


def test_a_query_paints_its_first_page_then_appends_the_rest(qtbot, big_ctx) -> None:
    """The first answer is one window of keys with its rows (a limit: painted at once); the rest of the
    keys is appended as inserted rows, so what is painted is not reset; the count comes with the rest."""
    model = CustomerTableModel(big_ctx)
    limits: list[int | None] = []
    real = big_ctx.session._archive.customers.list_pks
    big_ctx.session._archive.customers.list_pks = lambda q, limit=None: (limits.append(limit), real(q, limit))[1]  # type: ignore[method-assign]
    events: list[tuple[str, int]] = []
    model.modelReset.connect(lambda: events.append(("reset", model.rowCount())))
    model.rowsInserted.connect(lambda _p, first, last: events.append(("inserted", last - first + 1)))
    model.sig_loaded.connect(lambda n: events.append(("loaded", n)))
    model.set_query(ListQuery("王"))
    total = model.rowCount()
    assert limits == [WINDOW + 1, None]
    assert events == [("reset", WINDOW), ("inserted", total - WINDOW), ("loaded", total)]
    assert big_ctx.row_fetches[-1] == WINDOW  # the first page's rows came with its keys…
    fetches = len(big_ctx.row_fetches)
    assert model.data(model.index(0, Column.SHOP)).startswith("王")
    assert len(big_ctx.row_fetches) == fetches  # …so painting them asks nothing more
    limits.clear()
    events.clear()
    model.set_query(ListQuery("13800009999"))  # a page that holds it all: one query, no rest
    assert limits == [WINDOW + 1] and events == [("reset", 1), ("loaded", 1)]


def test_the_list_panel_asks_its_query_once(qtbot, big_ctx) -> None:
    """Setting up the table's sort indicator does not run the query again (it did twice, 100k keys each)."""
    queries: list[int | None] = []
    real = big_ctx.session._archive.customers.list_pks
    big_ctx.session._archive.customers.list_pks = lambda q, limit=None: (queries.append(limit), real(q, limit))[1]  # type: ignore[method-assign]
    panel = CustomerListPanel(big_ctx)
    qtbot.addWidget(panel)
    assert queries == []
    panel.apply()
    assert queries == [WINDOW + 1, None] and panel.model.rowCount() == N
    assert panel.model.data(panel.model.index(0, Column.SHOP)).endswith(str(N - 1))  # newest first, as before
    panel.table.sortByColumn(Column.PHONE, Qt.SortOrder.AscendingOrder)  # a click on a header still sorts
    assert panel.model.data(panel.model.index(0, Column.PHONE)) == "13800000000"

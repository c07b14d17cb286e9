"""A first page of a broad search (a term matching thousands of customers) walks the list in its order and
stops at the page instead of looking up and sorting every match (issue 21); its answer is the same."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.models.record import ListQuery, NewCustomer, Provenance, Quality, new_id
from app.storage.search import BROAD
from tests.consent import CONSENT

COUNT = BROAD + 300


@pytest.fixture
def many(session):
    items = [
        NewCustomer(
            new_id(),
            {"shop_name": f"{'王李张'[k % 3]}记烟酒店{k}", "address": f"碑林区南大街{k % 40}号", **CONSENT},
            Quality(0.2, 30, 0, 0),
        )
        for k in range(COUNT)
    ]
    session._archive.customers.insert(session.form, items, Provenance("tester"))
    return session


def _plan(session, query: ListQuery, limit: int | None) -> str:
    cu = session._archive.customers
    with cu.reading() as c:
        q = cu._search(c, query.text, None, False, query.sort, query.descending, limit, None, False, False)
        sql = str(q.compile(compile_kwargs={"literal_binds": True}))
        return " | ".join(r[3] for r in c.execute(text("EXPLAIN QUERY PLAN " + sql)))


@pytest.mark.parametrize("words", ["南大街", "王", "南大街 烟酒", "烟酒店1", "碑林区南大街3号", "王记 12"])
@pytest.mark.parametrize("sort", ["updated_at", "shop_name", "contact_name"])
def test_a_first_page_is_the_whole_answers_beginning(many, words, sort) -> None:
    cu = many._archive.customers
    for descending in (True, False):
        query = ListQuery(words, sort=sort, descending=descending)
        whole = cu.list_pks(query)
        assert whole
        for limit in (1, 101):
            assert cu.list_pks(query, limit) == whole[:limit]


def test_a_broad_first_page_walks_the_list_in_order_without_sorting(many) -> None:
    plan = _plan(many, ListQuery("南大街"), 101)
    assert "USING INDEX ix_customer_updated" in plan
    assert "TEMP B-TREE" not in plan  # no sort of every match
    plan = _plan(many, ListQuery("烟酒 南大街"), 101)  # a gram and a trigram term
    assert "TEMP B-TREE" not in plan


def test_a_narrow_search_and_the_whole_answer_look_the_matches_up(many) -> None:
    assert "SEARCH customer USING INTEGER PRIMARY KEY" in _plan(many, ListQuery("碑林区南大街3号"), 101)  # 1 in 40
    assert "SEARCH customer USING INTEGER PRIMARY KEY" in _plan(many, ListQuery("南大街"), None)
    assert "SEARCH customer USING INTEGER PRIMARY KEY" in _plan(many, ListQuery("南大街 烟酒店123"), 101)

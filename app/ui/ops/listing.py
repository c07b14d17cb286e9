"""Operations for the customer list: a query's first page, the rest of its keys, a window of rows, the
logging of a search, the status bar's counts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.models.record import CustomerRow, ListQuery
from app.services import listing
from app.services.listing import FirstPage, Summary
from app.ui.context import UiContext
from app.ui.tasks import DbOp


def first_page(ctx: UiContext, query: ListQuery, size: int, parent: Any = None) -> DbOp[FirstPage]:
    return ctx.op(lambda s: listing.first_page(s, query, size), parent)


def customer_keys(
    ctx: UiContext, query: ListQuery, parent: Any = None, wanted: Callable[[], bool] = lambda: True
) -> DbOp[list[int] | None]:
    """All the keys of ``query`` (the search logged); None, without asking, when no longer ``wanted``
    (a newer query came while this one waited for the DB thread)."""
    return ctx.op(lambda s: listing.pks(s, query) if wanted() else None, parent)


def searched(ctx: UiContext, text: str, results: int) -> DbOp[None]:
    return ctx.op(lambda s: listing.searched(s, text, results))


def customer_rows(ctx: UiContext, keys: Sequence[int], parent: Any = None) -> DbOp[list[CustomerRow]]:
    return ctx.op(lambda s: listing.rows(s, keys), parent)


def summary(ctx: UiContext, parent: Any) -> DbOp[Summary]:
    return ctx.op(listing.summary, parent)

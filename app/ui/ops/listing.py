"""Operations for the customer list: the keys a query selects, a window of rows, the status bar's counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.models.record import CustomerRow, ListQuery
from app.services import listing
from app.services.listing import Summary
from app.ui.context import UiContext
from app.ui.tasks import DbOp


def customer_keys(ctx: UiContext, query: ListQuery, parent: Any = None) -> DbOp[list[int]]:
    return ctx.op(lambda s: listing.pks(s, query), parent)


def customer_rows(ctx: UiContext, keys: Sequence[int], parent: Any = None) -> DbOp[list[CustomerRow]]:
    return ctx.op(lambda s: listing.rows(s, keys), parent)


def summary(ctx: UiContext, parent: Any) -> DbOp[Summary]:
    return ctx.op(listing.summary, parent)

"""Operations of the monthly filings (app.services.filings): what the user owes, filing one and fetching one
are asked of the server on the network pool (``ops.syncing.ask_server``); its workbook is written and the
export audited on the DB thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.models.filings import Filing, FilingsOwed
from app.services import filings
from app.ui.context import UiContext
from app.ui.ops.syncing import ask_server
from app.ui.tasks import DbOp

Failure = Callable[[BaseException], None]


def fetch_owed(ctx: UiContext, parent: Any, success: Callable[[FilingsOwed], None], failure: Failure) -> None:
    """What the signed-in user owes this month and what is overdue."""
    ask_server(ctx, filings.owed, parent, success, failure)


def file(
    ctx: UiContext,
    parent: Any,
    item: Filing,
    note: str,
    extra: dict[str, Any],
    success: Callable[[dict[str, Any]], None],
    failure: Failure,
) -> None:
    """File ``item`` with ``note`` (and the form's rows or the documents in ``extra``)."""
    ask_server(ctx, lambda client: filings.file(client, item, note, **extra), parent, success, failure)


def fetch(ctx: UiContext, parent: Any, item: Filing, success: Callable[[Filing], None], failure: Failure) -> None:
    """``item`` with its content: as filed, or as it would be filed now."""
    ask_server(ctx, lambda client: filings.fetch(client, item), parent, success, failure)


def save(ctx: UiContext, parent: Any, item: Filing, target: Path, lang: str) -> DbOp[int]:
    """Write the fetched filing to ``target`` and audit the export; the number of table rows."""
    return ctx.op(lambda s: filings.save(s, item, target, lang), parent)

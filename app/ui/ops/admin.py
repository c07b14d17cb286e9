"""Operations of the administration area: each asks the server (the network pool, through
``UiContext.ask_server``) with one function of ``app.services.admin``; a failure is shown to the person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.ui.context import UiContext
from app.ui.errors import show_exception

T = TypeVar("T")


def ask(
    ctx: UiContext,
    parent: Any,
    work: Callable[[Any], T],
    success: Callable[[T], None],
    failure: Callable[[BaseException], None] | None = None,
) -> None:
    """``work(client)`` for the server this archive is signed in to; ``success`` on the GUI thread."""

    def failed(exc: BaseException) -> None:
        if failure is not None:
            failure(exc)
        show_exception(parent, exc)

    ctx.ask_server(work, parent, success, failed)

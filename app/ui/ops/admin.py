"""Operations of the administration area: each asks the server (the network pool, through
``ops.syncing.ask_server``) with one function of ``app.services.admin``; a failure is shown to the
person. And redeeming a one-time code, which needs no sign-in (Sync → Set a password with a code…)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.services import admin
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops.syncing import ask_server
from app.ui.tasks import NetOp

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

    ask_server(ctx, work, parent, success, failed)


def redeem_code(
    ctx: UiContext, parent: Any, server: str, user: str, code: str, password: str, repeat: str
) -> NetOp[None]:
    """Set the user's password with the code an admin gave, on the network pool (no archive needed)."""
    return ctx.net(lambda: admin.redeem_code(server, user, code, password, repeat), parent)

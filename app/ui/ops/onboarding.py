"""Operations of the to-do list (app.services.onboarding, app.services.changes): the steps waiting for the user
and doing one, asked of the server on the network pool (``ops.syncing.ask_server``); the onboarding list last
fetched is kept in the archive and read back on the DB thread when the server cannot be asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.models.onboarding import WaitingChange, WaitingStep
from app.services import change_requests, changes, onboarding
from app.services.changes import Notice
from app.services.onboarding import KeptList
from app.ui.context import UiContext
from app.ui.ops.syncing import ask_server

Failure = Callable[[BaseException], None]


def fetch_waiting(ctx: UiContext, parent: Any, success: Callable[[list[WaitingStep]], None], failure: Failure) -> None:
    """The onboarding steps waiting for the signed-in user."""
    ask_server(ctx, onboarding.waiting, parent, success, failure)


def keep_waiting(ctx: UiContext, parent: Any, items: list[WaitingStep], failure: Failure) -> None:
    """Keep the list just fetched in the archive (shown offline, "as of" now)."""
    ctx.op(lambda s: onboarding.keep(s, items), parent).failure(failure).run()


def kept_waiting(ctx: UiContext, parent: Any, success: Callable[[KeptList | None], None], failure: Failure) -> None:
    """The list last fetched for this sign-in, from the archive (None: none)."""
    ctx.op(onboarding.kept, parent).success(success).failure(failure).run()


def do_step(
    ctx: UiContext,
    parent: Any,
    item: WaitingStep,
    answer: tuple[str, Notice | None],
    success: Callable[[int], None],
    failure: Failure,
) -> None:
    """Do ``item``'s step with (note, phone notice); ``success`` gets the case's new revision."""
    note, phone = answer
    ask_server(ctx, lambda client: onboarding.do_step(client, item, note, phone), parent, success, failure)


def fetch_changes(
    ctx: UiContext, parent: Any, success: Callable[[list[WaitingChange]], None], failure: Failure
) -> None:
    """The change requests' steps waiting for the signed-in user."""
    ask_server(ctx, changes.waiting, parent, success, failure)


def do_change_step(
    ctx: UiContext,
    parent: Any,
    item: WaitingChange,
    answer: tuple[str, Notice | None, Notice | None],
    success: Callable[[int], None],
    failure: Failure,
) -> None:
    """Do ``item``'s step with (note, phone call, customer notice); ``success`` gets the new revision."""
    note, phone, told = answer
    ask_server(ctx, lambda client: changes.do_step(client, item, note, phone, told), parent, success, failure)


def open_change(
    ctx: UiContext,
    parent: Any,
    call: Callable[[Any], change_requests.Opened],
    success: Callable[[change_requests.Opened], None],
    failure: Failure,
) -> None:
    """Open a change request (``call(client)``: app.services.change_requests.open_request bound to its
    arguments) on the network pool; ``success`` gets the request as opened."""
    ask_server(ctx, call, parent, success, failure)

"""Operations of the maintenance checks (app.services.checks): recording a monthly check or a spot audit and
listing a month's checks are asked of the server on the network pool (``ops.syncing.ask_server``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.models import times
from app.models.checks import MaintenanceCheck
from app.services import checks
from app.ui.context import UiContext
from app.ui.ops.syncing import ask_server

Failure = Callable[[BaseException], None]
Done = Callable[[MaintenanceCheck], None]


def listing(
    ctx: UiContext, parent: Any, month: str, success: Callable[[list[MaintenanceCheck]], None], failure: Failure
) -> None:
    """The checks of ``month`` the signed-in user may see."""
    ask_server(ctx, lambda client: checks.listing(client, month), parent, success, failure)


def monthly(ctx: UiContext, parent: Any, fields: dict[str, Any], success: Done, failure: Failure) -> None:
    """Record the monthly check (``collector``, ``month``, ``checked_on``, ``ratings``, ``findings``)."""
    today = times.today()
    ask_server(ctx, lambda client: checks.monthly(client, **fields, today=today), parent, success, failure)


def spot(ctx: UiContext, parent: Any, fields: dict[str, Any], success: Done, failure: Failure) -> None:
    """Record a spot audit (``collector``, ``month``, ``checked_on``, ``sample``, ``score``, ``findings``)."""
    today = times.today()
    ask_server(ctx, lambda client: checks.spot(client, **fields, today=today), parent, success, failure)

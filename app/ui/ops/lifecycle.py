"""Operations of an outlet's lifecycle (销户): close or reopen one customer, on the DB thread, announcing the
customer as stored (it leaves or rejoins the working list; the counts change; one more change waits)."""

from __future__ import annotations

from typing import Any

from app.services import lifecycle
from app.services.events import Changes
from app.ui.context import UiContext
from app.ui.tasks import DbOp


def close_outlet(ctx: UiContext, parent: Any, customer_id: str, action: str, day: str, reason: str) -> DbOp[Changes]:
    """``action`` close | reopen, ``day`` the licence's cancellation date (ISO; reopen: today), ``reason``."""
    return ctx.op(lambda s: lifecycle.close_outlets(s, [customer_id], action, day, reason), parent).changes(
        lambda changes: changes
    )

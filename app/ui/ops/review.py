"""Operations of the review tab: the queue, one submission, the usual return reasons, the decision."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.services import review
from app.services.events import Changes
from app.services.review import QueueItem, Submission
from app.ui.context import UiContext
from app.ui.tasks import DbOp


def queue(ctx: UiContext, parent: Any) -> DbOp[list[QueueItem]]:
    return ctx.op(review.queue, parent)


def submission(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[Submission | None]:
    return ctx.op(lambda s: review.open_submission(s, customer_id), parent)


def reasons(ctx: UiContext, parent: Any) -> DbOp[list[str]]:
    return ctx.op(review.reasons, parent)


def decide(
    ctx: UiContext, parent: Any, ids: Sequence[str], action: str, reason: str = "", fields: Sequence[str] = ()
) -> DbOp[int]:
    """Approve or return the submissions ``ids``; returns how many were decided. Sent at the next sync."""
    ids = list(ids)
    return ctx.op(lambda s: review.decide(s, ids, action, reason, list(fields)), parent).changes(
        lambda _n: Changes.ids(ids)
    )

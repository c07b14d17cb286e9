"""Operations on the customer's signature: list them (with their state) and record a new one."""

from __future__ import annotations

from typing import Any

from app.models.signature import Signature
from app.services import signatures
from app.services.events import Changes
from app.ui.context import UiContext
from app.ui.tasks import DbOp


def of_customer(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[list[Signature]]:
    return ctx.op(lambda s: signatures.of_customer(s, customer_id), parent)


def sign(ctx: UiContext, parent: Any, customer_id: str, png: bytes) -> DbOp[Signature]:
    return ctx.op(lambda s: signatures.sign(s, customer_id, png), parent).changes(
        lambda _s: Changes.ids([customer_id], lists=False)
    )

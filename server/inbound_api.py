"""HTTP routes of the inbound feeds of issue 19 (server/inbound.py, docs/integrations.md "Inbound feeds").

- ``POST /api/v1/integrations/licensees`` (scope ``licensees:write``): new and changed licensees from the
  monopoly licence system.
- ``POST /api/v1/integrations/assignments`` (scope ``assignments:write``): staff assignments, routes,
  delivery sequence, order batches and quotas from the distribution and delivery systems.

Both take ``{"items": [...]}`` (1 to ``Settings.inbound_max_items`` items, default ``inbound.MAX_ITEMS``;
more: ``413 too_large``) and answer ``200`` with one answer per
item, in order: ``accepted`` or ``rejected`` with its field errors. Only integration tokens may call them.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from app.models.wire import ErrorCode
from server import inbound
from server.accounts import Caller
from server.api import AUTHED, CheckedRoute, db_of, errors, settings_of
from server.errors import ApiError
from server.integrations import Scope
from server.machines import allowing

router = APIRouter(route_class=CheckedRoute, tags=["integrations"])
licensee_writer = allowing(Scope.LICENSEES_WRITE)
assignment_writer = allowing(Scope.ASSIGNMENTS_WRITE)


class InboundBatch(BaseModel):
    items: list[Any] = Field(..., min_length=1)


class ItemError(BaseModel):
    field: str | None
    code: str
    message: str


class ItemAnswer(BaseModel):
    external_id: str | None
    version: int | None
    status: Literal["accepted", "rejected"]
    record_id: str | None  # the customer written (or refused)
    created: bool  # a new licensee became a new draft customer
    changed: list[str]  # the fields whose value changed
    linked: bool = False  # a new licensee was linked to the customer keyed by hand with its licence number
    closed: bool = False  # its licence's cancellation closed the outlet (销户)
    errors: list[ItemError]


class InboundAnswer(BaseModel):
    items: list[ItemAnswer]
    accepted: int
    rejected: int


def _run(request: Request, who: Caller, kind: str, batch: InboundBatch) -> dict[str, Any]:
    if who.machine is None:
        raise ApiError(
            403, ErrorCode.FORBIDDEN, "This endpoint is for integrations: call it with an integration token."
        )
    most = settings_of(request).inbound_max_items
    if len(batch.items) > most:
        raise ApiError(
            413,
            ErrorCode.TOO_LARGE,
            f"At most {most} items a call: send a larger load in pages.",
            fields=[{"field": "items", "code": "items.too_many", "message": str(most)}],
        )
    machine = who.machine
    answers = db_of(request).write(lambda tx: inbound.receive(tx, machine, kind, batch.items))
    accepted = sum(1 for a in answers if a["status"] == "accepted")
    return {"items": answers, "accepted": accepted, "rejected": len(answers) - accepted}


@router.post("/integrations/licensees", response_model=InboundAnswer, responses=errors(*AUTHED))
async def licensees(request: Request, batch: InboundBatch, who: Caller = Depends(licensee_writer)) -> dict[str, Any]:
    return await run_in_threadpool(_run, request, who, inbound.LICENSEE, batch)


@router.post("/integrations/assignments", response_model=InboundAnswer, responses=errors(*AUTHED))
async def assignments(
    request: Request, batch: InboundBatch, who: Caller = Depends(assignment_writer)
) -> dict[str, Any]:
    return await run_in_threadpool(_run, request, who, inbound.ASSIGNMENT, batch)

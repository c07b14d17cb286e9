"""HTTP routes of the outbound side of issue 19 (docs/integrations.md).

- ``GET /api/v1/integrations/changes?cursor=&limit=``: the outbound feed of approved changes
  (server/outbound.py), for an integration token holding ``feed:read``; a person's token is refused.
- ``GET /api/v1/admin/webhooks/deliveries?state=dead&integration=``: the dead-letter list (or the
  pending or delivered batches), admins only.
- ``POST /api/v1/admin/webhooks/deliveries/{id}/replay``: a dead batch is sent again, admins only.
- ``POST /api/v1/admin/webhooks/deliveries/{id}/dismiss``: a dead batch is given up (purged later), admins only.
- ``POST /api/v1/admin/outbound/purge?dry_run=``: delivered batches and outbound changes older than the
  deployment's retention are removed (server/outbound_purge.py), admins only.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from app.models.wire import ErrorCode
from server import outbound, outbound_purge, webhooks
from server.accounts import Caller
from server.admin_api import ADMIN, admin_caller
from server.administration import Actor
from server.api import AUTHED, CheckedRoute, db_of, errors, settings_of
from server.errors import ApiError
from server.integrations import IntegrationError, Scope
from server.machines import allowing

router = APIRouter(route_class=CheckedRoute)
admin = APIRouter(route_class=CheckedRoute, tags=["admin"])
feed_reader = allowing(Scope.FEED_READ)
DELIVERY_PATH = Path(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ApprovedChange(BaseModel):
    seq: int
    kind: Literal["approved", "changed", "deleted"]
    record_id: str
    code: str | None
    version: int
    at: str
    changed: list[str]  # the keys (of the integration's fields) whose approved value changed
    values: dict[str, Any] | None  # the approved values (the integration's fields); null for a deletion


class ChangesPage(BaseModel):
    changes: list[ApprovedChange]
    cursor: int
    more: bool
    epoch: str | None
    server_time: str


class Delivery(BaseModel):
    id: str
    integration: str
    state: Literal["pending", "delivered", "dead", "dismissed"]
    first_seq: int
    last_seq: int
    changes: int
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: str
    delivered_at: str | None


@router.get("/integrations/changes", response_model=ChangesPage, responses=errors(*AUTHED, 410))
def approved_changes(
    request: Request,
    cursor: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=outbound.MAX_LIMIT),
    who: Caller = Depends(feed_reader),
) -> dict[str, Any]:
    if who.machine is None:
        raise ApiError(
            403, ErrorCode.FORBIDDEN, "This endpoint is for integrations: call it with an integration token."
        )
    return outbound.changes_page(db_of(request), who.machine, cursor, limit)


@admin.get("/webhooks/deliveries", response_model=list[Delivery], responses=errors(*ADMIN, 404))
async def webhook_deliveries(
    request: Request,
    state: Literal["pending", "delivered", "dead", "dismissed"] = Query("dead"),
    integration: str | None = Query(None, max_length=48),
    limit: int = Query(100, ge=1, le=1000),
    _who: Actor = Depends(admin_caller),
) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]]:
        with db_of(request).read() as conn:
            return webhooks.deliveries(conn, integration, state, limit)

    try:
        return await run_in_threadpool(read)
    except IntegrationError as exc:
        raise ApiError(404, ErrorCode.NOT_FOUND, str(exc)) from None


@admin.post("/webhooks/deliveries/{delivery_id}/replay", response_model=Delivery, responses=errors(*ADMIN, 404))
async def webhook_replay(
    request: Request, delivery_id: str = DELIVERY_PATH, _who: Actor = Depends(admin_caller)
) -> dict[str, Any]:
    try:
        out: dict[str, Any] = await run_in_threadpool(db_of(request).write, lambda tx: webhooks.replay(tx, delivery_id))
    except IntegrationError as exc:
        status = 404 if "there is no" in str(exc) else 422
        raise ApiError(status, ErrorCode.NOT_FOUND if status == 404 else ErrorCode.VALIDATION, str(exc)) from None
    return out


@admin.post("/webhooks/deliveries/{delivery_id}/dismiss", response_model=Delivery, responses=errors(*ADMIN, 404))
async def webhook_dismiss(
    request: Request, delivery_id: str = DELIVERY_PATH, _who: Actor = Depends(admin_caller)
) -> dict[str, Any]:
    try:
        out: dict[str, Any] = await run_in_threadpool(
            db_of(request).write, lambda tx: webhooks.dismiss(tx, delivery_id)
        )
    except IntegrationError as exc:
        status = 404 if "there is no" in str(exc) else 422
        raise ApiError(status, ErrorCode.NOT_FOUND if status == 404 else ErrorCode.VALIDATION, str(exc)) from None
    return out


class Purged(BaseModel):
    retention_days: float
    cutoff: float
    deliveries: int  # delivered (and dismissed) batches removed
    changes: int  # outbound changes removed
    horizon: int  # the newest outbound change removed so far: a cursor below it is 410
    dry_run: bool


@admin.post("/outbound/purge", response_model=Purged, responses=errors(*ADMIN))
async def outbound_purge_now(
    request: Request, dry_run: bool = Query(False), _who: Actor = Depends(admin_caller)
) -> dict[str, Any]:
    days = settings_of(request).outbound_retention_days
    return await run_in_threadpool(db_of(request).write, lambda tx: outbound_purge.purge(tx, days, dry_run=dry_run))

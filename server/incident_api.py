"""The admin API's incident records (under /api/v1/admin/incidents, docs/server.md), over the service
functions of server/incidents.py that the command line shares. Admin role only, every call in the admin
log; refusals in the one error shape (404 for an incident, user or device that does not exist, 422 with
the reason otherwise)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from server import administration as adm
from server import incidents as inc
from server.admin_api import ADMIN, admin_caller, refusals
from server.api import CheckedRoute, db_of, errors
from server.wiremodels import NO_NUL, Strict

router = APIRouter(route_class=CheckedRoute, tags=["admin"])
Kind = Literal["leak", "lost_device", "disclosure", "other"]
ID = Path(ge=1, le=2**31 - 1)
TEXT = Field(max_length=inc.TEXT_MAX * 2, pattern=NO_NUL)  # checked again by the service, with the reason


class StepOut(BaseModel):
    action: Literal["opened", "revoked", "remedy", "notified", "closed"]
    detail: dict[str, Any]
    by: str
    at: float


class IncidentOut(BaseModel):
    id: int
    kind: Kind
    occurred_on: str
    summary: str
    customers: list[str] = Field(description="the affected customers' ids")
    remedy: str | None
    notified: str | None = Field(description="who was told")
    state: Literal["open", "closed"]
    created_by: str
    created_at: float
    closed_at: float | None
    steps: list[StepOut]


class IncidentRow(BaseModel):
    id: int
    kind: Kind
    occurred_on: str
    summary: str
    customers: int
    state: Literal["open", "closed"]
    remedy: str | None
    notified: str | None


class IncidentIn(Strict):
    kind: Kind
    occurred_on: str = Field(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")
    summary: str = TEXT
    customers: list[str] = Field(default=[], max_length=inc.CUSTOMERS_MAX, description="ids or official codes")


class DeviceIn(Strict):
    user: str = Field(max_length=64, pattern=NO_NUL)
    device_id: str = Field(max_length=128, pattern=NO_NUL)


class TextIn(Strict):
    text: str = TEXT


@router.get("/incidents", response_model=list[IncidentRow], responses=errors(*ADMIN))
def list_incidents(
    request: Request,
    state: Literal["open", "closed"] | None = Query(default=None),
    actor: adm.Actor = Depends(admin_caller),
) -> list[dict[str, Any]]:
    return inc.list_incidents(db_of(request), actor, state)


@router.post("/incidents", response_model=IncidentOut, status_code=201, responses=errors(*ADMIN))
def open_incident(body: IncidentIn, request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """Record what happened, when, and the customers affected."""
    with refusals():
        return inc.open_incident(db_of(request), actor, body.kind, body.occurred_on, body.summary, body.customers)


@router.get("/incidents/{incident}", response_model=IncidentOut, responses=errors(*ADMIN, 404))
def show(request: Request, incident: int = ID, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    with refusals():
        return inc.show(db_of(request), actor, incident)


@router.post("/incidents/{incident}/revoke", response_model=IncidentOut, responses=errors(*ADMIN, 404))
def revoke(
    body: DeviceIn, request: Request, incident: int = ID, actor: adm.Actor = Depends(admin_caller)
) -> dict[str, Any]:
    """Revoke the lost or exposed device as a step of the incident."""
    with refusals():
        return inc.revoke_device(db_of(request), actor, incident, body.user, body.device_id)


@router.put("/incidents/{incident}/{what}", response_model=IncidentOut, responses=errors(*ADMIN, 404))
def record(
    body: TextIn,
    request: Request,
    what: Literal["remedy", "notified"],
    incident: int = ID,
    actor: adm.Actor = Depends(admin_caller),
) -> dict[str, Any]:
    """The remedy taken, or who was told."""
    with refusals():
        return inc.record(db_of(request), actor, incident, what, body.text)


@router.post("/incidents/{incident}/close", response_model=IncidentOut, responses=errors(*ADMIN, 404))
def close(request: Request, incident: int = ID, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """Close it: only once the remedy and who was told are recorded."""
    with refusals():
        return inc.close(db_of(request), actor, incident)

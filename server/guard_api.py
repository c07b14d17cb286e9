"""HTTP API of the access guards (issue 18, docs/server.md): AB posts under ``/api/v1/covers`` (an admin, or
the absent customer manager's market manager: server/covers.py) and the alerts to admins under
``/api/v1/admin/alerts`` (admin role only: server/alerts.py). Every call is in the admin log; refusals in the
one error shape (404 for a cover or user that does not exist, 403 for a caller who may not, 422 otherwise)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from server import administration as adm
from server import alerts, auth
from server import covers as cov
from server.accounts import Caller
from server.admin_api import ADMIN, actor_of, admin_caller, refusals
from server.api import CheckedRoute, address_of, db_of, errors, settings_of
from server.machines import human_caller
from server.wiremodels import NO_NUL, Strict, TokenResponse

router = APIRouter(route_class=CheckedRoute, tags=["covers"])
admin_router = APIRouter(route_class=CheckedRoute, tags=["admin"])
ID = Path(ge=1, le=2**31 - 1)
WHEN = Field(min_length=10, max_length=40, pattern=NO_NUL, description="YYYY-MM-DD (China) or ISO 8601")


class CoverIn(Strict):
    absent: str = Field(max_length=64, pattern=NO_NUL, description="A: the customer manager on leave")
    cover: str = Field(max_length=64, pattern=NO_NUL, description="B: who keeps A's customers meanwhile")
    starts: str = WHEN
    ends: str = WHEN
    reason: str = Field(max_length=1000, pattern=NO_NUL)


class OpenItem(BaseModel):
    id: str
    code: str | None
    shop: str
    status: str


class HandoverRecord(BaseModel):
    event: Literal["start", "end"]
    at: float
    when: str | None
    customers: int
    open: list[OpenItem]


class CoverOut(BaseModel):
    id: int
    absent: str
    cover: str
    starts_at: float
    ends_at: float
    starts: str | None
    ends: str | None
    reason: str
    set_by: str
    cut_by: str | None
    state: Literal["planned", "active", "ended"]
    handover: list[HandoverRecord] = []


class AlertOut(BaseModel):
    id: int
    kind: str
    subject: str
    count: int
    threshold: int
    first_at: float
    last_at: float
    raised_at: float
    acknowledged_by: str | None
    acknowledged_at: float | None


def _by(who: Caller) -> tuple[adm.Actor, Any]:
    return actor_of(who), who.user


@router.get("/covers", response_model=list[CoverOut], responses=errors(401, 403))
def list_covers(request: Request, who: Caller = Depends(human_caller)) -> list[dict[str, Any]]:
    """The covers the caller may see: an admin all, a market manager their team's, anyone their own."""
    return cov.list_covers(db_of(request), *_by(who))


@router.post("/covers", response_model=CoverOut, status_code=201, responses=errors(401, 403, 404))
def set_cover(body: CoverIn, request: Request, who: Caller = Depends(human_caller)) -> dict[str, Any]:
    """Set a cover: B keeps A's customers from ``starts`` to ``ends``; it ends by itself."""
    with refusals():
        return cov.set_cover(db_of(request), *_by(who), body.absent, body.cover, body.starts, body.ends, body.reason)


@router.get("/covers/{cover}", response_model=CoverOut, responses=errors(401, 403, 404))
def show_cover(request: Request, cover: int = ID, who: Caller = Depends(human_caller)) -> dict[str, Any]:
    """One cover with its handover records (at its start and at its end)."""
    with refusals():
        return cov.show(db_of(request), *_by(who), cover)


@router.post("/covers/{cover}/end", response_model=CoverOut, responses=errors(401, 403, 404))
def end_cover(request: Request, cover: int = ID, who: Caller = Depends(human_caller)) -> dict[str, Any]:
    """End a cover now, before its time."""
    with refusals():
        return cov.cut(db_of(request), *_by(who), cover)


@admin_router.get("/alerts", response_model=list[AlertOut], responses=errors(*ADMIN))
def list_alerts(
    request: Request,
    unacknowledged: bool = Query(default=False),
    actor: adm.Actor = Depends(admin_caller),
) -> list[dict[str, Any]]:
    """Alerts, newest first: repeated failed logins (per account, per address), refused tokens, export volumes."""
    return alerts.list_alerts(db_of(request), actor, request.app.state.settings, unacknowledged=unacknowledged)


class AlertsWaitingOut(BaseModel):
    waiting: int


@admin_router.get("/alerts/waiting", response_model=AlertsWaitingOut, responses=errors(*ADMIN))
def alerts_waiting(request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """How many alerts wait for an acknowledgement (the admin client's notice after each sync; not logged)."""
    return {"waiting": alerts.waiting(db_of(request))}


@admin_router.post("/alerts/{alert}/acknowledge", response_model=AlertOut, responses=errors(*ADMIN, 404))
def acknowledge(
    request: Request, alert: int = Path(ge=1, le=2**31 - 1), actor: adm.Actor = Depends(admin_caller)
) -> dict[str, Any]:
    with refusals():
        return alerts.acknowledge(db_of(request), actor, request.app.state.settings, alert)


public = APIRouter(route_class=CheckedRoute, tags=["auth"])


class PasswordChange(Strict):
    username: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    old_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)
    device_id: str = Field(min_length=1, max_length=128, pattern=NO_NUL)
    device_name: str = Field(default="", max_length=200, pattern=NO_NUL)


@public.post("/auth/password", response_model=TokenResponse, responses=errors(401, 409, 422, 423, 429))
async def change_password(body: PasswordChange, request: Request) -> dict[str, Any]:
    """Change one's own password (also one a sign-in answered ``403 password_expired`` for): the old one is
    checked like a sign-in, the new one must differ from the last ones; the answer signs this device in."""
    return await auth.change_password(
        db_of(request),
        settings_of(request),
        request.app.state.login_gate,
        body.username,
        body.old_password,
        body.new_password,
        (body.device_id, body.device_name),
        address_of(request),
    )

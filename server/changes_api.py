"""The routes of change requests (server/changes.py): opening one, the change steps waiting for the caller, a
request with its steps, customers and notices, a customer's requests, and doing a step. People on a device
only (an integration token is refused)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from server import changes
from server.accounts import Caller
from server.api import AUTHED, UUID_PATH, db_of, errors, router
from server.changes import ChangeIn, ChangeStepIn
from server.machines import human_caller as caller
from server.onboarding_api import CASE_PATH

#: The same route class as the sync routes (request bodies limited and decoded alike).
changes_router = APIRouter(route_class=router.route_class)


@changes_router.post("/changes", responses=errors(*AUTHED, 403, 404, 409, 422))
def open_change(body: ChangeIn, request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """Open a change request on a path (own, county, city, emergency, bulk): the new values checked with the
    catalogue's validators (``change.invalid``), the applying step given to the department owning the
    fields (``change.mixed_owners`` when several do)."""
    return changes.open_change(db_of(request), who.user, body)


@changes_router.get("/changes/waiting", responses=errors(*AUTHED))
def waiting(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """The change steps waiting for the caller, the earliest deadline first."""
    return {"steps": changes.waiting(db_of(request), who.user)}


@changes_router.get("/changes/{case_id}", responses=errors(*AUTHED, 404))
def case(request: Request, case_id: str = CASE_PATH, who: Caller = Depends(caller)) -> dict[str, Any]:
    """A change request with its steps, customers, new values and notices."""
    return changes.show(db_of(request), who.user, case_id.lower())


@changes_router.get("/records/{record_id}/changes", responses=errors(*AUTHED, 404))
def record_cases(request: Request, record_id: str = UUID_PATH, who: Caller = Depends(caller)) -> dict[str, Any]:
    """The change requests of a customer the caller sees, newest first."""
    return {"cases": changes.cases_of(db_of(request), who.user, record_id.lower())}


@changes_router.post("/changes/{case_id}/steps", responses=errors(*AUTHED, 403, 404, 409, 422))
def do_step(
    body: ChangeStepIn, request: Request, case_id: str = CASE_PATH, who: Caller = Depends(caller)
) -> dict[str, Any]:
    """Do the waiting step, dated now, with its phone call (emergency) and customer notice (order days):
    refused with ``change.out_of_order``, ``change.wrong_role`` (403), ``change.stale``, ``change.closed``
    (409), ``change.phone_required``, ``change.customer_notice_required``, ``change.invalid`` (422)."""
    return changes.do_step(db_of(request), who.user, case_id.lower(), body)

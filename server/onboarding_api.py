"""The routes of onboarding cases (server/onboarding.py): the steps waiting for the caller, a case with its
history, a customer's cases, and doing a step. People on a device only (an integration token is refused)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from server import onboarding
from server.accounts import Caller
from server.api import AUTHED, UUID_PATH, db_of, errors, router
from server.machines import human_caller as caller
from server.onboarding import StepIn

#: A case's id (a Path of its own: FastAPI ties a Path object to the first parameter it names).
CASE_PATH = Path(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: The same route class as the sync routes (request bodies limited and decoded alike).
onboarding_router = APIRouter(route_class=router.route_class)


@onboarding_router.get("/onboarding/waiting", responses=errors(*AUTHED))
def waiting(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """The steps waiting for the caller (their role on their customers, their department within their
    territory), the earliest deadline first, each with its deadline, working hours left and overdue flag."""
    return {"steps": onboarding.waiting(db_of(request), who.user)}


@onboarding_router.get("/onboarding/cases/{case_id}", responses=errors(*AUTHED, 404))
def case(request: Request, case_id: str = CASE_PATH, who: Caller = Depends(caller)) -> dict[str, Any]:
    """A case with every step: owner, deadline, who did it and when, late or not."""
    return onboarding.show(db_of(request), who.user, case_id.lower())


@onboarding_router.get("/records/{record_id}/onboarding", responses=errors(*AUTHED, 404))
def record_cases(request: Request, record_id: str = UUID_PATH, who: Caller = Depends(caller)) -> dict[str, Any]:
    """The onboarding cases of a customer the caller sees, newest first."""
    return {"cases": onboarding.cases_of(db_of(request), who.user, record_id.lower())}


@onboarding_router.post("/onboarding/cases/{case_id}/steps", responses=errors(*AUTHED, 404, 409))
def do_step(body: StepIn, request: Request, case_id: str = CASE_PATH, who: Caller = Depends(caller)) -> dict[str, Any]:
    """Do the waiting step, dated now: refused with ``onboarding.out_of_order``, ``onboarding.wrong_role``
    (403), ``onboarding.stale`` or ``onboarding.closed`` (409)."""
    return onboarding.do_step(db_of(request), who.user, case_id.lower(), body)

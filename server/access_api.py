"""The routes of governed access (server/access.py): who looked at a customer, export requests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from server import access
from server.access import CustomerAccess, ExportDecisionIn, ExportRequestIn, ExportRequestOut, ExportRequests
from server.accounts import Caller
from server.api import AUTHED, UUID_PATH, db_of, errors, records_reader, router
from server.machines import human_caller as caller
from server.reads import visible_record

#: An export request's id (a Path of its own: FastAPI ties a Path object to the first parameter it names).
REQUEST_PATH = Path(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: The same route class as the sync routes (request bodies limited and decoded alike).
access_router = APIRouter(route_class=router.route_class)


@access_router.get("/records/{record_id}/access", response_model=CustomerAccess, responses=errors(*AUTHED, 404))
def record_access(
    request: Request, record_id: str = UUID_PATH, who: Caller = Depends(records_reader)
) -> dict[str, Any]:
    """Who opened or printed the customer, when, on which device: its supervisor (the team's customers)
    or an admin; ``403`` for a collector."""
    rid = record_id.lower()
    with db_of(request).read() as conn:
        visible_record(conn, who, rid)
        return {"record_id": rid, "entries": access.customer_access(conn, who, rid)}


@access_router.post("/export-requests", response_model=ExportRequestOut, responses=errors(*AUTHED))
def export_request(body: ExportRequestIn, request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """Ask to export personal fields beyond one's team, or ID and bank numbers unmasked."""
    return access.create_request(db_of(request), who, body)


@access_router.get("/export-requests", response_model=ExportRequests, responses=errors(*AUTHED))
def export_requests(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """The caller's requests; a supervisor's also their team's; an admin's all of them."""
    with db_of(request).read() as conn:
        return {"requests": access.list_requests(conn, who)}


@access_router.post(
    "/export-requests/{request_id}/decide", response_model=ExportRequestOut, responses=errors(*AUTHED, 404, 409)
)
def decide_export_request(
    body: ExportDecisionIn, request: Request, request_id: str = REQUEST_PATH, who: Caller = Depends(caller)
) -> dict[str, Any]:
    """Approve or refuse: the applicant's supervisor or an admin, not the applicant; ``409`` once decided."""
    return access.decide_request(db_of(request), who, request_id.lower(), body)

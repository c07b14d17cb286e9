"""The routes of the monthly filings (server/filings.py): the kinds, what the caller owes and what is
overdue, the filings the caller may see, one filing with its content, the content a filing would have, and
filing. People on a device only (an integration token is refused)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request

from server import checks, filings
from server.accounts import Caller
from server.api import AUTHED, db_of, errors, router
from server.checks import MonthlyCheckIn, SpotAuditIn
from server.filings import FileIn
from server.machines import human_caller as caller

KIND_PATH = Path(pattern=r"^[a-z0-9_-]{1,32}$")
MONTH_PATH = Path(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")
#: The same route class as the sync routes (request bodies limited and decoded alike).
filings_router = APIRouter(route_class=router.route_class)


@filings_router.get("/filings/kinds", responses=errors(*AUTHED))
def kinds(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """The deployment's filing kinds: name, owner, due day, whether a day off moves it, what it holds."""
    return {"kinds": filings.kinds_wire(db_of(request))}


@filings_router.get("/filings/mine", responses=errors(*AUTHED))
def mine(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """What the caller owes for the month just ended (``remind`` from a few working days before the due
    day) and every earlier filing of theirs still unfiled past its day."""
    return filings.mine(db_of(request), who.user)


@filings_router.get("/filings", responses=errors(*AUTHED, 422))
def listing(
    request: Request,
    month: str | None = Query(None, pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$"),
    state: str | None = Query(None, pattern=r"^(due|overdue|filed|late)$"),
    who: Caller = Depends(caller),
) -> dict[str, Any]:
    """The filings the caller may see (an admin's: all; a market manager's: theirs and their team's; anyone
    else's: their own) of a month or of the last twelve, optionally of one state (``overdue``: the list of
    what is late and still not filed)."""
    return {"filings": filings.listing(db_of(request), who.user, month, state)}


@filings_router.get("/filings/{kind}/{month}", responses=errors(*AUTHED, 404))
def show(
    request: Request,
    kind: str = KIND_PATH,
    month: str = MONTH_PATH,
    owner: str | None = Query(None, max_length=64, pattern=r"^[^\x00]*$"),
    who: Caller = Depends(caller),
) -> dict[str, Any]:
    """One filing (the caller's, or ``owner``'s when the caller may see theirs) with its state and content."""
    return filings.show(db_of(request), who.user, kind, month, owner)


@filings_router.get("/filings/{kind}/{month}/draft", responses=errors(*AUTHED, 404))
def draft(
    request: Request, kind: str = KIND_PATH, month: str = MONTH_PATH, who: Caller = Depends(caller)
) -> dict[str, Any]:
    """What the caller's filing would hold if filed now (the order-collection summaries computed)."""
    return filings.draft(db_of(request), who.user, kind, month)


@filings_router.post("/filings/{kind}/{month}", responses=errors(*AUTHED, 404, 409, 422))
def file(
    body: FileIn, request: Request, kind: str = KIND_PATH, month: str = MONTH_PATH, who: Caller = Depends(caller)
) -> dict[str, Any]:
    """File it, dated now: refused with ``filing.not_owner`` (403), ``filing.unknown_kind`` (404),
    ``filing.too_early`` or ``filing.already`` (409), ``filing.rows`` or ``filing.documents`` (422)."""
    return filings.file(db_of(request), who.user, kind, month, body)


@filings_router.post("/checks/monthly", responses=errors(*AUTHED, 404, 409, 422))
def monthly_check(body: MonthlyCheckIn, request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """The market manager's monthly check of a customer manager of their team (timeliness, objectivity,
    accuracy, findings, the day): refused with ``check.not_supervisor`` (403), ``check.no_collector`` (404),
    ``check.already`` (409), ``check.day`` or ``check.findings`` (422)."""
    return checks.record_monthly(db_of(request), who.user, body)


@filings_router.post("/checks/spot", responses=errors(*AUTHED, 404, 422))
def spot_audit(body: SpotAuditIn, request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """A spot audit (抽查) of a customer manager's archives by the customer-service department (客服部) or an
    admin: the archives sampled and a score 0–100; refused with ``check.not_service`` (403)."""
    return checks.record_spot(db_of(request), who.user, body)


@filings_router.get("/checks", responses=errors(*AUTHED, 422))
def list_checks(
    request: Request,
    month: str = Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$"),
    who: Caller = Depends(caller),
) -> dict[str, Any]:
    """The checks and spot audits of a month the caller may see."""
    return {"checks": checks.listing(db_of(request), who.user, month)}

"""The admin HTTP API (under /api/v1/admin): administration from the desktop app, over the same service
functions as the command line (server/administration.py). Admin role only: anyone else gets 403, and
the attempt is logged like every call. Refused input answers in the one error shape (server/errors.py):
404 for a user that does not exist, 422 with the reason otherwise.

``POST /api/v1/auth/reset`` is public: a user sets a new password with the one-time code an admin gave.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from app.models.wire import ErrorCode
from server import administration as adm
from server import calendar_admin as cal
from server import runconfig
from server.accounts import Caller
from server.admin_models import (
    AdminDevice,
    AdminUser,
    AuditEntryOut,
    CalendarChanged,
    CalendarDraftOut,
    CalendarIn,
    CalendarPublished,
    Changed,
    ClassifyIn,
    ClassifyOut,
    DayIn,
    DestroyedOut,
    DestroyIn,
    DeviceRef,
    DueOut,
    HandoverIn,
    HandoverOut,
    LogEntry,
    NewUser,
    OneTimeCode,
    PurchasesOut,
    ResetIn,
    RoleChange,
    TeamChange,
    VerifyOut,
)
from server.api import XLSX, CheckedRoute, db_of, errors, in_memory_file, settings_of
from server.errors import ApiError
from server.machines import human_caller as caller  # an admin is a person: integration tokens are refused
from server.wiremodels import CalendarOut, OkResponse

router = APIRouter(route_class=CheckedRoute, tags=["admin"])
public = APIRouter(route_class=CheckedRoute)
ADMIN = (401, 403)


def actor_of(who: Caller) -> adm.Actor:
    return adm.Actor(who.user.name, "api")


def admin_caller(request: Request, who: Caller = Depends(caller)) -> adm.Actor:
    """The caller, if an admin; anyone else is refused (403) and the attempt logged."""
    if who.user.role != "admin":
        route = request.scope.get("route")
        adm.refuse(db_of(request), actor_of(who), f"denied:{getattr(route, 'name', '?')}"[:40], "", "not an admin")
        raise ApiError(403, ErrorCode.FORBIDDEN, "Only administrators may do this.")
    return actor_of(who)


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """A service's refusal as an answer: 404 for a user that does not exist, else the error's status."""
    try:
        yield
    except adm.REFUSED as exc:
        if adm.is_not_found(exc):
            raise ApiError(404, ErrorCode.NOT_FOUND, _sentence(str(exc))) from None
        status = exc.status if isinstance(exc, adm.AdminError) else 422
        code = ErrorCode.UNAUTHORIZED if status == 401 else ErrorCode.VALIDATION
        raise ApiError(status, code, _sentence(str(exc))) from None


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


# ------------------------------------------------------------------------------------------- users


@router.get("/users", response_model=list[AdminUser], responses=errors(*ADMIN))
def users(request: Request, actor: adm.Actor = Depends(admin_caller)) -> list[dict[str, Any]]:
    return adm.list_users(db_of(request), actor)


@router.post("/users", response_model=OneTimeCode, status_code=201, responses=errors(*ADMIN, 404))
def add_user(body: NewUser, request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """A new user, without a password: the answer holds a one-time code (shown once) with which the user
    chooses their own at ``POST /auth/reset``. A supervisor named puts the user in that team."""
    with refusals():
        return adm.add_user(
            db_of(request),
            settings_of(request),
            actor,
            body.name,
            body.role,
            display_name=body.display_name,
            supervisor=body.supervisor,
            department=body.department,
        )


@router.post("/users/{name}/disable", response_model=OkResponse, responses=errors(*ADMIN, 404))
def disable(request: Request, name: str, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """Disabling also ends every session of the user."""
    with refusals():
        adm.set_disabled(db_of(request), actor, name, True)
    return {"ok": True}


@router.post("/users/{name}/enable", response_model=OkResponse, responses=errors(*ADMIN, 404))
def enable(request: Request, name: str, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    with refusals():
        adm.set_disabled(db_of(request), actor, name, False)
    return {"ok": True}


@router.post("/users/{name}/reset", response_model=OneTimeCode, responses=errors(*ADMIN, 404))
def reset(request: Request, name: str, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """A one-time code (24 hours, once, five tries) for the user to set a new password with."""
    with refusals():
        return adm.reset_password(db_of(request), actor, name)


@router.put("/users/{name}/role", response_model=Changed, responses=errors(*ADMIN, 404))
def role(body: RoleChange, request: Request, name: str, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    with refusals():
        return {"customers": adm.set_role(db_of(request), actor, name, body.role)}


@router.put("/users/{name}/team", response_model=Changed, responses=errors(*ADMIN, 404))
def team(body: TeamChange, request: Request, name: str, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """Move the user to a supervisor's team (``null``: none); their customers move with them."""
    with refusals():
        return {"customers": adm.set_team(db_of(request), actor, name, body.supervisor)}


# ------------------------------------------------------------------------------- devices, handovers


@router.get("/devices", response_model=list[AdminDevice], responses=errors(*ADMIN))
def devices(
    request: Request,
    user: str | None = Query(None, max_length=64, pattern=r"^[^\x00]*$"),
    actor: adm.Actor = Depends(admin_caller),
) -> list[dict[str, Any]]:
    return adm.list_devices(db_of(request), actor, user)


@router.post("/devices/revoke", response_model=OkResponse, responses=errors(*ADMIN, 404))
def revoke(body: DeviceRef, request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """The device's tokens end at once; it must sign in again."""
    with refusals():
        adm.revoke_device(db_of(request), actor, body.user, body.device_id)
    return {"ok": True}


@router.post("/handovers", response_model=HandoverOut, responses=errors(*ADMIN, 404))
def handover(body: HandoverIn, request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """Customers (ids or codes, or all of ``from_user``'s) to ``to``, all or none; the answer is the record."""
    with refusals():
        return adm.handover(db_of(request), actor, body.to, body.customers, from_user=body.from_user, note=body.note)


@router.get("/handovers", response_model=list[LogEntry], responses=errors(*ADMIN))
def handovers(
    request: Request, limit: int = Query(100, ge=1, le=1000), actor: adm.Actor = Depends(admin_caller)
) -> list[dict[str, Any]]:
    return adm.handovers(db_of(request), actor, limit)


# ------------------------------------------------------------------------------------------ calendar


@router.get("/calendar", response_model=CalendarOut, responses=errors(*ADMIN))
def calendar(request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    return cal.show_calendar(db_of(request), actor)


DRAFT = Query(False, description="true: change the admin's draft (published with POST /calendar/draft/publish)")


@router.put("/calendar", response_model=CalendarChanged, responses=errors(*ADMIN))
def calendar_import(
    body: CalendarIn, request: Request, draft: bool = DRAFT, actor: adm.Actor = Depends(admin_caller)
) -> dict[str, Any]:
    """Replace every year the body names: published at once, or in the draft."""
    data = {
        "holidays": {y: [d.isoformat() for d in days] for y, days in body.holidays.items()},
        "workdays": {y: [d.isoformat() for d in days] for y, days in body.workdays.items()},
    }
    with refusals():
        return cal.import_calendar(db_of(request), actor, data, "the calendar", draft)


@router.put("/calendar/days/{day}", response_model=CalendarChanged, responses=errors(*ADMIN))
def calendar_day(
    body: DayIn, request: Request, day: str, draft: bool = DRAFT, actor: adm.Actor = Depends(admin_caller)
) -> dict[str, Any]:
    """One day becomes a holiday, a make-up working day or an ordinary day: published at once, or in the draft."""
    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        raise ApiError(422, ErrorCode.VALIDATION, f"{day[:40]!r} is not a date (YYYY-MM-DD).") from None
    with refusals():
        return cal.set_calendar_day(db_of(request), actor, when, body.kind, draft)


@router.get("/calendar/draft", response_model=CalendarDraftOut, responses=errors(*ADMIN))
def calendar_draft(request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    return cal.show_draft(db_of(request), actor)


@router.post("/calendar/draft/publish", response_model=CalendarPublished, responses=errors(*ADMIN))
def calendar_publish(request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """The draft becomes the published calendar (one new version); 422 when there is no draft."""
    with refusals():
        return cal.publish_draft(db_of(request), actor)


@router.delete("/calendar/draft", response_model=CalendarChanged, responses=errors(*ADMIN))
def calendar_discard(request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    return cal.discard_draft(db_of(request), actor)


# ------------------------------------------------------------------------- purchases, classification


@router.post(
    "/purchases",
    response_model=PurchasesOut,
    responses=errors(*ADMIN),
    openapi_extra={
        "requestBody": {"required": True, "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def purchases(
    request: Request,
    period: str | None = Query(None, max_length=16, pattern=r"^[^\x00]*$"),
    dry_run: bool = Query(False),
    actor: adm.Actor = Depends(admin_caller),
) -> dict[str, Any]:
    """Purchase figures from a spreadsheet, all or nothing; ``dry_run`` checks every row and writes nothing.
    Any bad row answers 422 with one ``fields`` entry per problem."""
    body = await request.body()
    return await run_in_threadpool(_purchases, request, actor, body, period, dry_run)


def _purchases(request: Request, actor: adm.Actor, body: bytes, period: str | None, dry_run: bool) -> dict[str, Any]:
    with in_memory_file(body) as path, refusals():
        report = adm.import_purchases(db_of(request), actor, path, period, dry_run=dry_run, source="the uploaded file")
    if report.problems:
        raise ApiError(
            422,
            ErrorCode.VALIDATION,
            f"{len(report.problems)} problems found; nothing was imported.",
            fields=[{"field": p.split(":", 1)[0], "code": "purchases.row", "message": p} for p in report.problems],
        )
    return {
        "imported": report.imported,
        "replaced": report.replaced,
        "periods": sorted(report.periods),
        "figures_updated": report.figures_updated,
        "dry_run": dry_run,
    }


@router.post("/classify", response_model=ClassifyOut, responses=errors(*ADMIN))
def classify(body: ClassifyIn, request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """The classification run for a period; ``dry_run`` (the default) answers the table of changes and
    writes nothing."""
    with refusals():
        return adm.run_report_json(adm.classify(db_of(request), actor, body.period, dry_run=body.dry_run))


# --------------------------------------------------------------------------------------- audit copy


@router.get("/audit", response_model=list[AuditEntryOut], responses=errors(*ADMIN))
def audit_list(
    request: Request,
    device: str | None = Query(None, max_length=128, pattern=r"^[^\x00]*$"),
    user: str | None = Query(None, max_length=64, pattern=r"^[^\x00]*$"),
    entity: str | None = Query(None, max_length=40, pattern=r"^[^\x00]*$"),
    action: str | None = Query(None, max_length=40, pattern=r"^[^\x00]*$"),
    limit: int = Query(200, ge=1, le=5000),
    actor: adm.Actor = Depends(admin_caller),
) -> list[dict[str, Any]]:
    """The newest ``limit`` entries of the uploaded audit trails (oldest first) matching the filters."""
    return adm.audit_list(db_of(request), actor, device=device, user=user, entity=entity, action=action, limit=limit)


@router.post("/audit/verify", response_model=VerifyOut, responses=errors(*ADMIN))
def audit_verify(request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """Every problem of the copy: broken links, forks, rewritten or deleted acknowledged entries."""
    problems = adm.audit_verify(db_of(request), actor, settings_of(request).audit_key)
    return {"intact": not problems, "problems": problems}


@router.get(
    "/audit/export",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "JSON lines"}, **errors(*ADMIN)},
)
def audit_export(
    request: Request,
    device: str | None = Query(None, max_length=128, pattern=r"^[^\x00]*$"),
    actor: adm.Actor = Depends(admin_caller),
) -> StreamingResponse:
    """The audit copy as JSON lines (one entry each, with its hashes), device by device in trail order."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115
    adm.audit_export(db_of(request), actor, spool, device)
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        try:
            while block := spool.read(1 << 16):
                yield block.encode("utf-8")
        finally:
            spool.close()

    return StreamingResponse(
        chunks(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="audit-copy.jsonl"'},
    )


@router.get("/log", response_model=list[LogEntry], responses=errors(*ADMIN))
def admin_log(
    request: Request,
    action: str | None = Query(None, max_length=40, pattern=r"^[^\x00]*$"),
    who: str | None = Query(None, max_length=64, pattern=r"^[^\x00]*$"),
    limit: int = Query(200, ge=1, le=5000),
    actor: adm.Actor = Depends(admin_caller),
) -> list[dict[str, Any]]:
    """The admin log, newest first: every administrative call, from here and from the command line."""
    return adm.admin_log_rows(db_of(request), actor, action=action, who=who, limit=limit)


# ------------------------------------------------------------------------------- retention, destruction


@router.get("/retention/due", response_model=list[DueOut], response_model_by_alias=True, responses=errors(*ADMIN))
def retention_due(request: Request, actor: adm.Actor = Depends(admin_caller)) -> list[dict[str, Any]]:
    """The records past their retention (closed or deleted longer than the deployment's period), the longest
    overdue first. Nothing is destroyed without ``POST /retention/destroy``."""
    return adm.retention_due(db_of(request), actor, settings_of(request))


@router.post(
    "/retention/destroy", response_model=list[DestroyedOut], response_model_by_alias=True, responses=errors(*ADMIN)
)
def retention_destroy(body: DestroyIn, request: Request, actor: adm.Actor = Depends(admin_caller)) -> list[Any]:
    """Destroy the records (all or none; each must be past its retention), approved by the calling admin
    with ``reason``; cannot be undone. Every client erases them at its next sync."""
    with refusals():
        folder = os.environ.get(runconfig.KEYS["backup_folder"][1])  # serve exports the file's [backup] folder
        return adm.destroy_records(
            db_of(request), actor, settings_of(request), body.records, actor.name, body.reason, folder
        )


# ------------------------------------------------------------------------------------------ public


@public.post("/auth/reset", response_model=OkResponse, responses=errors(401, 422))
def redeem(body: ResetIn, request: Request) -> dict[str, Any]:
    """Set a new password with a one-time code; every session of the user ends. A wrong, used or expired
    code is 401 (the code dies after five wrong tries)."""
    with refusals():
        adm.redeem(db_of(request), settings_of(request), body.username, body.code, body.new_password)
    return {"ok": True}

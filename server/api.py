"""The HTTP routes of protocol version 1 (all under /api/v1). Thin: they check the caller and call
the modules that do the work; every response and every error is declared for the OpenAPI schema."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path as FilePath
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.routing import APIRoute

from app.export.sheetfile import SheetError
from app.models.wire import MAX_PAGE, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, ErrorCode
from server import alert_count, audit, auth, credit, feed, ledger, photos, push, report_jobs, reports
from server.accounts import Caller
from server.calendar import calendar_json, server_calendar
from server.config import CHINA_TZ, SERVER_VERSION, Settings, iso
from server.db import Database
from server.errors import ApiError, BadInput
from server.forms import current_form, current_version
from server.integrations import Scope
from server.integrity_models import NoticeList
from server.ledger_models import LedgerPage, LedgerSummary
from server.machines import allowing
from server.machines import human_caller as caller
from server.purchases import import_purchases
from server.reads import read_record, visible_record
from server.scope import INTEGRATION
from server.wirecheck import CONTENT_MESSAGES, TOO_DEEP, bad_content, may_hold_long_integer
from server.wiremodels import (
    AuditUpload,
    AuditUploadOut,
    CalendarOut,
    CreditHistory,
    ErrorBody,
    InfoResponse,
    LoginRequest,
    MonthlyReport,
    OkResponse,
    PhotoStatus,
    PullResponse,
    PurchaseImportOut,
    PushRequest,
    PushResponse,
    RecordOut,
    RefreshRequest,
    ReportJob,
    TokenResponse,
    UserOut,
)


class _Request(Request):
    """A request whose JSON body is parsed by orjson (a few times faster on the push's bodies). Input
    orjson refuses (NaN, lone surrogates, UTF-16 …) or would read differently (an integer beyond 64
    bits, which it makes a float: ``may_hold_long_integer``) goes to ``json.loads`` as before, so every
    body is accepted or refused exactly as with the standard parser.

    Bad input (docs/server.md): a body nested too deep for either parser is a 422 ``value.too_deep``;
    a body with a NUL or a lone surrogate anywhere (only possible when it holds ``\\u0000`` or orjson
    refused it) is a 422 naming the field, except in a push's mutations, which are judged one by one
    (``server.wiremodels.PushRequest``)."""

    screen = True

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            unusual = b"\\" in body and b"\\u0000" in body  # memchr first: most bodies hold no escape at all
            try:
                if may_hold_long_integer(body):
                    unusual = True
                    self._json = json.loads(body)
                else:
                    try:
                        self._json = orjson.loads(body)
                    except orjson.JSONDecodeError:
                        unusual = True
                        self._json = json.loads(body)
            except RecursionError:
                raise BadInput("body", TOO_DEEP, CONTENT_MESSAGES[TOO_DEEP]) from None
            if unusual:
                target = self._json
                if not self.screen and type(target) is dict and type(target.get("mutations")) is list:
                    target = {k: v for k, v in target.items() if k != "mutations"}
                found = bad_content(target)
                if found:
                    raise BadInput(found[0], found[1], CONTENT_MESSAGES[found[1]])
        return self._json


class _PushRequest(_Request):
    screen = False  # the mutations' content is left to PushRequest


class CheckedRoute(APIRoute):
    """The route class of every router of the API: bodies parsed and screened by ``_Request`` (a push's by
    ``_PushRequest``), so a NUL, a lone surrogate or a body nested too deep is refused the same way."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        wrap = _PushRequest if self.path.endswith("/sync/push") else _Request

        async def route_handler(request: Request) -> Response:
            return await handler(wrap(request.scope, request.receive))

        return route_handler


router = APIRouter(route_class=CheckedRoute)
SHA_PATH = Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the photo, lower-case hex")
UUID_PATH = Path(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
JOB_PATH = Path(
    pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    description="the report job's id",
)
JSON = "application/json"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Error responses of a route: the common transport ones plus ``statuses``, all in the error shape."""
    common = (400, 413, 415, 422, 426, 429)
    return {s: {"model": ErrorBody, "description": "error"} for s in sorted(set(common + statuses))}


# routes integrations may call, with the scope each needs (server/machines.py, docs/integrations.md)
records_reader = allowing(Scope.RECORDS_READ)
calendar_reader = allowing(Scope.CALENDAR_READ)
purchases_writer = allowing(Scope.PURCHASES_WRITE)
photos_reader = allowing(Scope.PHOTOS_READ)
AUTHED = (401, 403)  # 403: an integration token on a route for people, or without the route's scope


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def json_response(data: Any) -> Response:
    """Serialise once, without re-validating: the hot paths build dicts that match their models.

    orjson writes the same compact UTF-8 JSON several times faster (a pull page of records is most of a pull's
    encoding); what it refuses (a key that is not a string, an integer beyond 64 bits, a lone surrogate) is
    written by the standard encoder as before."""
    try:
        body = orjson.dumps(data)
    except (TypeError, orjson.JSONEncodeError):
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, media_type=JSON)


@router.get("/info", response_model=InfoResponse, responses=errors())
def info(request: Request) -> dict[str, Any]:
    with db_of(request).read() as conn:
        version = current_version(conn)
        epoch = feed.epoch(conn)
    return {
        "protocol": PROTOCOL_VERSION,
        "min_protocol": MIN_PROTOCOL_VERSION,
        "server_version": SERVER_VERSION,
        "form_version": version,
        "epoch": epoch,
        "features": ["provisional_code", "access_log", "lifecycle"],
        **request.app.state.clients.wire(),
    }


@router.post("/auth/login", response_model=TokenResponse, responses=errors(401, 403, 409, 423, 429))
async def login(body: LoginRequest, request: Request) -> dict[str, Any]:
    """Async: a login waits for its password check (at most a few at once, server.auth.HashGate)
    without holding a worker thread; the database work and the check itself run in threads."""
    for field, value in (("username", body.username), ("device_id", body.device_id), ("device_name", body.device_name)):
        if any("\ud800" <= ch <= "\udfff" for ch in value):  # a lone surrogate cannot be stored as UTF-8
            raise ApiError(
                422,
                ErrorCode.VALIDATION,
                "The request is not valid.",
                fields=[{"field": field, "code": "string_unicode", "message": "not valid Unicode text"}],
            )
    return await auth.login(
        db_of(request),
        settings_of(request),
        request.app.state.login_gate,
        body.username,
        body.password,
        body.device_id,
        body.device_name,
        auth.client_address(request.client.host if request.client else None),
    )


@router.post("/auth/refresh", response_model=TokenResponse, responses=errors(401))
def refresh(body: RefreshRequest, request: Request) -> dict[str, Any]:
    try:
        return auth.refresh(db_of(request), settings_of(request), body.refresh_token, body.device_id)
    except ApiError:  # a refused refresh token counts for the alerts (server/alerts.py)
        alert_count.count(db_of(request), settings_of(request), alert_count.REFUSED_TOKENS, address_of(request))
        raise


def address_of(request: Request) -> str | None:
    return auth.client_address(request.client.host if request.client else None)


@router.post("/auth/logout", response_model=OkResponse, responses=errors(*AUTHED))
def logout(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    auth.logout(db_of(request), who)
    return {"ok": True}


@router.get("/me", response_model=UserOut, responses=errors(*AUTHED))
def me(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    return auth.me(db_of(request), who)


@router.post("/sync/push", response_model=PushResponse, responses=errors(*AUTHED))
def sync_push(body: PushRequest, request: Request, who: Caller = Depends(caller)) -> Response:
    batch = body.batch()
    results = push.push(db_of(request), who, batch)
    encoded = getattr(results, "encoded", None)  # each result's JSON, already made once for its stored row
    from server import metrics  # noqa: PLC0415  imported late: see server/metrics.py

    metrics.count_push(results, encoded)
    if encoded is None:
        return json_response({"results": results, "server_time": iso(time.time())})
    content = '{"results":[' + ",".join(encoded) + '],"server_time":' + json.dumps(iso(time.time())) + "}"
    return Response(content.encode("utf-8"), media_type=JSON)


@router.get("/sync/pull", response_model=PullResponse, responses=errors(*AUTHED, 410))
def sync_pull(
    request: Request,
    cursor: int = Query(0, ge=0, le=2**62),
    limit: int = Query(500, ge=1, le=MAX_PAGE),
    who: Caller = Depends(caller),
) -> Response:
    from server import metrics  # noqa: PLC0415  imported late: see server/metrics.py

    page = feed.pull(db_of(request), who, cursor, limit)
    metrics.PULL_CHANGES.inc(len(page["changes"]))
    return json_response(page)


@router.post("/audit", response_model=AuditUploadOut, responses=errors(*AUTHED, 409))
def audit_upload(body: AuditUpload, request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    """The next entries of the caller's device's audit trail, in order (at most 500): checked link by
    link, kept once; ``409 audit_gap`` (with the server's last position in ``offset``) when the first
    does not follow an entry the server holds; ``422`` naming ``entries[i].actor`` (``audit.actor``)
    or ``entries[i].at`` (``audit.time``) for an entry of another user or back-dated."""
    settings = settings_of(request)
    return audit.upload(db_of(request), who, [e.model_dump() for e in body.entries], settings.audit_key, settings)


@router.get("/records/{record_id}", response_model=RecordOut, responses=errors(*AUTHED, 404))
def record(request: Request, record_id: str = UUID_PATH, who: Caller = Depends(records_reader)) -> dict[str, Any]:
    return read_record(db_of(request), who, record_id.lower())


@router.get("/records/{record_id}/credit", response_model=CreditHistory, responses=errors(*AUTHED, 404))
def record_credit(
    request: Request, record_id: str = UUID_PATH, who: Caller = Depends(records_reader)
) -> dict[str, Any]:
    """The customer's integrity-grading procedures, oldest first (visible to whoever sees the customer)."""
    rid = record_id.lower()
    with db_of(request).read() as conn:
        visible_record(conn, who, rid)
        return {"record_id": rid, "ratings": credit.history(conn, rid)}


@router.get("/credit/notices", response_model=NoticeList, responses=errors(*AUTHED, 422))
def credit_notices(
    request: Request,
    on: str | None = Query(None, max_length=10, description="YYYY-MM-DD (default: today in China)"),
    who: Caller = Depends(records_reader),
) -> dict[str, Any]:
    """The public notice list (公示): the outlets the caller may see whose integrity rating is under notice."""
    try:
        day = dt.date.fromisoformat(on) if on else dt.datetime.now(CHINA_TZ).date()
    except ValueError as exc:
        raise ApiError(422, ErrorCode.VALIDATION, "on: a date as YYYY-MM-DD") from exc
    with db_of(request).read() as conn:
        return {"on": day.isoformat(), "notices": credit.notices(conn, who.user, day)}


@router.get(
    "/calendar",
    response_model=CalendarOut,
    responses={**errors(*AUTHED), 304: {"description": "not modified: the version named in If-None-Match is current"}},
)
def work_calendar(
    request: Request,
    who: Caller = Depends(calendar_reader),
    if_none_match: str | None = Header(None, alias="If-None-Match", max_length=200),
) -> Any:
    """The work calendar the server publishes. Its ``version`` is also the ETag: a client that sends
    it back in ``If-None-Match`` gets ``304`` without a body while the calendar is unchanged."""
    with db_of(request).read() as conn:
        body = calendar_json(conn)
    etag = f'"{body["version"]}"'
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    resp = json_response(body)
    resp.headers["ETag"] = etag
    return resp


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post(
    "/purchases",
    response_model=PurchaseImportOut,
    responses=errors(*AUTHED, 403),
    openapi_extra={
        "requestBody": {"required": True, "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def purchases_import(
    request: Request,
    period: str | None = Query(None, max_length=16),
    who: Caller = Depends(purchases_writer),
) -> dict[str, Any]:
    """Purchase figures from an .xlsx file (supervisors: their team's customers; admins: all).
    All or nothing: any bad row answers 422 with one ``fields`` entry per problem."""
    body = await request.body()
    return await run_in_threadpool(_import_purchases, db_of(request), who, body, period)


@contextlib.contextmanager
def in_memory_file(body: bytes) -> Iterator[FilePath]:
    """The uploaded sheet as a path the one reader (app.export.reading) opens: an anonymous in-memory
    file on Linux (memfd, never on disk); elsewhere a private (0600) file removed at once after."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("fieldarchive-upload", 0)
        try:
            os.write(fd, body)
            yield FilePath(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        return
    fd, name = tempfile.mkstemp(prefix="fieldarchive-upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        yield FilePath(name)
    finally:
        os.unlink(name)


def _import_purchases(db: Database, who: Caller, body: bytes, period: str | None) -> dict[str, Any]:

    if who.user.role not in ("supervisor", "admin", INTEGRATION):  # an integration: its scope was checked
        raise ApiError(403, ErrorCode.FORBIDDEN, "Only supervisors and admins import purchase figures.")
    try:
        with in_memory_file(body) as path:  # the figures never touch the disk on Linux
            report = db.write(lambda tx: import_purchases(tx, path, period, who.user.name, who.user))
    except SheetError as exc:  # its message names the file: here "the uploaded file", not a descriptor
        params = {**exc.params, **({"file": "the uploaded file"} if "file" in exc.params else {})}
        raise ApiError(
            422, ErrorCode.VALIDATION, "The file cannot be read: " + SheetError(exc.msgid, **params).message("en")
        ) from None
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
    }


@router.get("/photos/{sha256}/status", response_model=PhotoStatus, responses=errors(*AUTHED))
def photo_status(request: Request, sha256: str = SHA_PATH, who: Caller = Depends(caller)) -> dict[str, Any]:
    """Where the caller's own upload of this photo stands (a photo only others sent: not started)."""
    return photos.status(db_of(request), who, sha256)


@router.patch(
    "/photos/{sha256}",
    response_model=PhotoStatus,
    responses=errors(*AUTHED, 409),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/offset+octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def photo_upload(
    request: Request,
    sha256: str = SHA_PATH,
    upload_offset: int = Header(..., alias="Upload-Offset", ge=0, le=2**40),
    upload_length: int = Header(..., alias="Upload-Length", ge=1, le=2**40),
    who: Caller = Depends(caller),
) -> dict[str, Any]:
    body = await request.body()
    return await run_in_threadpool(
        photos.upload, db_of(request), settings_of(request), who, sha256, upload_offset, upload_length, body
    )


@router.get(
    "/photos/{sha256}",
    response_class=Response,
    responses={
        200: {
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the photo's bytes",
        },
        **errors(*AUTHED, 404),
    },
)
def photo_download(request: Request, sha256: str = SHA_PATH, who: Caller = Depends(photos_reader)) -> Response:
    return Response(photos.download(db_of(request), who, sha256), media_type="application/octet-stream")


@router.get("/reports/monthly", response_model=MonthlyReport, responses=errors(*AUTHED, 422))
def monthly_report(
    request: Request,
    month: str = Query(..., pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM"),
    who: Caller = Depends(caller),
) -> dict[str, Any]:
    """The month's reports over the customers the caller may see (a collector: their own)."""
    with db_of(request).read() as conn:
        return reports.monthly(conn, who.user, current_form(conn), server_calendar(conn), month)


@router.post("/reports/monthly/jobs", response_model=ReportJob, status_code=202, responses=errors(*AUTHED, 422))
def monthly_report_job(
    request: Request,
    month: str = Query(..., pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM"),
    who: Caller = Depends(caller),
) -> dict[str, Any]:
    """Start the month's reports in the background (a big scope takes longer than a request should);
    poll the job, then download its result: the same contents as ``GET /reports/monthly``."""
    return report_jobs.start(db_of(request), who.user, month)


@router.get("/reports/monthly/jobs/{job_id}", response_model=ReportJob, responses=errors(*AUTHED, 404))
def monthly_report_job_status(
    request: Request, job_id: str = JOB_PATH, who: Caller = Depends(caller)
) -> dict[str, Any]:
    """The job's state and progress (customers gone through of the total)."""
    return report_jobs.status(db_of(request), who.user, job_id)


@router.get(
    "/reports/monthly/jobs/{job_id}/result",
    response_class=Response,
    responses={200: {"model": MonthlyReport, "description": "the report"}, **errors(*AUTHED, 404, 409)},
)
def monthly_report_job_result(request: Request, job_id: str = JOB_PATH, who: Caller = Depends(caller)) -> Response:
    """The finished report (409 while the job is still running); sent as stored (gzip) when the client takes it."""
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            report_jobs.result(db_of(request), who.user, job_id, gzipped=True),
            media_type=JSON,
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return Response(report_jobs.result(db_of(request), who.user, job_id), media_type=JSON)


def _day(what: str) -> Any:
    """A date parameter (each parameter needs its own ``Query``: FastAPI binds one to its name)."""
    return Query(..., pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description=f"YYYY-MM-DD (China time): {what}")


def _collector() -> Any:
    return Query(None, max_length=150, description="only this customer manager's customers (login name)")


@router.get("/reports/ledger", response_model=LedgerPage, responses=errors(*AUTHED, 422))
def ledger_page(
    request: Request,
    start: str = _day("the period's first day"),
    end: str = _day("its last day"),
    collector: str | None = _collector(),
    cursor: str | None = Query(None, max_length=200, description="the previous page's next_cursor"),
    limit: int = Query(ledger.DEFAULT_LIMIT, ge=1, le=ledger.MAX_LIMIT, description="events per page"),
    who: Caller = Depends(caller),
) -> dict[str, Any]:
    """The modification ledger (客户信息修改台帐): every completed modification from ``start`` to ``end``
    (inclusive) of the customers the caller may see, one row per changed field, a page at a time."""
    with db_of(request).read() as conn:
        return ledger.page(conn, who.user, current_form(conn), start, end, collector, cursor, limit)


@router.get("/reports/ledger/summary", response_model=LedgerSummary, responses=errors(*AUTHED, 422))
def ledger_summary(
    request: Request,
    start: str = _day("the period's first day"),
    end: str = _day("its last day"),
    collector: str | None = _collector(),
    who: Caller = Depends(caller),
) -> dict[str, Any]:
    """The ledger's counts for the period: per field group, per customer manager and per path."""
    with db_of(request).read() as conn:
        return ledger.summary(conn, who.user, current_form(conn), start, end, collector)

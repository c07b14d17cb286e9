"""The one JSON error shape of the protocol, for every failure path.

``{"code", "message", "fields": [{"field", "code", "message"}]}``: our own ``ApiError``, FastAPI's
request validation, unknown routes, wrong methods, bad JSON, database contention and anything
unexpected all answer in it. Bad input is always a 4xx; a 500 means a bug and never carries a
stack trace (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.models.wire import ErrorCode
from server.db import Busy
from server.wirecheck import safe_label

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    409: ErrorCode.CONFLICT,
    410: ErrorCode.GONE,
    413: ErrorCode.TOO_LARGE,
    415: ErrorCode.BAD_REQUEST,
    422: ErrorCode.VALIDATION,
    423: ErrorCode.LOCKED,
    426: ErrorCode.CLIENT_TOO_OLD,
    429: ErrorCode.RATE_LIMITED,
}


class ApiError(Exception):
    """An answer other than success, raised anywhere below a route."""

    def __init__(
        self,
        status: int,
        code: ErrorCode | str,
        message: str,
        *,
        fields: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code.value if isinstance(code, ErrorCode) else code
        self.message = message
        self.fields = fields or []
        self.headers = headers
        self.extra = extra or {}


def error_body(code: str, message: str, fields: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or [], **extra}


def error_response(
    status: int,
    code: ErrorCode | str,
    message: str,
    fields: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    code_s = code.value if isinstance(code, ErrorCode) else code
    return JSONResponse(error_body(code_s, message, fields, **extra), status_code=status, headers=headers)


def not_found(what: str = "Not found.") -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, what)


class BadInput(HTTPException):
    """A request body the wire refuses before any model sees it (``server.wirecheck.bad_content``): 422
    naming the field. An HTTPException, so that FastAPI's body parsing lets it through as it is."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(422, message)
        self.fields = [{"field": field, "code": code, "message": message}]


def _field_name(loc: tuple[Any, ...]) -> str:

    parts = [safe_label(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


#: Pydantic's names for what the wire calls otherwise (server.wirecheck.bad_content)
_SAME_AS = {"string_unicode": "text.surrogate"}


def validation_fields(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "field": _field_name(tuple(e.get("loc", ()))),
            "code": _SAME_AS.get(str(e.get("type")), str(e.get("type", "invalid"))),
            "message": str(e.get("msg", "invalid value")),
        }
        for e in errors
    ]


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers, **exc.extra)


async def _request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, ErrorCode.BAD_REQUEST, "The request body is not valid JSON.")
    return error_response(422, ErrorCode.VALIDATION, "The request is not valid.", validation_fields(errors))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, BadInput):
        return error_response(422, ErrorCode.VALIDATION, "The request is not valid.", exc.fields)
    status = exc.status_code if 400 <= exc.status_code < 500 else 400
    code = STATUS_CODES.get(status, ErrorCode.BAD_REQUEST)
    message = {404: "There is nothing at this address.", 405: "This method is not allowed here."}.get(
        status, str(exc.detail)
    )
    return error_response(status, code, message, headers=getattr(exc, "headers", None))


async def _busy(_request: Request, _exc: Exception) -> JSONResponse:
    return error_response(
        429, ErrorCode.RATE_LIMITED, "The server is busy; try again shortly.", headers={"Retry-After": "2"}
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", "The server failed unexpectedly; the error was logged.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Busy, _busy)
    app.add_exception_handler(Exception, _unexpected)

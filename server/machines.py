"""Integration tokens on the HTTP side: who may call which route, the rate limit and the call audit.

- :func:`human_caller` is the dependency of the routes for people on a device (sync, /me, logout,
  audit upload, reports …): an integration token is checked (so the call is audited) and then refused
  with ``403 forbidden`` saying that the route is for people.
- :func:`allowing` makes the dependency of a route open to integrations with one scope: a person's
  access token goes through as before; an integration token needs the scope (else ``403`` naming
  it), then takes a token from its integration's bucket (else ``429`` with ``Retry-After``).
- A territory viewer (role ``viewer``, issue 17) reads: any other method than GET/HEAD is refused with
  ``403 read_only`` (:func:`read_only`), except signing out, starting a report job and uploading the
  device's own audit trail, which change no customer. Deny by default: a new write route is refused too.
  A viewer placed in a department is a department user (部门人员, docs/domain.md): they also open change
  requests and do workflow steps (:data:`DEPARTMENT_POSTS`), which the workflow checks are theirs.
- :class:`CallAudit` (ASGI) writes one ``integration_calls`` row for every call made with a valid
  integration token, with the status of the answer, before the answer is sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from app.models.wire import API_PREFIX, ErrorCode, UserRole
from server import alert_count, integrations
from server.accounts import Caller, authenticate
from server.db import Database
from server.errors import ApiError
from server.integrations import Machine, RateLimiter, Scope
from server.schema_admin import user_places

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

SLOT = "fieldarchive.machine"  # scope key: a dict the dependency fills with the caller's Machine
bearer = HTTPBearer(
    auto_error=False, description="Access token from /auth/login or /auth/refresh, or an integration token fa_…"
)


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _refused(request: Request) -> None:
    """Count a refused token for the alerts (server/alerts.py), by the caller's address."""
    host = request.client.host if request.client else None
    alert_count.count(_db(request), request.app.state.settings, alert_count.REFUSED_TOKENS, host[:64] if host else None)


def _person(request: Request, token: str | None) -> Caller:
    try:
        return authenticate(_db(request), token)
    except ApiError:
        if token:
            _refused(request)
        raise


def _machine(request: Request, token: str) -> Machine:
    try:
        machine = integrations.authenticate(_db(request), request.app.state.settings, token)
    except ApiError:
        _refused(request)
        raise
    slot = request.scope.get(SLOT)
    if slot is not None:
        slot["machine"] = machine
    return machine


#: what a viewer may send besides reads (paths under the API prefix): sign out, start a report job, upload
#: the device's audit trail
VIEWER_POSTS = frozenset({"/auth/logout", "/reports/monthly/jobs", "/audit"})
#: what a viewer placed in a department (a department user) may send besides: open a change request, do a
#: step of a change request or of an onboarding case (server/changes.py and onboarding.py check whose it is)
DEPARTMENT_POSTS = re.compile(r"/changes|/changes/[^/]+/steps|/onboarding/cases/[^/]+/steps")
ADMIN_AREA = "/admin/"  # refused and logged by admin_api.admin_caller for anyone but an admin


def read_only(request: Request, caller: Caller) -> Caller:
    """``caller``, unless a viewer asks for a change: then ``403 read_only`` naming the cause."""
    if caller.user.role != UserRole.VIEWER.value or request.method in ("GET", "HEAD"):
        return caller
    path = request.url.path.removeprefix(request.scope.get("root_path", "")).removeprefix(API_PREFIX)
    if path in VIEWER_POSTS or path.startswith(ADMIN_AREA):
        return caller
    if request.method == "POST" and DEPARTMENT_POSTS.fullmatch(path) and _in_department(request, caller):
        return caller
    raise ApiError(
        403,
        ErrorCode.READ_ONLY,
        "Your account reads the reports of your territory only; it cannot change anything.",
    )


def _in_department(request: Request, caller: Caller) -> bool:
    q = select(user_places.c.department_id).where(user_places.c.user_id == caller.user.id)
    with _db(request).read() as conn:
        return conn.execute(q).scalar() is not None


def human_caller(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    token = creds.credentials if creds else None
    if token and integrations.looks_like_token(token):
        _machine(request, token)
        raise ApiError(
            403,
            ErrorCode.FORBIDDEN,
            "This endpoint is for people signed in on a device; an integration token cannot call it.",
        )
    return read_only(request, _person(request, token))


def allowing(scope: Scope) -> Callable[..., Caller]:
    """The dependency of a route that integrations holding ``scope`` may call."""

    def dependency(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
        token = creds.credentials if creds else None
        if not (token and integrations.looks_like_token(token)):
            return read_only(request, _person(request, token))
        machine = _machine(request, token)
        if scope.value not in machine.scopes:
            raise ApiError(
                403,
                ErrorCode.FORBIDDEN,
                f"This integration lacks the scope {scope.value}.",
                fields=[{"field": "scope", "code": "scope.missing", "message": scope.value}],
            )
        limiter: RateLimiter = request.app.state.rate_limiter
        wait = limiter.take(machine)
        if wait > 0:
            raise ApiError(
                429,
                ErrorCode.RATE_LIMITED,
                f"This integration is over its rate of {machine.rate_per_minute} calls a minute; try again later.",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        return Caller(machine.as_user(), 0, machine)

    dependency.__name__ = f"allowing_{scope.name.lower()}"
    return dependency


class CallAudit:
    """Records each call made with a valid integration token (its status included) before answering."""

    def __init__(self, app: Callable[..., Awaitable[None]], db: Database) -> None:
        self.app, self.db = app, db

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        slot: dict[str, Any] = {}
        scope[SLOT] = slot
        done = False

        async def record(status: int) -> None:
            nonlocal done
            machine = slot.get("machine")
            if machine is not None and not done:
                done = True
                await run_in_threadpool(
                    integrations.record_call, self.db, machine, scope.get("method", ""), scope.get("path", ""), status
                )

        async def audited_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                await record(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, audited_send)
        except BaseException:
            await record(500)
            raise

"""Prometheus metrics (``/metrics``) and the health endpoints (``/healthz``, ``/readyz``).

With several workers each process writes its samples to files in PROMETHEUS_MULTIPROC_DIR, which
``serve`` sets to a fresh private folder before the workers start (prometheus-client's multiprocess
mode), and any worker answering ``/metrics`` sums them. So this module (and prometheus_client) must be
imported only after ``serve`` has set that variable: the rest of the server imports it lazily.

Labels carry route templates (``/api/v1/records/{record_id}``), methods and status codes, never a
path as sent, a user name or a field value. docs/deploy.md, "Monitoring", lists the series.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from re import Pattern
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.routing import compile_path

from app.models.wire import API_PREFIX
from server.backup import newest_backup
from server.migrate import HEAD, schema_version

MULTIPROC = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
ENV_BACKUP_FOLDER = "FIELDARCHIVE_BACKUP_FOLDER"
ENV_BACKUP_MAX_AGE = "FIELDARCHIVE_BACKUP_MAX_AGE_HOURS"

REQUESTS = Counter("fieldarchive_http_requests_total", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "fieldarchive_http_request_duration_seconds",
    "Time to answer a request",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
PUSH_MUTATIONS = Counter("fieldarchive_push_mutations_total", "Mutations received in pushes, by result", ["status"])
PULL_CHANGES = Counter("fieldarchive_pull_changes_total", "Changes sent in pull pages")
LOGIN_FAILURES = Counter("fieldarchive_login_failures_total", "Logins refused for a wrong name or password")
LOGIN_LOCKS = Counter("fieldarchive_login_locked_total", "Logins refused because a name or address is locked", ["kind"])
WRITE_WAIT = Histogram(
    "fieldarchive_write_queue_wait_seconds",
    "Time a write transaction waited for its turn",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
POOL = Gauge(
    "fieldarchive_db_pool_connections",
    "Database connections of the pool, per process",
    ["state"],
    multiprocess_mode="livesum",
)
BACKUP_AGE = Gauge(
    "fieldarchive_backup_age_seconds",
    "Age of the newest backup in the backup folder (-1: none)",
    multiprocess_mode="mostrecent",
)


def count_push(results: Any, encoded: list[str] | None) -> None:
    """Mutations of one push by result status (``encoded``: the results' JSON, when the push made it)."""
    counts: dict[str, int] = {}
    if encoded is not None:
        for text in encoded:  # canonical JSON, keys sorted: the result's own status is the last one (after "record")
            at = text.rfind('"status":"')
            status = text[at + 10 : text.find('"', at + 10)] if at >= 0 else "unknown"
            counts[status] = counts.get(status, 0) + 1
    else:
        for r in results:
            counts[str(r.get("status"))] = counts.get(str(r.get("status")), 0) + 1
    for status, n in counts.items():
        PUSH_MUTATIONS.labels(status).inc(n)


def observe_write_wait(seconds: float) -> None:
    WRITE_WAIT.observe(seconds)


OWN_PATHS = ("/healthz", "/readyz", "/metrics")


Table = tuple[set[str], list[tuple[Pattern[str], str]]]


def route_table(app: FastAPI) -> Table:
    """Every route template of the app (from its OpenAPI paths): the fixed ones, and the patterns of
    those with parameters. Worked out once per app (``app.state.route_table``): it builds the OpenAPI
    schema, about 1.5 s of Python, so the server does it at start-up (``server.serve.factory``), not
    in the first answer, where it held the event loop and every request then in flight."""
    table: Table | None = getattr(app.state, "route_table", None)
    if table is None:
        paths = list(app.openapi().get("paths", {})) + list(OWN_PATHS)
        table = {p for p in paths if "{" not in p}, [(compile_path(p)[0], p) for p in paths if "{" in p]
        app.state.route_table = table
    return table


def _route(table: Table, path: str) -> str:
    """The template of the route a path matches (refusals of the transport middleware come before routing)."""
    fixed, patterns = table
    if path in fixed:
        return path
    for pattern, template in patterns:
        if pattern.match(path):
            return template
    return "(api, no route)" if path.startswith(API_PREFIX) else "(other)"


def _pool(app: FastAPI) -> None:
    pool: Any = app.state.db.engine.pool
    try:
        POOL.labels("checked_out").set(pool.checkedout())
        POOL.labels("idle").set(pool.checkedin())
        POOL.labels("overflow").set(max(pool.overflow(), 0))
    except AttributeError:  # a pool without these numbers (NullPool, StaticPool)
        pass


def backup_age(folder: str | None) -> float | None:
    """Seconds since the newest backup in ``folder`` was made (None: no folder or no backup there)."""
    if not folder:
        return None

    found = newest_backup(folder)
    return None if found is None else max(time.time() - found, 0.0)


class MetricsMiddleware:
    """Counts every answer by route template, method and status, and times it (pure ASGI, outermost)."""

    def __init__(self, app: Callable[..., Awaitable[None]], fastapi: FastAPI) -> None:
        self.app, self.fastapi = app, fastapi

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route, method = _route(route_table(self.fastapi), scope["path"]), scope["method"]
            REQUESTS.labels(route, method, str(status)).inc()
            LATENCY.labels(route, method).observe(time.perf_counter() - start)
            if route == f"{API_PREFIX}/auth/login":
                if status == 401:
                    LOGIN_FAILURES.inc()
                elif status == 423:
                    LOGIN_LOCKS.labels("name").inc()
                elif status == 429:
                    LOGIN_LOCKS.labels("address_or_busy").inc()
            _pool(self.fastapi)


def install(app: FastAPI) -> None:
    """The three endpoints and the counting middleware (add it last: outermost, it sees every answer)."""
    app.add_middleware(MetricsMiddleware, fastapi=app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """The process is up and answers."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(request: Request) -> JSONResponse:
        """The database is reachable and migrated (else 503); a backup older than the set age is a warning."""

        checks: dict[str, str] = {}
        ready = True
        try:
            with request.app.state.db.read() as conn:
                version = schema_version(conn)
            checks["database"] = "ok"
            if version == HEAD:
                checks["schema"] = "ok"
            else:
                checks["schema"] = f"at {version or 'nothing'}, this server needs {HEAD}: run the migration"
                ready = False
        except Exception as exc:  # whatever the driver raises: not ready, and say why without a traceback
            checks["database"] = f"unreachable: {type(exc).__name__}"
            ready = False
        warnings: list[str] = []
        folder = os.environ.get(ENV_BACKUP_FOLDER)
        if folder:
            limit = float(os.environ.get(ENV_BACKUP_MAX_AGE) or 26) * 3600
            age = backup_age(folder)
            if age is None:
                checks["backup"] = "none"
                warnings.append(f"no backup in {folder}")
            elif age > limit:
                checks["backup"] = f"{age / 3600:.1f} hours old"
                warnings.append(f"the newest backup is {age / 3600:.1f} hours old (more than {limit / 3600:g})")
            else:
                checks["backup"] = "ok"
        status = "unavailable" if not ready else ("warning" if warnings else "ok")
        return JSONResponse(
            {"status": status, "checks": checks, "warnings": warnings}, status_code=200 if ready else 503
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        age = backup_age(os.environ.get(ENV_BACKUP_FOLDER))
        BACKUP_AGE.set(-1 if age is None else age)
        _pool(app)
        if MULTIPROC:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            data = generate_latest(registry)
        else:
            data = generate_latest()
        return Response(data, media_type=CONTENT_TYPE_LATEST)

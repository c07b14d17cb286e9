"""The ASGI application: routes, transport middleware, error handlers, response compression."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from app.models.wire import API_PREFIX
from server import admin_api, auth, errors, guard_api, inbound_api, incident_api, outbound_api, territory_api
from server.access_api import access_router
from server.api import router
from server.changes_api import changes_router
from server.config import SERVER_VERSION, Settings
from server.db import Database
from server.filings_api import filings_router
from server.foreground import ForegroundMiddleware
from server.integrations import RateLimiter
from server.machines import CallAudit
from server.middleware import TransportMiddleware
from server.onboarding_api import onboarding_router
from server.runconfig import ClientPolicy


def create_app(db: Database, settings: Settings | None = None, clients: ClientPolicy | None = None) -> FastAPI:
    """An application bound to one database; the schema must already be migrated. ``clients``: the
    desktop versions announced in /info (default: from FIELDARCHIVE_CLIENT_VERSION and its siblings)."""
    from server import metrics  # noqa: PLC0415  only now: serve sets prometheus-client's multiprocess folder first

    app = FastAPI(
        title="FieldArchive sync server",
        version=SERVER_VERSION,
        description="Sync protocol version 1; see docs/sync-protocol.md.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.db = db
    app.state.settings = settings = settings or Settings()
    app.state.clients = clients = clients or ClientPolicy.from_env()
    db.observe_wait = metrics.observe_write_wait
    app.state.login_gate = auth.gate_for(settings)  # password checks at once, per process
    app.state.rate_limiter = RateLimiter()  # integrations' token buckets, per process
    app.include_router(router, prefix=API_PREFIX)
    app.include_router(access_router, prefix=API_PREFIX)
    app.include_router(onboarding_router, prefix=API_PREFIX)
    app.include_router(changes_router, prefix=API_PREFIX)
    app.include_router(filings_router, prefix=API_PREFIX)
    app.include_router(admin_api.public, prefix=API_PREFIX)
    app.include_router(admin_api.router, prefix=API_PREFIX + "/admin")
    app.include_router(territory_api.router, prefix=API_PREFIX + "/admin")
    app.include_router(incident_api.router, prefix=API_PREFIX + "/admin")
    app.include_router(guard_api.router, prefix=API_PREFIX)
    app.include_router(guard_api.public, prefix=API_PREFIX)
    app.include_router(guard_api.admin_router, prefix=API_PREFIX + "/admin")
    app.include_router(outbound_api.router, prefix=API_PREFIX)
    app.include_router(inbound_api.router, prefix=API_PREFIX)
    app.include_router(outbound_api.admin, prefix=API_PREFIX + "/admin")
    errors.install(app)
    app.add_middleware(CallAudit, db=db)  # inside the transport rules: sees the calls that reach a route
    app.add_middleware(
        TransportMiddleware,
        body_idle_timeout=settings.body_idle_timeout,
        body_timeout=settings.body_timeout,
        clients=clients,
    )
    # level 6 (zlib's default) instead of Starlette's 9: a push answer of 200 records compresses
    # 2.5x faster for about 4% more bytes
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(ForegroundMiddleware)  # background jobs give way to the requests being answered
    metrics.install(app)  # /healthz, /readyz, /metrics and the counting middleware, outermost
    return app

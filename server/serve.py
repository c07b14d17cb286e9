"""Running the server with uvicorn, optionally with TLS and several worker processes.

Workers are separate processes that share only the database (nothing else is kept in memory), so
the same holds for several servers on several machines behind one load balancer and one
PostgreSQL. A background task forgets old tombstones once a day; another delivers webhooks every
``webhook_poll`` seconds (server/webhooks.py: a lease in the database lets one process at a time
deliver each webhook, so any number of workers can run it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.util
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from app.validation.phones import warm_mobile_ranges
from server import metrics, webhooks
from server.app import create_app
from server.auth import purge_logins
from server.config import Settings, settings_from_env
from server.db import Database
from server.feed import purge_tombstones
from server.logs import uvicorn_log_config
from server.photos import purge_partial

ENV_DATABASE = "FIELDARCHIVE_SERVER_DATABASE"
PURGE_EVERY = 24 * 3600
log = logging.getLogger(__name__)


async def _purge_daily(db: Database, settings: Settings) -> None:
    while True:
        await asyncio.sleep(PURGE_EVERY)
        try:
            await run_in_threadpool(purge_tombstones, db, settings)
            await run_in_threadpool(purge_partial, db, settings)
        except Exception:  # the next day will try again; serving must go on
            log.exception("purging tombstones or partial uploads failed")
        try:
            await run_in_threadpool(purge_logins, db, settings)
        except Exception:
            log.exception("purging login budgets failed")


async def _deliver_webhooks(db: Database, settings: Settings) -> None:
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[:64]
    while True:
        await asyncio.sleep(settings.webhook_poll)
        try:
            await run_in_threadpool(webhooks.run_once, db, settings, owner)
        except Exception:  # the next round will try again; serving must go on
            log.exception("delivering webhooks failed")


def factory() -> FastAPI:
    """The app for uvicorn (``--factory``): the database URL comes from the environment."""
    db = Database(os.environ[ENV_DATABASE])
    settings = settings_from_env()
    app = create_app(db, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_purge_daily(db, settings))]
        if settings.webhook_poll > 0:
            tasks.append(asyncio.create_task(_deliver_webhooks(db, settings)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            db.dispose()
            if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # this worker's gauges leave the sums
                from prometheus_client import multiprocess  # noqa: PLC0415  after serve set PROMETHEUS_MULTIPROC_DIR

                multiprocess.mark_process_dead(os.getpid())

    app.router.lifespan_context = lifespan
    warm_mobile_ranges()  # no push pays for the first numbers of a mobile prefix
    metrics.route_table(app)  # nor does the first answer pay for the OpenAPI schema the metrics name routes by
    # What start-up built (modules, the app, the catalogue) lives as long as the process: keep it out
    # of every collection, and collect the young generation less often (a push of 200 customers holds
    # some ten thousand objects until it answers: about 15 young collections per push by default).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    return app


def fast_parts() -> tuple[str, str]:
    """uvicorn's event loop and HTTP parser: uvloop and httptools (C) where installed, as the requirements
    install them on Linux; else asyncio and h11 (pure Python), with a warning. A small push or pull spends
    about a fifth of its processor time in these (bench.scale's storm: 165-194 -> 230 records/s on 2 cores)."""
    loop, http = "asyncio", "h11"
    if importlib.util.find_spec("uvloop") is not None:
        loop = "uvloop"
    if importlib.util.find_spec("httptools") is not None:
        http = "httptools"
    if (loop, http) != ("uvloop", "httptools"):
        log.warning("serving with %s and %s: uvloop or httptools is not installed (slower per request)", loop, http)
    return loop, http


def serve(
    url: str,
    host: str,
    port: int,
    certfile: str | None,
    keyfile: str | None,
    workers: int,
    *,
    json_logs: bool = False,
    proxy: str | None = None,
) -> None:
    """uvicorn's own worker processes (docs/deploy.md says why not gunicorn). ``proxy``: the addresses
    whose X-Forwarded-For and X-Forwarded-Proto are believed (default: 127.0.0.1 only)."""
    os.environ[ENV_DATABASE] = url
    loop, http = fast_parts()
    uvicorn.run(
        "server.serve:factory",
        factory=True,
        loop=loop,
        http=http,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips=proxy or "127.0.0.1",
        log_config=uvicorn_log_config(json_logs),
        timeout_graceful_shutdown=10,
    )

"""Push and pull while an admin's report job runs in the same server process (issue 21: "no push or pull
in the same process slowed by more than 20 % while it runs").

Used by ``python -m bench.report --sync`` on the database it built: a real server process (``bench.server
.Server``, one worker) on that database, a collector and an admin signed in (cheap Argon2 hashes, the
bench only). The collector's push of ``PUSH`` new customers in one request and a pull of the first page
of 100 of their records (the same page each time) are timed alternately, first alone, then while the admin's monthly
report job runs (started through the API, polled until done), then alone again; the figures are medians
side by side from one run, and their ratios.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import httpx

from app.services.demo import generate
from bench.scale import CHEAP_HASHING, PASSWORD, client, new_customer, push
from bench.server import FAST, Server
from server import accounts
from server.db import Database

PUSH = 20  # new customers per timed push
ALONE = 15  # rounds of (push, pull) measured alone, before and after
PAGE = 100  # records in the timed pull page (the first of the collector's: the same page every time)


def _users(url: str, supervisor: str) -> None:
    db = Database(url)
    db.write(lambda tx: accounts.add_user(tx, FAST, "bench-c", "collector", PASSWORD, supervisor=supervisor))
    db.write(lambda tx: accounts.add_user(tx, FAST, "bench-admin", "admin", PASSWORD))
    db.dispose()


def _round(c: httpx.Client, pool: list[dict[str, Any]], i: int) -> tuple[float, float]:
    """One timed push of ``PUSH`` new customers and one timed pull of the collector's records."""
    muts = [new_customer(pool[(i * PUSH + k) % len(pool)]) for k in range(PUSH)]
    t = time.perf_counter()
    push(c, muts)
    t_push = time.perf_counter() - t
    t = time.perf_counter()
    r = c.get("/api/v1/sync/pull", params={"cursor": 0, "limit": PAGE})
    r.raise_for_status()
    return t_push, time.perf_counter() - t


def run(url: str, month: str, supervisor: str) -> dict[str, Any]:
    """Medians of push and pull alone and during an admin's report job, and the job's duration."""
    _users(url, supervisor)
    os.environ.update(CHEAP_HASHING)  # the server process below inherits them
    server = Server(url)
    try:
        col, adm = client(server.base, "bench-c"), client(server.base, "bench-admin")
        pool = list(generate(200, seed=11))
        i = 0
        for _ in range(5):  # warm: the first requests load the form, the calendar, the pools; 100 records
            _round(col, pool, i)
            i += 1
        before: list[tuple[float, float]] = []
        for _ in range(ALONE):
            before.append(_round(col, pool, i))
            i += 1
        t0 = time.perf_counter()
        r = adm.post("/api/v1/reports/monthly/jobs", params={"month": month})
        r.raise_for_status()
        job = r.json()
        during: list[tuple[float, float]] = []
        while job["state"] == "running":
            during.append(_round(col, pool, i))
            i += 1
            job = adm.get(f"/api/v1/reports/monthly/jobs/{job['id']}").raise_for_status().json()
        job_s = time.perf_counter() - t0
        assert job["state"] == "done", job
        after: list[tuple[float, float]] = []
        for _ in range(ALONE):
            after.append(_round(col, pool, i))
            i += 1
        col.close()
        adm.close()
    finally:
        server.stop()

    def med(rows: list[tuple[float, float]], k: int) -> float:
        return statistics.median(x[k] for x in rows) if rows else float("nan")

    alone = before + after
    out = {"job_s": job_s, "rounds_during": len(during)}
    for k, name in ((0, "push"), (1, "pull")):
        out[f"{name}_alone_ms"] = med(alone, k) * 1000
        out[f"{name}_during_ms"] = med(during, k) * 1000
        out[f"{name}_ratio"] = med(during, k) / med(alone, k)
    return out

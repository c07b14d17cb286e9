"""``python -m bench.server [--count N] [--backends sqlite,postgresql]``: the sync server, measured
side by side in one run on each database (a real server process, one worker, on 127.0.0.1).

- ingest: N generated customers pushed in batches of 200 (gzip JSON, validated on the server),
  records/s, against a raw executemany of the same rows into tables of the same shapes in the same
  database: the customer rows alone, and every row a push writes (customer, version, stored
  mutation result, feed), the floor for this schema (goal >= 5,000 records/s; the ratios are printed);
- pull: the whole feed of N records, pages of 1,000, records/s;
- push latency: 20 concurrent clients, each pushing batches of 200 new records: p50/p95.

PostgreSQL: a database ``fa_bench_<random>`` created through FIELDARCHIVE_TEST_PG (default the
``test`` database on 127.0.0.1:5432) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Column, Index, Table, create_engine, insert, text

from app.models.wire import PROTOCOL_HEADER
from app.services.demo import generate
from bench.common import header, ms, percentile
from server import accounts
from server.config import Settings
from server.db import Database
from server.migrate import upgrade
from server.push import BY_REFERENCE
from server.records import dumps
from server.schema import customers, metadata

BATCH = 200
PG_ADMIN = os.environ.get("FIELDARCHIVE_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
FAST = Settings(hash_time_cost=1, hash_memory_kib=1024)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, workers: int = 1) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--database", url, "--port", str(self.port)]
            + (["--workers", str(workers)] if workers > 1 else []),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "FIELDARCHIVE_AUDIT_KEY": secrets.token_hex(32)},
        )
        for _ in range(300):
            try:
                httpx.get(self.base + "/api/v1/info", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def client(base: str, name: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=120, headers={PROTOCOL_HEADER: "1"})
    r = c.post(
        "/api/v1/auth/login", json={"username": name, "password": "bench-password", "device_id": f"bench-{name}"}
    )
    r.raise_for_status()
    c.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    return c


def bodies(values: list[dict[str, Any]]) -> Iterator[tuple[bytes, list[str]]]:
    for i in range(0, len(values), BATCH):
        ids = [str(uuid.uuid4()) for _ in values[i : i + BATCH]]
        muts = [
            {
                "mutation_id": str(uuid.uuid4()),
                "kind": "customer.save",
                "record_id": rid,
                "base_version": 0,
                "form_version": 1,
                "changes": {k: {"old": None, "new": v} for k, v in vals.items()},
            }
            for rid, vals in zip(ids, values[i : i + BATCH], strict=True)
        ]
        yield gzip.compress(json.dumps({"mutations": muts}, ensure_ascii=False).encode(), 5), ids


def push(c: httpx.Client, body: bytes) -> None:
    r = c.post(
        "/api/v1/sync/push", content=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    r.raise_for_status()
    bad = [x for x in r.json()["results"] if x["status"] != "applied"]
    assert not bad, bad[0]


def customer_row(rid: str, values: dict[str, Any], now: float) -> dict[str, Any]:
    """A new customer's row as the push writes it."""
    return {
        "id": rid,
        "version": 1,
        "status": "draft",
        "code": None,
        "code_official": False,
        "form_version": 1,
        "data": dumps(values),
        "approved_data": None,
        "field_versions": "{}",
        "review": None,
        "missing_photos": "[]",
        "owner_id": 1,
        "created_by_id": 1,
        "deleted": False,
        "created_at": now,
        "updated_at": now,
    }


def raw_insert(url: str, values: list[dict[str, Any]]) -> float:
    """The same rows straight into a table shaped like ``customers``: the floor for the ingest."""
    raw = Table("bench_raw", metadata, *(col._copy() for col in customers.columns), extend_existing=True)
    engine = create_engine(url)
    raw.create(engine, checkfirst=True)
    now = time.time()
    t0 = time.perf_counter()
    for i in range(0, len(values), BATCH):
        rows = [customer_row(str(uuid.uuid4()), v, now) for v in values[i : i + BATCH]]
        with engine.begin() as conn:
            conn.execute(insert(raw), rows)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    metadata.remove(raw)
    return len(values) / elapsed


def raw_insert_all(url: str, values: list[dict[str, Any]], steps: list[dict[str, Any]] | None = None) -> float:
    """Every row a push of new customers writes, straight into tables of the same shapes: the customer,
    its first version (the changes, old and new), the stored mutation result (by reference to that
    version) and the feed row; with ``steps`` (the deployment's onboarding step table) also the
    onboarding case a new customer opens and a row per step of it (``server.onboarding.open_new``).
    The floor for the ingest with this schema, whatever the code around it."""
    tables = {}
    names = ("customers", "customer_versions", "mutations", "feed")
    for name in names + (("onboarding_cases", "onboarding_case_steps") if steps else ()):
        source = metadata.tables[name]
        cols = [
            Column(
                c.name,
                c.type,
                primary_key=c.primary_key,
                nullable=c.nullable,
                index=c.index,
                autoincrement=c.autoincrement,
            )
            for c in source.columns
        ]  # no foreign keys to the real tables
        extra = [
            Index(f"bench_raw_{ix.name}", *[c.name for c in ix.columns])
            for ix in source.indexes
            if ix.name and not (len(ix.columns) == 1 and next(iter(ix.columns)).index)
        ]  # those come with their column
        tables[name] = Table(f"bench_raw_{name}", metadata, *cols, *extra, extend_existing=True)
    engine = create_engine(url)
    for t in tables.values():  # empty, as on a first run (a database measured again keeps them)
        t.drop(engine, checkfirst=True)
        t.create(engine)
    now, seq = time.time(), 0
    # the scope a record's feed row carries (server.schema.feed), when this schema has it
    scope = {k: v for k, v in {"owner_id": 1, "created_by_id": 1, "team_id": None}.items() if k in tables["feed"].c}
    t0 = time.perf_counter()
    for i in range(0, len(values), BATCH):
        batch = []
        for v in values[i : i + BATCH]:
            rid, mid = str(uuid.uuid4()), str(uuid.uuid4())
            rec = customer_row(rid, v, now)
            batch.append(
                (
                    rec,
                    {
                        "record_id": rid,
                        "version": 1,
                        "prev_version": 0,
                        "kind": "customer.save",
                        "changes": dumps({k: {"old": None, "new": x} for k, x in v.items()}),
                        "status": "draft",
                        "actor_id": 1,
                        "mutation_id": mid,
                        "provenance": None,
                        "at": now,
                    },
                    {
                        "mutation_id": mid,
                        "user_id": 1,
                        "body_hash": "0" * 64,
                        "at": now,
                        "result": dumps({BY_REFERENCE: "created", "record_id": rid, "missing_photos": []}),
                    },
                )
            )
        with engine.begin() as conn:
            conn.execute(insert(tables["customers"]), [b[0] for b in batch])
            conn.execute(insert(tables["customer_versions"]), [b[1] for b in batch])
            conn.execute(insert(tables["mutations"]), [b[2] for b in batch])
            conn.execute(
                insert(tables["feed"]),
                [
                    {
                        "seq": seq + j + 1,
                        "kind": "record",
                        "record_id": b[0]["id"],
                        "audience_id": None,
                        "form_version": None,
                        **scope,
                    }
                    for j, b in enumerate(batch)
                ],
            )
            seq += len(batch)
            if steps:
                cases = [_raw_case(b[0]["id"], now) for b in batch]
                conn.execute(insert(tables["onboarding_cases"]), cases)
                conn.execute(
                    insert(tables["onboarding_case_steps"]),
                    [_raw_step(c["id"], n, st, now) for c in cases for n, st in enumerate(steps, start=1)],
                )
    elapsed = time.perf_counter() - t0
    engine.dispose()
    for t in tables.values():
        metadata.remove(t)
    return len(values) / elapsed


def _raw_case(record_id: str, now: float) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "onboarding",
        "record_id": record_id,
        "status": "open",
        "current": 1,
        "revision": 1,
        "source": "collector",
        "opened_at": now,
        "opened_by_id": 1,
        "closed_at": None,
        "issued_at": None,
        "received_at": None,
        "late_feed": False,
    }


def _raw_step(case_id: str, position: int, step: dict[str, Any], now: float) -> dict[str, Any]:
    first = position == 1
    return {"case_id": case_id, "position": position, **step} | {
        "started_at": now if first else None,
        "deadline_at": now + 3600 if first else None,
        "done_at": None,
        "done_by_id": None,
        "note": "",
    }


def run(kind: str, url: str, count: int) -> None:
    header(f"{kind}: {count:,} customers")
    db = Database(url)
    upgrade(db)
    db.write(lambda tx: accounts.add_user(tx, FAST, "bench", "collector", "bench-password"))
    db.dispose()
    values = list(generate(count, seed=1, today=dt.date.today()))
    payloads = list(bodies(values))
    server = Server(url)
    try:
        c = client(server.base, "bench")
        t0 = time.perf_counter()
        for body, _ids in payloads:
            push(c, body)
        ingest = count / (time.perf_counter() - t0)
        floor = raw_insert(url, values)
        floor_all = raw_insert_all(url, values)
        print(
            f"ingest, batches of {BATCH}, 1 worker: {ingest:8,.0f} records/s (goal >= 5,000: "
            f"{'met' if ingest >= 5000 else 'NOT met'})"
        )
        print(f"raw executemany of the customer rows: {floor:8,.0f} records/s; server/raw = {ingest / floor:.2f}")
        print(
            f"raw executemany of every row a push writes (customer, version, mutation result, feed): "
            f"{floor_all:,.0f} records/s; server/raw = {ingest / floor_all:.2f}"
        )
        t0, cursor, got = time.perf_counter(), 0, 0
        while True:
            page = c.get(
                "/api/v1/sync/pull", params={"cursor": cursor, "limit": 1000}, headers={"Accept-Encoding": "gzip"}
            ).json()
            got += len(page["changes"])
            cursor = page["cursor"]
            if not page["more"]:
                break
        pulled = time.perf_counter() - t0
        print(f"pull of {got:,} records, pages of 1,000: {pulled:.1f} s, {got / pulled:,.0f} records/s")
        latency(server.base, values)
        c.close()
    finally:
        server.stop()


def latency(base: str, values: list[dict[str, Any]], clients: int = 20, rounds: int = 5) -> None:
    work = list(bodies(values[: clients * rounds * BATCH]))
    samples: list[float] = []
    lock = threading.Lock()

    # signed in one after the other before the clock starts: the server checks at most a few passwords
    # at once (server.auth, "Login policy") and answers 429 past its queue, and sign-in is not what is timed
    sessions = [client(base, "bench") for _ in range(clients)]

    def one(k: int) -> None:
        c = sessions[k]
        for body, _ in work[k::clients]:
            t = time.perf_counter()
            push(c, body)
            with lock:
                samples.append(time.perf_counter() - t)
        c.close()

    threads = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = time.perf_counter() - t0
    print(
        f"push, {clients} concurrent clients x {rounds} batches of {BATCH}: p50 {ms(percentile(samples, 0.5))}, "
        f"p95 {ms(percentile(samples, 0.95))}, {len(samples) * BATCH / total:,.0f} records/s overall"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    for kind in args.backends.split(","):
        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                run(kind, f"sqlite:///{tmp}/bench.db", args.count)
        else:
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            name = f"fa_bench_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                run(kind, f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", args.count)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

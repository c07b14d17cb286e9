"""``python -m bench.scale --customers N --backend postgresql|sqlite``: the sync server at province scale.

Builds a province through the server's own push API (a real server process, one worker, on 127.0.0.1):
teams of 10 collectors x 250 customers under one supervisor each; every customer created and edited once
more (two saves) and visited; 40 % of them submitted by their collector, approved by the supervisor and
checked. Users are given a cheap password hash (``bench.server.FAST``, for the bench only; the server's
default settings are not touched). Then it prints, at that size:

- pull: a collector's full sync (their 250 records) and a supervisor's (their team's 2,500), pages of
  1,000 as the client pulls, and a page at the feed's end (a caught-up collector; an admin's last page);
  on PostgreSQL also the last team's collector's and supervisor's full sync in the database alone
  (``EXPLAIN ANALYZE``): the feed rows its pages read and their execution time;
- push ingest: new customers pushed by one collector in batches of 200, records/s, against a raw
  executemany of every row such a push writes (customer, version, mutation result, feed) into tables of
  the same shapes in the same database, side by side in one run;
- the storm, the morning load: 200 clients (collectors' devices, signed in beforehand) each pushing 10
  changes in one request and pulling their delta, 8 at a time; against one client pushing the same
  number of records in batches of 200; and 8 threads pushing one record per request.

PostgreSQL: a database ``fa_bench_<random>`` created through FIELDARCHIVE_TEST_PG and dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import math
import os
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text

from app.models.wire import MAX_PAGE, PROTOCOL_HEADER
from app.services.demo import generate
from bench.common import header, median, ms
from bench.server import FAST, PG_ADMIN, Server, raw_insert_all
from server import accounts, onboarding
from server.db import Database
from server.feed import page_query
from server.migrate import upgrade
from server.schema import feed_counter

TEAM = 10  # collectors per supervisor
PER_COLLECTOR = 250
BATCH = 200
PASSWORD = "bench-password"
TODAY = dt.date.today()
PHOTO_FIELDS = ("photo_storefront", "photo_counter", "photo_owner", "photo_licence")
#: The server process is told the same cheap Argon2 parameters as the users' hashes (``FAST``), or it would
#: rehash each password at sign-in with the default ones (64 MiB, a third of a second). The bench only.
CHEAP_HASHING = {
    "FIELDARCHIVE_HASH_TIME_COST": str(FAST.hash_time_cost),
    "FIELDARCHIVE_HASH_MEMORY_KIB": str(FAST.hash_memory_kib),
}


def client(base: str, name: str) -> httpx.Client:
    """A signed-in session on a device of its own (a user may sign in from several)."""
    c = httpx.Client(base_url=base, timeout=300, headers={PROTOCOL_HEADER: "1"})
    r = c.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD, "device_id": f"bench-{mid()}"})
    r.raise_for_status()
    c.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    return c


def mid() -> str:
    return str(uuid.uuid4())


def save(rid: str, changes: dict[str, Any], base: int = 0) -> dict[str, Any]:
    return {
        "mutation_id": mid(),
        "kind": "customer.save",
        "record_id": rid,
        "base_version": base,
        "form_version": 1,
        "changes": changes,
    }


def new_customer(values: dict[str, Any]) -> dict[str, Any]:
    return save(str(uuid.uuid4()), {k: {"old": None, "new": v} for k, v in values.items()})


def visit(rid: str) -> dict[str, Any]:
    return {
        "mutation_id": mid(),
        "kind": "visit.create",
        "record_id": rid,
        "base_version": 0,
        "visit": {
            "id": str(uuid.uuid4()),
            "visited_on": TODAY.isoformat(),
            "purpose": "routine",
            "notes": "",
            "sales_anomaly": "",
            "photos": [],
        },
    }


def body(muts: list[dict[str, Any]]) -> bytes:
    return gzip.compress(json.dumps({"mutations": muts}, ensure_ascii=False).encode(), 5)


def push(c: httpx.Client, muts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r = c.post(
        "/api/v1/sync/push",
        content=body(muts),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    r.raise_for_status()
    results = r.json()["results"]
    bad = [x for x in results if x["status"] != "applied"]
    assert not bad, bad[0]
    return results


def photos(c: httpx.Client, owner: str) -> dict[str, list[str]]:
    """The four required photos (approval needs a complete archive), uploaded once from ``c``'s account."""
    refs = {}
    for key in PHOTO_FIELDS:
        data = f"{key} {owner} {mid()}".encode()
        sha = hashlib.sha256(data).hexdigest()
        r = c.patch(
            f"/api/v1/photos/{sha}",
            content=data,
            headers={
                "Upload-Offset": "0",
                "Upload-Length": str(len(data)),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        r.raise_for_status()
        refs[key] = [sha]
    return refs


def push_all(c: httpx.Client, muts: list[dict[str, Any]]) -> None:
    for i in range(0, len(muts), BATCH):
        push(c, muts[i : i + BATCH])


def pull_all(c: httpx.Client, cursor: int = 0, limit: int = MAX_PAGE) -> tuple[int, int]:
    """Every page from ``cursor``; returns (changes, cursor)."""
    got = 0
    while True:
        r = c.get("/api/v1/sync/pull", params={"cursor": cursor, "limit": limit})
        r.raise_for_status()
        page = r.json()
        got += len(page["changes"])
        cursor = page["cursor"]
        if not page["more"]:
            return got, cursor


class Province:
    def __init__(self, url: str, base: str, customers: int) -> None:
        self.url, self.base = url, base
        self.per = max(1, min(PER_COLLECTOR, math.ceil(customers / TEAM)))
        self.teams = max(1, math.ceil(customers / (TEAM * self.per)))
        self.customers = customers
        self.supervisors = [f"sup{t:03d}" for t in range(self.teams)]
        self.collectors = [[f"col{t:03d}x{k}" for k in range(TEAM)] for t in range(self.teams)]

    def add_users(self) -> None:
        db = Database(self.url)
        upgrade(db)

        def work(tx: Any) -> None:
            accounts.add_user(tx, FAST, "boss", "admin", PASSWORD)
            for t, sup in enumerate(self.supervisors):
                accounts.add_user(tx, FAST, sup, "supervisor", PASSWORD)
                for name in self.collectors[t]:
                    accounts.add_user(tx, FAST, name, "collector", PASSWORD, supervisor=sup)

        db.write(work)
        db.dispose()

    def build(self) -> float:
        """Every team's customers through the API, two teams at a time; returns seconds."""
        t0 = time.perf_counter()
        left = [self.customers]
        lock = threading.Lock()

        def team(t: int) -> None:
            with lock:
                n = min(left[0], TEAM * self.per)
                left[0] -= n
            if n <= 0:
                return
            sup = client(self.base, self.supervisors[t])
            seed = t * TEAM
            for k, name in enumerate(self.collectors[t]):
                mine = min(self.per, n - k * self.per)
                if mine <= 0:
                    break
                c = client(self.base, name)
                pics = photos(c, name)
                values = [{**v, **pics} for v in generate(mine, seed=seed + k, today=TODAY, complete=True)]
                created = [new_customer(v) for v in values]
                edits = [
                    save(
                        m["record_id"],
                        {
                            "service_notes": {
                                "old": v.get("service_notes"),
                                "new": f"{v.get('service_notes') or ''} 复查",
                            }
                        },
                        1,
                    )
                    for m, v in zip(created, values, strict=True)
                ]
                push_all(c, created + edits + [visit(m["record_id"]) for m in created])
                chosen = [m["record_id"] for i, m in enumerate(created) if i % 5 < 2]  # 40 %
                push_all(
                    c,
                    [
                        {
                            "mutation_id": mid(),
                            "kind": "customer.submit",
                            "record_id": rid,
                            "base_version": 2,
                            "note": "",
                        }
                        for rid in chosen
                    ],
                )
                push_all(
                    sup,
                    [
                        {
                            "mutation_id": mid(),
                            "kind": "review.decide",
                            "record_id": rid,
                            "base_version": 3,
                            "decision": {"action": "approve", "reason": "", "fields": []},
                        }
                        for rid in chosen
                    ],
                )
                push_all(
                    c,
                    [
                        {
                            "mutation_id": mid(),
                            "kind": "customer.check",
                            "record_id": rid,
                            "base_version": 0,
                            "check": {"kind": "quarterly", "day": TODAY.isoformat()},
                        }
                        for rid in chosen
                    ],
                )
                c.close()
            sup.close()

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(team, range(self.teams)))
        return time.perf_counter() - t0

    def top(self) -> int:
        engine = create_engine(self.url)
        with engine.connect() as conn:
            seq = int(conn.execute(select(feed_counter.c.seq)).scalar_one())
        engine.dispose()
        return seq


def timed_sync(base: str, name: str, repeat: int = 3) -> tuple[int, float, int]:
    """A full sync from cursor 0, the median of ``repeat``; returns (records, seconds, cursor)."""
    c = client(base, name)
    samples, got, cursor = [], 0, 0
    for _ in range(repeat):
        t = time.perf_counter()
        got, cursor = pull_all(c)
        samples.append(time.perf_counter() - t)
    c.close()
    return got, median(samples), cursor


def pulls(p: Province) -> None:
    col, sup = p.collectors[0][0], p.supervisors[0]
    n, secs, cursor = timed_sync(p.base, col)
    print(f"pull, a collector's full sync ({n:,} records, pages of {MAX_PAGE:,}): {ms(secs)}")
    n2, secs2, _ = timed_sync(p.base, sup)
    print(f"pull, a supervisor's full sync ({n2:,} records): {ms(secs2)}")
    c = client(p.base, col)
    samples = []
    for _ in range(5):
        t = time.perf_counter()
        pull_all(c, cursor)
        samples.append(time.perf_counter() - t)
    c.close()
    print(f"pull at the feed's end, a caught-up collector (nothing new): {ms(median(samples))}")
    top = p.top()
    admin = client(p.base, "boss")
    samples = []
    for _ in range(3):
        t = time.perf_counter()
        r = admin.get("/api/v1/sync/pull", params={"cursor": max(0, top - MAX_PAGE), "limit": MAX_PAGE})
        r.raise_for_status()
        samples.append(time.perf_counter() - t)
    admin.close()
    print(f"pull, the admin's last page ({MAX_PAGE:,} feed rows): {ms(median(samples))}")
    if p.url.startswith("postgresql"):
        for name in (p.collectors[-1][-1], p.supervisors[-1]):
            pages, read, secs = feed_reads(p.url, name)
            print(f"pull in the database, {name}'s full sync: {pages} pages, {read:,} feed rows read, {ms(secs)}")


def _feed_rows_read(node: dict[str, Any]) -> int:
    own = 0
    if node.get("Relation Name") == "feed":
        own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
    return own + sum(_feed_rows_read(c) for c in node.get("Plans", []))


def feed_reads(url: str, name: str) -> tuple[int, int, float]:
    """A full sync's page queries (``server.feed.page_query``, pages of ``MAX_PAGE``) under ``EXPLAIN
    ANALYZE``: (pages, feed rows the scans returned or removed by filter, execution seconds). The rows read
    are what a page costs in the feed: the caller's rows, or every row walked past (issue 21)."""
    engine = create_engine(url)
    pages, read, secs, cursor = 0, 0, 0.0, 0
    with engine.connect() as conn:
        top = int(conn.execute(select(feed_counter.c.seq)).scalar_one())
        user = accounts.get_user(conn, name)
        assert user is not None, name
        for _ in range(10_000):
            q = page_query(user, cursor, top, MAX_PAGE + 1)
            sql = str(q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            plan = conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)).scalar_one()[0]
            pages, read, secs = pages + 1, read + _feed_rows_read(plan["Plan"]), secs + plan["Execution Time"] / 1000
            rows = conn.execute(q).all()
            if len(rows) <= MAX_PAGE:
                break
            cursor = rows[MAX_PAGE - 1].f_seq
    engine.dispose()
    return pages, read, secs


def ingest(p: Province, count: int) -> None:
    values = list(generate(count, seed=999_999, today=TODAY))
    c = client(p.base, p.collectors[0][1])
    batches = [[new_customer(v) for v in values[i : i + BATCH]] for i in range(0, count, BATCH)]
    t0 = time.perf_counter()
    for muts in batches:
        push(c, muts)
    rate = count / (time.perf_counter() - t0)
    c.close()
    floor = raw_insert_all(p.url, values)
    print(
        f"push ingest, {count:,} new customers in batches of {BATCH}: {rate:,.0f} records/s; raw executemany of "
        f"the customer, version, mutation and feed rows: {floor:,.0f} records/s; ingest/raw = {rate / floor:.2f}"
    )
    engine = create_engine(p.url)
    with engine.connect() as conn:
        table = onboarding.steps(conn)
    engine.dispose()
    full = raw_insert_all(p.url, values, table)
    print(
        f"  raw executemany of every row it writes, with the onboarding case and its {len(table)} steps: "
        f"{full:,.0f} records/s; ingest/raw = {rate / full:.2f}"
    )


def storm(p: Province, clients: int = 200, changes: int = 10, parallel: int = 8) -> tuple[float, float]:
    """Prints the storm, one client's batches and the one-record pushes; returns (storm, batched) records/s."""
    names = [name for team in p.collectors for name in team]
    sessions = [client(p.base, names[k % len(names)]) for k in range(clients)]  # signed in before the clock
    work = [[new_customer(v) for v in generate(changes, seed=500_000 + k, today=TODAY)] for k in range(clients)]
    start = p.top()
    pulled = [0]
    lock = threading.Lock()

    def one(k: int) -> None:
        push(sessions[k], work[k])
        got, _ = pull_all(sessions[k], start)
        with lock:
            pulled[0] += got

    t0 = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, range(clients)))
    total = time.perf_counter() - t0
    storm_rate = clients * changes / total
    # the same number of records from one client in batches of 200
    c = sessions[0]
    same = [new_customer(v) for v in generate(clients * changes, seed=600_000, today=TODAY)]
    t0 = time.perf_counter()
    push_all(c, same)
    batch_rate = len(same) / (time.perf_counter() - t0)
    # 8 threads, one record per request
    singles = [new_customer(v) for v in generate(min(400, clients * 2), seed=700_000, today=TODAY)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda k: push(sessions[k % clients], [singles[k]]), range(len(singles))))
    single_rate = len(singles) / (time.perf_counter() - t0)
    for s in sessions:
        s.close()
    print(
        f"storm, {clients} clients x {changes} changes + their delta pull, {parallel} at a time: "
        f"{storm_rate:,.0f} records/s ({total:.1f} s, {pulled[0]:,} changes pulled)"
    )
    print(
        f"one client, the same {clients * changes:,} records in batches of {BATCH}: {batch_rate:,.0f} records/s; "
        f"storm/batched = {storm_rate / batch_rate:.2f}"
    )
    print(
        f"{parallel} threads, one record per request: {single_rate:,.0f} records/s; "
        f"storm/batch-1 = {storm_rate / single_rate:.2f}"
    )
    return storm_rate, batch_rate


def run(
    kind: str,
    url: str,
    customers: int,
    storm_clients: int,
    parts: set[str],
    built: bool = False,
    pushed: int = 0,
    workers: int = 1,
    storm_workers: int = 1,
) -> None:
    header(f"{kind}: {customers:,} customers" + (f", {workers} server processes" if workers > 1 else ""))
    p0 = time.perf_counter()
    server: Server | None = None
    try:
        province = Province(url, "", customers)
        if not built:
            province.add_users()
        server = Server(url, workers)  # started with the bench's cheap hashing (CHEAP_HASHING in its environment)
        province.base = server.base
        if not built:
            secs = province.build()
            print(
                f"built {customers:,} customers ({province.teams} teams of {TEAM} collectors x {province.per}) "
                f"through the API in {secs:.0f} s; feed counter: {province.top():,}"
            )
        if "pull" in parts:
            pulls(province)
        if "ingest" in parts:
            ingest(province, pushed or max(BATCH, min(5_000, customers // 10)))
        if "storm" in parts:
            _, one_batched = storm(province, storm_clients)
            if storm_workers > 1 and workers == 1 and not url.startswith("sqlite"):
                # as deployed: about one server process per core (docs/deploy.md)
                server.stop()
                server = Server(url, storm_workers)
                province.base = server.base
                print(f"the storm again, {storm_workers} server processes (as deployed: one per core):")
                many, _ = storm(province, storm_clients)
                print(f"storm with {storm_workers} processes / batched with one = {many / one_batched:.2f}")
    finally:
        if server is not None:
            server.stop()
    print(f"({time.perf_counter() - p0:.0f} s in all)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--backend", default="postgresql", help="postgresql, sqlite, or both separated by a comma")
    ap.add_argument("--storm-clients", type=int, default=200, help="clients in the storm (the suite runs fewer)")
    ap.add_argument(
        "--ingest", type=int, default=0, help="new customers the ingest pushes (default: a tenth, at most 5,000)"
    )
    ap.add_argument(
        "--workers", type=int, default=1, help="PostgreSQL: server processes (serve --workers), as in production"
    )
    ap.add_argument(
        "--storm-workers",
        type=int,
        default=min(os.cpu_count() or 1, 4),
        help="PostgreSQL: the storm again with this many server processes (1: not again)",
    )
    ap.add_argument("--keep", action="store_true", help="PostgreSQL: keep the database (its name is printed)")
    ap.add_argument("--parts", default="pull,ingest,storm", help="what to measure after the build")
    ap.add_argument(
        "--reuse",
        metavar="URL",
        help="a database a --keep run built with the same --customers: "
        "measure again without building (it grows by what each run pushes)",
    )
    args = ap.parse_args()
    os.environ.update(CHEAP_HASHING)  # inherited by the server process this bench starts, nothing else
    parts = set(args.parts.split(","))
    if args.reuse:
        run(
            "reused",
            args.reuse,
            args.customers,
            args.storm_clients,
            parts,
            built=True,
            pushed=args.ingest,
            workers=args.workers,
            storm_workers=args.storm_workers,
        )
        return 0
    for kind in args.backend.split(","):
        if kind == "sqlite":
            if args.workers > 1:
                ap.error("--workers: SQLite is served by one process")
            with tempfile.TemporaryDirectory() as tmp:
                run(kind, f"sqlite:///{tmp}/bench.db", args.customers, args.storm_clients, parts, pushed=args.ingest)
        elif kind == "postgresql":
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            name = f"fa_bench_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                run(
                    kind,
                    f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}",
                    args.customers,
                    args.storm_clients,
                    parts,
                    pushed=args.ingest,
                    workers=args.workers,
                    storm_workers=args.storm_workers,
                )
            finally:
                if args.keep:
                    print(f"kept the database {name}")
                else:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        else:
            ap.error(f"unknown backend {kind!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

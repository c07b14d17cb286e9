"""``python -m bench.sync [--count N] [--photos-mb M] [--memory-count K] [--backend sqlite|postgresql]``: the
client's sync against a real server process on 127.0.0.1, side by side with bare ``requests``
moving the same bytes in the same run.

- push: N customers made offline (in a real SQLCipher archive) sent by ``syncing.sync``: records/s,
  from the first request to the last push answer (client work included: building and freezing the
  bodies, applying the answers);
- pull: a market manager's new archive pulling the same N customers: records/s (the audit trail the
  sync sends afterwards is timed on its own line);
- photos: M MB of photos (2 MB each) sent in resumable chunks: MB/s;
- the baseline: every request of each phase is recorded as it went on the wire (same bodies, same
  gzip, same headers) and replayed with a bare ``requests.Session``: pushes and photo uploads
  against a second, fresh server of the same kind (so it does the same work: the same mutations
  are new to it), feed pages against the same server. ours / bare is what the client's side of
  the protocol adds (outbox, frozen bodies, answers and pages applied in the encrypted archive);
  goal <= 3x. The same bytes against ``bench.sink`` (the thinnest ASGI app on the same uvicorn)
  are printed too: the floor of moving them over loopback;
- memory: in a fresh process, K customers pushed and pulled with the resident set size sampled at
  every progress step: it must stay flat (no growth with the number of records).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
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

import requests

from bench.common import header

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password"
PASSPHRASE = "bench passphrase"
CACHE_MB = 128  # app/storage/engine.py: PRAGMA cache_size = -131072
PG_ADMIN = os.environ.get("FIELDARCHIVE_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=0.5)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


class Process:
    def __init__(self, args: list[str], probe: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args, "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "FIELDARCHIVE_AUDIT_KEY": secrets.token_hex(32)},
        )
        wait_up(self.base + probe, self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def start_server(url: str) -> Process:
    from server import accounts
    from server.config import Settings
    from server.db import Database
    from server.migrate import upgrade

    fast = Settings(hash_time_cost=1, hash_memory_kib=1024)
    db = Database(url)
    upgrade(db)
    db.write(lambda tx: accounts.add_user(tx, fast, "s1", "supervisor", PASSWORD))
    db.write(lambda tx: accounts.add_user(tx, fast, "c1", "collector", PASSWORD, supervisor="s1"))
    db.dispose()
    return Process(["server", "serve", "--database", url], "/api/v1/info")


class Wire:
    """Every request the sync client sends, as it goes on the wire (installed once, on/off)."""

    def __init__(self) -> None:
        self.on = False
        self.log: list[tuple[str, str, bytes | None, dict[str, str], dict[str, Any] | None, int, float]] = []
        original = requests.Session.request
        wire = self

        def request(session: requests.Session, method: str, url: str, **kw: Any) -> requests.Response:
            resp = original(session, method, url, **kw)
            if wire.on:
                headers = {k: v for k, v in (kw.get("headers") or {}).items() if k != "Authorization"}
                wire.log.append(
                    (
                        method,
                        url.split("/api/v1", 1)[-1],
                        kw.get("data"),
                        headers,
                        kw.get("params"),
                        len(resp.content),
                        time.perf_counter(),
                    )
                )
            return resp

        requests.Session.request = request  # type: ignore[method-assign]
        self.original = original

    def take(self) -> list[Any]:
        out, self.log = self.log, []
        return out


def bare_session(original: Any, base: str | None = None, user: str = "") -> requests.Session:
    """A bare requests.Session with the protocol's headers, signed in to ``base`` as ``user``."""
    from app.models.wire import PROTOCOL_HEADER, PROTOCOL_VERSION

    http = requests.Session()
    http.headers.update({PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Accept-Encoding": "gzip"})
    if base:
        r = original(
            http,
            "POST",
            base + "/api/v1/auth/login",
            json={"username": user, "password": PASSWORD, "device_id": f"bare-{user}", "device_name": "bench"},
            timeout=60,
        )
        r.raise_for_status()
        http.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    return http


def replay(base: str, requests_: list[Any], original: Any, http: requests.Session, sink: bool = False) -> float:
    """The recorded requests again with a bare requests.Session: same methods, paths, parameters,
    bodies and headers. Against the sink, GETs ask for as many bytes as the server answered."""
    t0 = time.perf_counter()
    for method, path, data, headers, params, nresp, _t in requests_:
        if sink and method == "GET":
            params = {"n": nresp}
        r = original(http, method, base + "/api/v1" + path, data=data, headers=headers, params=params, timeout=120)
        _ = r.content  # read the whole body, as the client does
        if not sink:
            r.raise_for_status()
    return time.perf_counter() - t0


def new_profile(home: Path, actor: str) -> Any:
    from app.services import session as ss

    os.environ["FIELDARCHIVE_HOME"] = str(home)
    session, _code = ss.create(passphrase=PASSPHRASE, actor=actor)
    return session


def fill(session: Any, count: int, seed: int) -> None:
    """``count`` customers made offline, queued in the outbox, in chunks (memory stays bounded)."""
    from app.models.record import NewCustomer, Provenance, Source
    from app.services import records
    from app.services.demo import generate
    from app.validation import validate_values

    today = dt.date.today()
    chunk: list[Any] = []

    def flush() -> None:
        with session._archive.db.transaction() as tx:
            session._archive.customers.insert(session.form, chunk, Provenance(session.user, Source.IMPORT, "bench"), tx)
        chunk.clear()

    for values in generate(count, seed=seed, today=today):
        report = validate_values(session.form, values, today=today)
        chunk.append(NewCustomer(records.new_id(), records.clean_values(report), records.quality(report)))
        if len(chunk) == 5000:
            flush()
    if chunk:
        flush()


def login(session: Any, base: str, user: str) -> None:
    from app.services import syncing

    syncing.login(session, base, user, PASSWORD)


def side_by_side(label: str, n: float, unit: str, ours: float, bare: float, floor: float) -> float:
    ratio = ours / bare
    print(
        f"{label}\n    ours {n / ours:9,.1f} {unit}/s | bare requests, same server work {n / bare:9,.1f} {unit}/s | "
        f"same bytes to a sink {n / floor:10,.1f} {unit}/s\n    ours/bare {ratio:.2f}x (goal <= 3x: "
        f"{'met' if ratio <= 3 else 'NOT met'}); ours/sink {ours / floor:.0f}x"
    )
    return ratio


def run(url: str, twin_url: str, count: int, photos_mb: int) -> None:
    from app.models.record import ListQuery
    from app.models.wire import MAX_CHUNK
    from app.services import records, syncing

    header(f"sync over loopback: {count:,} customers, {photos_mb} MB of photos ({url.split(':', 1)[0]})")
    wire = Wire()
    server = start_server(url)
    twin = start_server(twin_url)  # the bare replay's server: same kind, fresh
    sink = Process(["bench.sink"], "/")
    tmp = Path(tempfile.mkdtemp(prefix="fa-bench-sync-"))
    try:
        bare_c1 = bare_session(wire.original, twin.base, "c1")
        to_sink = bare_session(wire.original)
        c1 = new_profile(tmp / "c1", "c1")
        t = time.perf_counter()
        fill(c1, count, seed=11)
        print(f"made offline: {count:,} customers in {time.perf_counter() - t:.1f} s")
        login(c1, server.base, "c1")
        # push: from the first request to the last push answer
        wire.on = True
        t0 = time.perf_counter()
        outcome = syncing.sync(c1)
        wire.on = False
        log = wire.take()
        pushes = [r for r in log if r[1] == "/sync/push"]
        push_time = pushes[-1][6] - t0
        assert outcome.complete and outcome.applied == count, outcome
        push_bytes = sum(len(r[2] or b"") for r in pushes)
        bare = replay(twin.base, pushes, wire.original, bare_c1)
        floor = replay(sink.base, pushes, wire.original, to_sink, sink=True)
        side_by_side(
            f"push {count:,} customers ({push_bytes / 1e6:.1f} MB gzip, {len(pushes)} requests)",
            count,
            "records",
            push_time,
            bare,
            floor,
        )
        # pull: a market manager's new archive
        s1 = new_profile(tmp / "s1", "s1")
        login(s1, server.base, "s1")
        wire.on = True
        t0 = time.perf_counter()
        outcome = syncing.sync(s1)
        wire.on = False
        log = wire.take()
        audit = [r for r in log if r[1] == "/audit"]  # s1's own trail, sent after the feed: not the pull
        # nor what the sync asks after the trail (its export requests; /info, is a newer client offered?):
        # either would end the pull's clock after the audit trail
        first_audit = next((i for i, r in enumerate(log) if r[1] == "/audit"), len(log))
        log = [r for r in log[:first_audit] if r[1] != "/info"]
        pull_time = log[-1][6] - t0
        assert outcome.complete and outcome.received == count, outcome
        if audit:
            print(
                f"then the audit trail: {outcome.audit_sent:,} entries in {len(audit)} requests, "
                f"{audit[-1][6] - log[-1][6]:.1f} s"
            )
        pull_bytes = sum(r[5] for r in log)
        bare = replay(server.base, log, wire.original, bare_session(wire.original, server.base, "s1"))
        floor = replay(sink.base, log, wire.original, to_sink, sink=True)
        side_by_side(
            f"pull {count:,} customers into a new archive ({pull_bytes / 1e6:.1f} MB, {len(log)} requests)",
            count,
            "records",
            pull_time,
            bare,
            floor,
        )
        s1.close()
        # photos
        os.environ["FIELDARCHIVE_HOME"] = str(tmp / "c1")
        n_photos = max(1, photos_mb // 2)
        rows = c1._archive.customers.rows(c1._archive.customers.list_pks(ListQuery(), limit=n_photos))
        for row in rows:
            info = c1._archive.media.put_photo(os.urandom(2 * 1024 * 1024), "image/jpeg", 1600, 1200)
            records.save_changes(c1, row.id, {"photo_storefront": [info.sha256]})
        wire.on = True
        t0 = time.perf_counter()
        outcome = syncing.sync(c1)
        photo_time = time.perf_counter() - t0
        wire.on = False
        log = wire.take()
        assert outcome.complete and outcome.photos_up == n_photos, outcome
        mb = n_photos * 2
        uploads = [r for r in log if (r[0] != "GET" or "/photos/" in r[1]) and r[1] != "/audit"]
        bare = replay(twin.base, uploads, wire.original, bare_c1)
        floor = replay(sink.base, uploads, wire.original, to_sink, sink=True)
        side_by_side(
            f"photos: {n_photos} x 2 MB in chunks of {MAX_CHUNK // 1024} KB, with their customers' changes",
            mb,
            "MB",
            photo_time,
            bare,
            floor,
        )
        c1.close()
    finally:
        sink.stop()
        twin.stop()
        server.stop()


@contextlib.contextmanager
def databases(kind: str, n: int) -> Iterator[list[str]]:
    """``n`` fresh, empty server databases of one kind; PostgreSQL ones are dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield [f"sqlite:///{tmp}/server-{i}.db" for i in range(n)]
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    names = [f"fa_bench_{uuid.uuid4().hex[:10]}" for _ in range(n)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield [f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}" for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rss_now_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory(url: str, count: int) -> None:
    """In this (fresh) process: push and pull ``count`` customers, sampling the RSS."""
    from app.services import syncing

    header(f"memory while syncing {count:,} customers")
    server = start_server(url)
    tmp = Path(tempfile.mkdtemp(prefix="fa-bench-mem-"))
    try:
        c1 = new_profile(tmp / "c1", "c1")
        fill(c1, count, seed=12)
        login(c1, server.base, "c1")
        samples: list[tuple[str, int, float]] = []
        lock = threading.Lock()

        def sample(phase: str, done: int, _total: int, _bytes: int) -> None:
            with lock:
                samples.append((phase, done, rss_now_mb()))

        base = rss_now_mb()
        t0 = time.perf_counter()
        outcome = syncing.sync(c1, progress=sample)
        elapsed = time.perf_counter() - t0
        assert outcome.complete and outcome.applied == count, outcome
        s1 = new_profile(tmp / "s1", "s1")
        login(s1, server.base, "s1")
        outcome = syncing.sync(s1, progress=lambda p, d, t, b: sample("pull-new", d, t, b))
        assert outcome.complete and outcome.received == count, outcome
        for phase in ("push", "pull", "pull-new"):
            got = [x for x in samples if x[0] == phase]
            if not got:
                continue
            end = got[-1][1]
            at = [next(x for x in got if x[1] >= end * f) for f in (0.1, 0.5)] + [got[-1]]
            print(
                f"{phase:<9} RSS "
                + ", ".join(f"{x[2]:.0f} MB at {x[1]:,}" for x in at)
                + f"; second half {at[2][2] - at[1][2]:+.0f} MB"
            )
        print(
            f"(each archive keeps up to {CACHE_MB} MB of decrypted pages in SQLite's page cache; growth that "
            "stops there is the cache filling, not a leak)"
        )
        print(f"before the sync {base:.0f} MB; push and pull of {count:,} customers took {elapsed:.0f} s")
        s1.close()
        c1.close()
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--photos-mb", type=int, default=50)
    ap.add_argument("--memory-count", type=int, default=100_000, help="0 skips the memory run")
    ap.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    ap.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    import keyring

    from tests.conftest import MemoryKeyring  # no keyring backend on a headless machine

    keyring.set_keyring(MemoryKeyring())
    if args.memory_only:
        with databases(args.backend, 1) as (url,):
            memory(url, args.memory_count)
        return 0
    with databases(args.backend, 2) as (url, twin):
        run(url, twin, args.count, args.photos_mb)
    if args.memory_count:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.sync",
                "--memory-only",
                "--memory-count",
                str(args.memory_count),
                "--backend",
                args.backend,
            ],
            cwd=ROOT,
            check=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench.report [--sizes 5000,50000] [--backend postgresql]``: the monthly report and the
server's batch jobs at two sizes, side by side in one run.

The dataset is written directly into a fresh server database (bulk inserts, not the API: minutes
instead of hours): teams of 10 collectors × 250 customers with realistic values, official codes,
40 % approved, two versions each (the second a category change for one in ten), one visit and one
quarterly check each (spread over the last 400 days), and each collector's device trail of 250
hash-chained audit entries, acknowledged and signed as the server does. A CSV of one purchase row
per customer is written beside it.

Each figure is measured in a fresh process (``--measure``) so that its peak memory is its own:
the peak resident memory (VmHWM, reset just before the work) minus the resident memory before it.

- report admin / supervisor: ``server.reports.monthly`` for last month, written as gzipped JSON as
  the background job does it (what one report job costs the server);
- purchase import: the CSV through ``server.purchases.import_purchases`` (all rows, then the monthly
  purchase fields of every customer as system changes);
- classification: ``server.classify_run.run_classification`` for that month (ranks and writes every customer);
- audit verify: ``server.audit.verify`` over every device's trail.

``--parts report,verify,import,classify`` picks the figures; ``--sync`` also times a push and a pull page
alone and while an admin's report job runs in the same server process (``bench.report_sync``).

PostgreSQL: a database ``fa_bench_<random>`` created through FIELDARCHIVE_TEST_PG (default the
``test`` database on 127.0.0.1:5432) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from app.models.audit_chain import GENESIS, entry_hash
from app.models.catalogue import load_form
from app.services.demo import generate
from bench.common import header
from server.audit import NO_SIG, ack_signature
from server.completeness import stamp
from server.config import CHINA_TZ
from server.db import Database, bulk_insert
from server.migrate import upgrade
from server.records import dumps
from server.report_jobs import GZIP_LEVEL
from server.schema import (
    audit_acks,
    audit_entries,
    customer_checks,
    customer_versions,
    customers,
    devices,
    users,
    visits,
)

#: the key the bench signs its trails' acknowledgements with (``verify`` checks them with it)
AUDIT_KEY = b"fieldarchive-bench-audit-key-32b"
PG_ADMIN = os.environ.get("FIELDARCHIVE_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
PER_COLLECTOR, TEAM = 250, 10
CHUNK = 5000
DAYS = 400


def last_month(today: dt.date) -> str:
    return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


# ---------------------------------------------------------------------------------------------- data
def build(db: Database, n: int, csv_path: Path, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    now = time.time()
    today = dt.datetime.now(CHINA_TZ).date()
    pool = list(generate(500, seed=seed, today=today))
    form = load_form()  # the form ``upgrade`` published: each row gets the completeness the server stores
    collectors = max(1, -(-n // PER_COLLECTOR))
    teams = -(-collectors // TEAM)
    with db.engine.begin() as conn:
        people = [
            {
                "id": 1,
                "name": "admin",
                "display_name": "admin",
                "role": "admin",
                "supervisor_id": None,
                "password_hash": "x",
                "disabled": False,
                "created_at": now,
            }
        ]
        for t in range(teams):
            people.append(
                {
                    "id": 2 + t,
                    "name": f"s{t}",
                    "display_name": f"s{t}",
                    "role": "supervisor",
                    "supervisor_id": None,
                    "password_hash": "x",
                    "disabled": False,
                    "created_at": now,
                }
            )
        first_collector = 2 + teams
        for c in range(collectors):
            people.append(
                {
                    "id": first_collector + c,
                    "name": f"c{c}",
                    "display_name": f"c{c}",
                    "role": "collector",
                    "supervisor_id": 2 + c // TEAM,
                    "password_hash": "x",
                    "disabled": False,
                    "created_at": now,
                }
            )
        bulk_insert(conn, users, people)
        if db.is_postgres:
            conn.execute(text("SELECT setval('users_id_seq', (SELECT max(id) FROM users))"))
        bulk_insert(
            conn,
            devices,
            [
                {
                    "user_id": first_collector + c,
                    "device_id": f"dev-c{c}",
                    "device_name": "laptop",
                    "created_at": now,
                    "last_login_at": now,
                    "revoked_at": None,
                    "actor": f"c{c}",
                }
                for c in range(collectors)
            ],
        )
    out = csv_path.open("w", newline="", encoding="utf-8")
    sheet = csv.writer(out)
    sheet.writerow(["客户编码", "期间", "购进量", "购进金额"])
    month = last_month(today)
    done = 0
    prev_hash: dict[int, str] = {}
    last_seq: dict[int, int] = {}
    while done < n:
        rows, versions, vis, checks, trail = [], [], [], [], []
        for i in range(done, min(n, done + CHUNK)):
            owner = first_collector + i // PER_COLLECTOR
            values = dict(pool[i % len(pool)])
            values["shop_name"] = f"{values.get('shop_name', '店')}{i}"
            created = now - rng.uniform(30, DAYS) * 86400
            values["binding_date"] = dt.datetime.fromtimestamp(created, CHINA_TZ).date().isoformat()
            rid, code = f"{i:08d}-0000-4000-8000-{rng.getrandbits(48):012x}", f"610103{i:08d}"
            edit_at = now - rng.uniform(0, DAYS) * 86400
            old = values.get("market_type")
            category = i % 10 == 0
            if category:
                values["market_type"] = "rural" if old == "urban" else "urban"
                changes = {"market_type": {"old": old, "new": values["market_type"]}}
            else:
                changes = {"service_notes": {"old": None, "new": values.get("service_notes")}}
            status = "approved" if i % 5 < 2 else "draft"
            rows.append(
                {
                    "id": rid,
                    "version": 2,
                    "status": status,
                    "code": code,
                    "code_official": True,
                    "form_version": 1,
                    "data": dumps(values),
                    "approved_data": None,
                    "field_versions": "{}",
                    "review": None,
                    "missing_photos": "[]",
                    "owner_id": owner,
                    "created_by_id": owner,
                    "deleted": False,
                    "created_at": created,
                    "updated_at": max(created, edit_at),
                    **stamp(form, values, today),
                }
            )
            versions.append(
                {
                    "record_id": rid,
                    "version": 1,
                    "prev_version": 0,
                    "kind": "save",
                    "changes": "{}",
                    "status": "draft",
                    "actor_id": owner,
                    "mutation_id": None,
                    "provenance": None,
                    "at": created,
                }
            )
            versions.append(
                {
                    "record_id": rid,
                    "version": 2,
                    "prev_version": 1,
                    "kind": "save",
                    "changes": dumps(changes),
                    "status": status,
                    "actor_id": owner,
                    "mutation_id": None,
                    "provenance": None,
                    "at": max(created + 1, edit_at),
                }
            )
            day = dt.datetime.fromtimestamp(now - rng.uniform(0, DAYS) * 86400, CHINA_TZ).date().isoformat()
            body = {
                "id": f"v{rid}"[:36],
                "visited_on": day,
                "purpose": "routine",
                "notes": "",
                "sales_anomaly": "销量下降" if i % 10 == 3 else "",
                "photos": [],
            }
            vis.append(
                {
                    "id": body["id"],
                    "customer_id": rid,
                    "data": dumps(body),
                    "created_by_id": owner,
                    "created_at": now,
                    "visited_on": day,
                }
            )
            check_day = dt.datetime.fromtimestamp(now - rng.uniform(0, 200) * 86400, CHINA_TZ).date().isoformat()
            checks.append({"record_id": rid, "kind": "quarterly", "day": check_day, "by_id": owner, "at": now})
            seq = i % PER_COLLECTOR + 1
            e = {
                "device": f"dev-c{owner - first_collector}",
                "seq": seq,
                "at": "2026-01-01T00:00:00+08:00",
                "actor": f"c{owner - first_collector}",
                "entity": "customer",
                "entity_id": rid,
                "action": "create",
                "field": "shop_name",
                "old": None,
                "new": values["shop_name"],
                "source": "form",
                "source_ref": "",
                "info_date": None,
            }
            prev = prev_hash.get(owner, GENESIS) if seq > 1 else GENESIS
            h = entry_hash(prev, e)
            prev_hash[owner], last_seq[owner] = h, seq
            trail.append(
                {**e, "prev_hash": prev, "hash": h, "forked": False, "uploaded_by_id": owner, "received_at": now}
            )
            sheet.writerow([code, month, rng.randint(0, 400), f"{rng.randint(0, 2_000_000) / 100:.2f}"])
        with db.engine.begin() as conn:
            bulk_insert(conn, customers, rows)
            bulk_insert(conn, customer_versions, versions)
            bulk_insert(conn, visits, vis)
            bulk_insert(conn, customer_checks, checks)
            bulk_insert(conn, audit_entries, trail)
        done += len(rows)
    out.close()
    with db.engine.begin() as conn:  # each trail acknowledged once, signed as the server signs: a healthy copy
        acks = []
        for owner, seq in last_seq.items():
            device = f"dev-c{owner - first_collector}"
            head = prev_hash[owner]
            sig = ack_signature(AUDIT_KEY, device, 1, seq, head, owner, now, NO_SIG)
            acks.append(
                {"device": device, "n": 1, "seq": seq, "head_hash": head, "user_id": owner, "at": now}
                | {"prev_sig": NO_SIG, "sig": sig}
            )
        bulk_insert(conn, audit_acks, acks)
    with db.engine.connect() as conn:
        if db.is_postgres:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
    return {"month": month, "supervisor": "s0", "collectors": collectors, "teams": teams}


# ------------------------------------------------------------------------------------- measurement
def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(url: str, what: str, arg: str, month: str) -> dict[str, Any]:
    """One figure, in this (fresh) process: seconds and peak memory above the resident memory before."""
    from server import audit
    from server.accounts import get_user
    from server.calendar import server_calendar
    from server.classify_run import run_classification
    from server.forms import current_form
    from server.purchases import import_purchases
    from server.reports import monthly, write_json

    db = Database(url)
    with db.read() as conn:  # warm: connection, form, calendar
        current_form(conn)
    base = _rss_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (the peak) to the current resident size
    t = time.perf_counter()
    info: dict[str, Any] = {}
    if what == "report":
        overdue = 0

        def counted(rows: Any) -> Any:
            nonlocal overdue
            for row in rows:
                overdue += 1
                yield row

        buf = io.BytesIO()
        with db.read() as conn:  # the overdue rows are read while they are written, as the job does
            user = get_user(conn, arg)
            assert user is not None
            rep = monthly(conn, user, current_form(conn), server_calendar(conn), month, compact=True)
            rep["overdue"] = counted(rep["overdue"])
            with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as gz:
                write_json(rep, gz)
        info = {
            "rows": len(rep["category_adjustments"]) + overdue,
            "gzip_mb": round(len(buf.getvalue()) / 2**20, 2),
        }
    elif what == "import":
        r = db.write(lambda tx: import_purchases(tx, Path(arg), None, "admin"))
        assert not r.problems, r.problems[:3]
        info = {"rows": r.imported, "figures_updated": r.figures_updated}
    elif what == "classify":
        r2 = db.write(lambda tx: run_classification(tx, month))
        info = {"ranked": r2.ranked, "changed": r2.changed, "listed": len(r2.changes)}
    elif what == "verify":
        with db.read() as conn:
            problems = audit.verify(conn, AUDIT_KEY)
        info = {"problems": len(problems)}
    seconds = time.perf_counter() - t
    peak = _rss_kb("VmHWM")
    db.dispose()
    return {"seconds": seconds, "peak_mb": (peak - base) / 1024, "base_mb": base / 1024, **info}


def _child(url: str, what: str, arg: str, month: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.report", "--measure", what, "--url", url, "--arg", arg, "--month", month],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_size(n: int, backend: str, tmp: Path, parts: set[str], sync: bool) -> dict[str, dict[str, Any]]:
    if backend == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"fa_bench_{secrets.token_hex(4)}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    else:
        admin, name, url = None, "", f"sqlite:///{tmp / f'bench-{n}.db'}"
    try:
        db = Database(url)
        upgrade(db)
        t = time.perf_counter()
        csv_path = tmp / f"purchases-{n}.csv"
        meta = build(db, n, csv_path)
        db.dispose()
        print(
            f"  {n:,} customers built in {time.perf_counter() - t:.1f} s "
            f"({meta['teams']} teams, {meta['collectors']} collectors), report month {meta['month']}",
            flush=True,
        )
        res = {}
        for label, what, arg in (
            ("report, admin", "report", "admin"),
            ("report, supervisor", "report", meta["supervisor"]),
            ("audit verify", "verify", ""),
            ("purchase import", "import", str(csv_path)),
            ("classification", "classify", ""),
        ):
            if what not in parts:
                continue
            res[label] = _child(url, what, arg, meta["month"])
            print(
                f"    {label:20} {res[label]['seconds']:8.2f} s  peak +{res[label]['peak_mb']:7.1f} MB  "
                f"{ {k: v for k, v in res[label].items() if k not in ('seconds', 'peak_mb', 'base_mb')} }",
                flush=True,
            )
        if sync:  # after the figures above: the import and the classification change the rows it pushes among
            from bench import report_sync

            got = report_sync.run(url, meta["month"], meta["supervisor"])
            print(
                f"    push of {report_sync.PUSH} new customers: {got['push_alone_ms']:.0f} ms alone, "
                f"{got['push_during_ms']:.0f} ms during the admin's report job = {got['push_ratio']:.2f}x; "
                f"pull page of {report_sync.PAGE}: {got['pull_alone_ms']:.0f} ms / {got['pull_during_ms']:.0f} ms = "
                f"{got['pull_ratio']:.2f}x (the job took {got['job_s']:.1f} s, {got['rounds_during']} rounds in it)",
                flush=True,
            )
        return res
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,50000", help="two customer counts, comma separated")
    ap.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    ap.add_argument("--parts", default="report,verify,import,classify", help="the figures to measure")
    ap.add_argument("--sync", action="store_true", help="also time push and pull during an admin's report job")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--arg", default="", help=argparse.SUPPRESS)
    ap.add_argument("--month", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.url, args.measure, args.arg, args.month)))
        return 0
    sizes = [int(x) for x in args.sizes.split(",")]
    header(f"monthly report and batch jobs, {args.backend}, sizes {', '.join(f'{s:,}' for s in sizes)}")
    print(f"  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="fa-bench-report-") as tmp:
        for n in sizes:
            results[n] = run_size(n, args.backend, Path(tmp), set(args.parts.split(",")), args.sync)
    if len(sizes) >= 2:
        a, b = sizes[0], sizes[-1]
        print(
            f"\n  {'':20} {'time ' + format(a, ','):>12} {'time ' + format(b, ','):>12} "
            f"{'peak ' + format(a, ','):>12} {'peak ' + format(b, ','):>12} {'peak ratio':>10}"
        )
        for label in results[a]:
            ra, rb = results[a][label], results[b][label]
            ratio = rb["peak_mb"] / ra["peak_mb"] if ra["peak_mb"] > 0 else float("inf")
            print(
                f"  {label:20} {ra['seconds']:10.2f} s {rb['seconds']:10.2f} s {ra['peak_mb']:9.1f} MB "
                f"{rb['peak_mb']:9.1f} MB {ratio:9.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

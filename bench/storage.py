"""``python -m bench.storage [--count N]``: the encrypted archive on N generated customers (default 100k).

Prints, measured side by side in this run:
- bulk import into the archive (records + search indexes + audit, one transaction, SQLAlchemy Core)
  against a raw ``sqlite3`` executemany of the same rows into an unencrypted file (goal ≤ 3x);
  the same with validation included;
- search-as-you-type p50/p95 for each kind of query (goal p95 ≤ 50 ms);
- unlock time: key derivation + open + integrity checks (goal ≤ 0.5 s);
- archive size per 1,000 customers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import time
from pathlib import Path

from bench.common import header, ms, percentile, temp_home

TODAY = dt.date(2026, 11, 22)
PASSPHRASE = "benchmark passphrase"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    args = ap.parse_args()
    n = args.count
    with temp_home() as home:
        import sqlcipher3
        from sqlalchemy.engine import Connection

        from app.models.record import NewCustomer, Provenance, Source, new_id
        from app.services import records
        from app.services import session as ss
        from app.services.demo import generate
        from app.storage import migrations
        from app.storage.customer_rows import dumps, role_columns
        from app.storage.profile import Profile
        from app.validation import validate_values

        t = time.perf_counter()
        values = list(generate(n, seed=2026, today=TODAY))
        print(f"generated {n} customers in {time.perf_counter() - t:.1f} s")
        session, _ = ss.create(passphrase=PASSPHRASE, actor="bench")
        form = session.form

        # validation (kept outside the storage comparison, reported on its own)
        t = time.perf_counter()
        reports = [validate_values(form, v, today=TODAY) for v in values]
        t_validate = time.perf_counter() - t
        items = [NewCustomer(new_id(), records.clean_values(r), records.quality(r)) for r in reports]

        # baseline: the same rows, raw sqlite3 executemany, unencrypted file, one transaction
        raw_path = Path(home) / "raw.db"
        raw = sqlite3.connect(raw_path)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")
        cols = list(role_columns(form, items[0].values))
        raw.execute(
            f"CREATE TABLE customer (pk INTEGER PRIMARY KEY, id TEXT UNIQUE, code TEXT, status TEXT, data TEXT, "
            f"{', '.join(c + ' TEXT' for c in cols)}, created_at TEXT, updated_at TEXT)"
        )
        now = "2026-11-22T00:00:00.000Z"
        rows = [
            (i + 1, it.id, None, "draft", dumps(it.values), *role_columns(form, it.values).values(), now, now)
            for i, it in enumerate(items)
        ]
        t = time.perf_counter()
        with raw:
            raw.executemany(f"INSERT INTO customer VALUES ({', '.join('?' * (len(cols) + 7))})", rows)
        t_raw = time.perf_counter() - t
        raw.close()

        # ours: the archive's bulk path (records + 2 FTS indexes + audit), batches of 500 in one transaction.
        # Every statement it sends is recorded, to replay exactly the same rows through raw executemany below.
        prov = Provenance("bench", Source.IMPORT, "bench.xlsx", TODAY.isoformat())
        sent: list[tuple[str, object]] = []
        real = Connection.exec_driver_sql

        def recording(self, sql, params=None, *a, **k):  # type: ignore[no-untyped-def]
            sent.append((sql, params))
            return real(self, sql, params, *a, **k)

        Connection.exec_driver_sql = recording  # type: ignore[method-assign]
        t = time.perf_counter()
        with session._archive.db.transaction() as tx:
            for i in range(0, n, 500):
                session._archive.customers.insert(form, items[i : i + 500], prov, tx)
        t_ours = time.perf_counter() - t
        Connection.exec_driver_sql = real  # type: ignore[method-assign]

        # baseline 2: the very same statements and rows (records, indexes, FTS, audit), raw executemany,
        # same SQLite engine (the sqlcipher3 module without a key is plain SQLite), unencrypted file
        same = sqlcipher3.connect(str(Path(home) / "same-schema.db"), isolation_level=None)
        same.execute("PRAGMA journal_mode=WAL")
        same.execute("PRAGMA synchronous=FULL")
        same.execute("PRAGMA cache_size=-131072")
        for stmt in (st for script in migrations.SCRIPTS for st in script.split(";\n")):
            if stmt.strip():
                same.execute(stmt)
        t = time.perf_counter()
        same.execute("BEGIN IMMEDIATE")
        for sql, params in sent:
            if sql.startswith("BEGIN"):
                continue
            if isinstance(params, list):
                same.executemany(sql, params)
            else:
                same.execute(sql, params or ())
        same.execute("COMMIT")
        t_same = time.perf_counter() - t
        same.close()

        header(f"bulk import of {n} customers")
        print(f"raw executemany, bare customer table, unencrypted:      {t_raw:6.2f} s  {n / t_raw:9.0f} rows/s")
        print(f"raw executemany, same rows, same schema, unencrypted:   {t_same:6.2f} s  {n / t_same:9.0f} rows/s")
        print(f"archive (encrypted; records, 9 indexes, 2 FTS, audit):  {t_ours:6.2f} s  {n / t_ours:9.0f} rows/s")
        print(f"ratio archive / raw same rows: {t_ours / t_same:.2f}x   (goal <= 3x)")
        print(
            f"ratio archive / raw bare table: {t_ours / t_raw:.2f}x   (the search indexes and the audit trail are "
            f"extra work)"
        )
        print(
            f"validation of the same rows: {t_validate:.2f} s ({n / t_validate:.0f} rows/s); "
            f"validation + archive / raw same rows: {(t_ours + t_validate) / t_same:.2f}x"
        )

        # search as you type
        rng = random.Random(7)
        sample = [rng.choice(values) for _ in range(200)]
        code_of = [session._archive.customers.rows([pk])[0].code for pk in rng.sample(range(1, n + 1), 200)]
        kinds = {
            "name (1-2 chars)": [v.get("contact_name", "王")[: rng.choice((1, 2))] for v in sample],
            "name (full)": [v.get("contact_name", "王小明") for v in sample],
            "shop name": [v.get("shop_name", "烟酒店")[:4] for v in sample],
            "address": [v.get("address", "碑林区")[6:12] for v in sample],
            "phone (4-7 digits)": [v.get("contact_phone", "13800000000")[3 : 3 + rng.choice((4, 7))] for v in sample],
            "licence": [v.get("licence_no", "610102100001") for v in sample],
            "customer code": code_of,
        }
        header("search as you type (first page of 200 ids + 50 rows; and all matching ids)")
        for kind, queries in kinds.items():
            first, full, hits = [], [], []
            for q in queries:
                t = time.perf_counter()
                pks = session._archive.customers.search_pks(q, limit=200)
                session._archive.customers.rows(pks[:50])
                first.append(time.perf_counter() - t)
                t = time.perf_counter()
                hits.append(len(session._archive.customers.search_pks(q)))
                full.append(time.perf_counter() - t)
            print(
                f"{kind:20} first page p50 {ms(percentile(first, 0.5)):>9} p95 {ms(percentile(first, 0.95)):>9} | "
                f"all ids p50 {ms(percentile(full, 0.5)):>9} p95 {ms(percentile(full, 0.95)):>9} | "
                f"median hits {int(percentile(hits, 0.5))}"
            )
        session.close()

        # unlock
        profile = Profile()
        header("unlock")
        kdf, opened, checks, full = [], [], [], []
        for _ in range(5):
            t = time.perf_counter()
            key = profile.unlock(PASSPHRASE)
            kdf.append(time.perf_counter() - t)
            t = time.perf_counter()
            arc = profile.open(key, check=False)
            arc.customers.count()
            opened.append(time.perf_counter() - t)
            t = time.perf_counter()
            arc.integrity_problems()
            full.append(time.perf_counter() - t)
            arc.close()
            t = time.perf_counter()
            profile.open(key).close()  # what opening runs after a clean close (see Archive.open_checks)
            checks.append(time.perf_counter() - t - percentile(opened, 0.5))
        unlock = percentile(kdf, 0.5) + percentile(opened, 0.5)
        print(
            f"key derivation (Argon2id 64 MiB) p50 {ms(percentile(kdf, 0.5))}; open + first query p50 "
            f"{ms(percentile(opened, 0.5))}; unlock = {ms(unlock)} (goal <= 500 ms)"
        )
        print(
            f"checks run on open at this size: p50 {ms(percentile(checks, 0.5))} (unlock with them: "
            f"{ms(unlock + percentile(checks, 0.5))}); quick_check + cipher_integrity_check: "
            f"{ms(percentile(full, 0.5))}"
        )

        header("size")
        size = profile.archive_path.stat().st_size
        raw_size = raw_path.stat().st_size
        print(
            f"archive {size / 1e6:.1f} MB = {size / n * 1000 / 1e6:.2f} MB per 1,000 customers "
            f"(raw table without indexes or audit: {raw_size / n * 1000 / 1e6:.2f} MB per 1,000)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

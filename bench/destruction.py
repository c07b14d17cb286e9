"""``python -m bench.destruction [--batches N]``: what reaching the webhook batches adds to a destruction
(issue 18), measured side by side in one run, on SQLite, in this process.

The kept webhook batches (``webhook_deliveries``: N batches of 100 changes, each change with a customer's
approved values, as the outbound retention keeps them for 90 days) are searched for the destroyed records' ids
and the batches holding them are rewritten (``server.outbound_purge.redact_records``):

- none: one record, no batch kept, ms;
- one: one record, N batches kept, ms;
- 20 one by one: 20 records destroyed one at a time (one pass each), ms per record;
- 100 at once: 100 records in one destruction (one pass for all), ms per record, and the ratio.

A destruction is a rare admin step, but one approval may name hundreds of records and holds the write
lock while it runs: what to read is that 100 at once costs about one pass, not 100.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert

from bench.common import header
from server.db import Database
from server.integrations import Scope, add_integration
from server.migrate import upgrade
from server.outbound_purge import redact_records
from server.schema_integrations import webhook_deliveries

CHANGES = 100
VALUES = {
    "shop_name": "便民超市",
    "legal_person": "李四",
    "contact_phone": "13800138000",
    "address": "陕西省西安市灞桥区建设路12号",
    "licence_no": "610111200001",
    "region_code": "610111",
    "retail_format": "grocery",
}


def fill(db: Database, n: int, iid: int, targets: list[str]) -> None:
    def work(tx: object) -> None:
        rows = []
        for b in range(n):
            ids = [str(uuid.uuid4()) for _ in range(CHANGES)]
            for k, target in enumerate(targets):
                if b == (k * n) // len(targets):
                    ids[k % CHANGES] = target
            changes = [
                {"seq": b * CHANGES + i, "kind": "approved", "record_id": rid, "code": None, "version": 1,
                 "at": "2026-12-01T00:00:00Z", "changed": sorted(VALUES), "values": VALUES}
                for i, rid in enumerate(ids)
            ]  # fmt: skip
            did = str(uuid.uuid4())
            body = {"delivery": did, "integration": "crm", "epoch": "e", "cursor": b, "changes": changes}
            rows.append(
                {"id": did, "integration_id": iid, "number": b, "body": json.dumps(body, ensure_ascii=False),
                 "first_seq": b * CHANGES, "last_seq": b * CHANGES + 99, "size": CHANGES, "state": "delivered",
                 "attempts": 0, "next_at": 0.0, "created_at": 0.0}
            )  # fmt: skip
            if len(rows) == 500 or b == n - 1:
                tx.conn.execute(insert(webhook_deliveries), rows)  # type: ignore[attr-defined]  # a Tx
                rows = []

    db.write(work)


def timed(db: Database, ids: list[str], one_by_one: bool = False) -> tuple[float, int]:
    start = time.perf_counter()
    done = 0
    for group in [[i] for i in ids] if one_by_one else [ids]:
        counts = db.write(lambda tx, g=group: redact_records(tx.conn, g))
        done += sum(counts.values())
    return (time.perf_counter() - start) * 1000, done


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", type=int, default=2000)
    n = p.parse_args().batches
    header(f"destruction reaching the webhook batches: {n} kept batches of {CHANGES} changes, SQLite")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(db)
        db.write(lambda tx: add_integration(tx, "crm", "营销中心", [Scope.FEED_READ.value]))
        iid = 1
        one = [str(uuid.uuid4())]
        first, second = [str(uuid.uuid4()) for _ in range(20)], [str(uuid.uuid4()) for _ in range(100)]
        none_ms, none_done = timed(db, one)
        fill(db, n, iid, one + first + second)
        one_ms, one_done = timed(db, one)
        each_ms, each_done = timed(db, first, one_by_one=True)
        once_ms, once_done = timed(db, second)
        db.engine.dispose()
    assert (none_done, one_done, each_done, once_done) == (0, 1, 20, 100), (none_done, one_done, each_done)
    print(f"none              {none_ms:9.1f} ms")
    print(f"one               {one_ms:9.1f} ms")
    each, once = each_ms / len(first), once_ms / len(second)
    print(f"20 one by one     {each:9.1f} ms a record")
    print(f"100 at once       {once:9.1f} ms a record   one-by-one/at-once {each / once:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

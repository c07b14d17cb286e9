"""``python -m bench.inbound [--count N]``: the licensee feed (issue 19) measured side by side in one run, on
SQLite, in this process (``server.inbound.receive`` in pages of 500, as ``POST /integrations/licensees``
applies them, without HTTP):

- new: N new licensees (each a draft customer and an onboarding case), licensees/s;
- linked: N licensees whose licence numbers N customers keyed by hand already have (each found by the
  indexed ``customers.licence_no``, checked unlinked, updated as a system change), licensees/s;
- replay: the same N again (each answered from ``inbound_messages``), licensees/s.

The ratios linked/new and replay/new are what to read: a lookup that read every customer would make
linked fall with N; with the index it stays near new.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import header
from server import accounts
from server.accounts import get_user
from server.config import Settings
from server.db import Database
from server.forms import current_form
from server.inbound import LICENSEE, receive, set_rule
from server.integrations import Scope, add_integration, authenticate
from server.migrate import upgrade
from server.records import UnitOfWork
from server.scope import Directory

PAGE = 500
FAST = Settings(hash_time_cost=1, hash_memory_kib=1024)
VALUES = {
    "licence_type": "individual",
    "legal_person": "李四",
    "address": "陕西省西安市灞桥区建设路12号",
    "region_code": "610111",
    "location": "34.27,108.95",
    "licence_issue_date": "2026-01-15",
}


def items(prefix: str, numbers: list[str]) -> list[dict[str, Any]]:
    return [
        {"external_id": f"{prefix}-{n}", "version": 1, "values": {**VALUES, "licence_no": n, "shop_name": f"店{n}"}}
        for n in numbers
    ]


def load(db: Database, token: str, batch: list[dict[str, Any]]) -> float:
    machine = authenticate(db, FAST, token)
    start = time.perf_counter()
    for i in range(0, len(batch), PAGE):
        answers = db.write(lambda tx, page=batch[i : i + PAGE]: receive(tx, machine, LICENSEE, page))
        assert all(a["status"] == "accepted" for a in answers), answers[:1]
    return len(batch) / (time.perf_counter() - start)


def hand_keyed(db: Database, numbers: list[str]) -> None:
    def work(tx: Any) -> None:
        user = get_user(tx.conn, "c1")
        assert user is not None
        uow = UnitOfWork(tx, user, current_form(tx.conn), Directory.load(tx.conn))
        for n in numbers:
            rec = uow.new_record(str(uuid.uuid4()), user)
            rec.values = {**VALUES, "licence_no": n, "shop_name": f"手工{n}"}
            uow.touch(rec, "customer.save", {}, None)
        uow.flush()

    db.write(work)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=2000)
    n = p.parse_args().count
    header(f"licensee feed, {n} licensees a kind, pages of {PAGE}, SQLite")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(db)
        db.write(lambda tx: accounts.add_user(tx, FAST, "c1", "collector", "pass-1234-word"))
        db.write(lambda tx: set_rule(tx, "6101", "c1"))
        _, token = db.write(lambda tx: add_integration(tx, "zm", "专卖局", [Scope.LICENSEES_WRITE.value]))
        fresh = [f"6101112{k:05d}" for k in range(n)]
        keyed = [f"6101113{k:05d}" for k in range(n)]
        hand_keyed(db, keyed)
        new_rate = load(db, token, items("N", fresh))
        linked_rate = load(db, token, items("L", keyed))
        replay_rate = load(db, token, items("L", keyed))
        db.engine.dispose()
    print(f"new      {new_rate:9.0f} licensees/s")
    print(f"linked   {linked_rate:9.0f} licensees/s   linked/new {linked_rate / new_rate:.2f}x")
    print(f"replay   {replay_rate:9.0f} licensees/s   replay/new {replay_rate / new_rate:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

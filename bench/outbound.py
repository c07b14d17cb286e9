"""``python -m bench.outbound [--count N]``: the outbound feed (issue 19) with secrecy (issue 18) measured side by
side in one run, on SQLite, in this process (``server.outbound.read_changes`` in pages of 1,000, as
``GET /integrations/changes`` and each webhook batch read them, without HTTP):

- plain: N approved customers read by an integration named a reader of 机密 (nothing hidden: the values pass
  through the secrecy view unchanged), changes/s;
- masked: the same N read by an integration that reads no 机密 and is in the masked view (the resident ID, the
  bank account, the home address and every personal field replaced by placeholders), changes/s.

The ratio masked/plain is what to read: the rule is worked out once per record mark, so masking a page costs a
dictionary rebuild per change, not a rule evaluation.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from app.services.demo import generate
from app.validation.secrecy import is_masked
from bench.common import header
from server import accounts, forms
from server.accounts import get_user
from server.config import Settings
from server.db import Database, Tx
from server.forms import current_form
from server.integrations import Machine, Scope, add_integration
from server.migrate import upgrade
from server.outbound import read_changes
from server.records import UnitOfWork
from server.scope import Directory

PAGE = 1000
FAST = Settings(hash_time_cost=1, hash_memory_kib=1024)


def approved(db: Database, n: int) -> None:
    """``n`` approved customers of c1, as an import of existing customers writes them (one change each)."""

    def work(tx: Tx, batch: list[dict[str, Any]]) -> None:
        user = get_user(tx.conn, "c1")
        assert user is not None
        uow = UnitOfWork(tx, user, current_form(tx.conn), Directory.load(tx.conn))
        for values in batch:
            rec = uow.new_record(str(uuid.uuid4()), user)
            code = f"9{uuid.uuid4().int % 10**11:011d}"
            rec.values = {**values, "customer_code": code}
            rec.status, rec.code, rec.code_official = "approved", code, True
            uow.touch(rec, "import", {}, None)
        uow.flush()

    rows = list(generate(n, seed=18, complete=True))
    for i in range(0, n, 500):
        db.write(lambda tx, b=rows[i : i + 500]: work(tx, b))


def publish(db: Database, tmp: Path) -> None:
    """The bundled form, one version newer: ``bank`` reads 机密, ``gis`` is in the masked view."""
    form = current_form_dict(db)
    form["version"] += 1
    form["meta"]["secrecy"]["readers"]["secret"].append("integration:bank")
    form["meta"]["secrecy"]["masked_roles"] = ["viewer", "integration:gis"]
    path = tmp / "form.json"
    path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    db.write(lambda tx: forms.publish(tx, path, "admin"))


def current_form_dict(db: Database) -> dict[str, Any]:
    with db.read() as conn:
        return current_form(conn).to_dict()


def machine(name: str) -> Machine:
    return Machine(0, name, "bench", frozenset({Scope.FEED_READ.value}), None, "", 600, 60)


def read_all(db: Database, who: Machine) -> tuple[float, list[dict[str, Any]]]:
    cursor, out, start = 0, [], time.perf_counter()
    while True:
        with db.read() as conn:
            page = read_changes(conn, who, cursor, PAGE)
        out += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            return time.perf_counter() - start, out


def placeholders(changes: list[dict[str, Any]]) -> int:
    return sum(1 for c in changes for v in (c["values"] or {}).values() if is_masked(v))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=5000)
    n = p.parse_args().count
    header(f"outbound feed with secrecy, {n} approved customers, pages of {PAGE}, SQLite")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(db)
        db.write(lambda tx: accounts.add_user(tx, FAST, "c1", "collector", "pass-1234-word"))
        for name in ("bank", "gis"):
            db.write(lambda tx, name=name: add_integration(tx, name, "bench", [Scope.FEED_READ.value]))
        approved(db, n)
        publish(db, Path(tmp))
        read_all(db, machine("bank"))  # warm the cache
        plain, masked = float("inf"), float("inf")
        for _ in range(3):  # alternately, the best of three each
            took, got = read_all(db, machine("bank"))
            plain = min(plain, took)
            took, hidden = read_all(db, machine("gis"))
            masked = min(masked, took)
        db.engine.dispose()
    assert len(got) == len(hidden) == n
    print(f"plain    {n / plain:9.0f} changes/s   {placeholders(got) / n:4.1f} placeholders a change")
    print(
        f"masked   {n / masked:9.0f} changes/s   {placeholders(hidden) / n:4.1f} placeholders a change"
        f"   masked/plain {masked / plain:.2f}x the time"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

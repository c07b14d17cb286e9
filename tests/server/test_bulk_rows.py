"""``server.db.bulk_insert``, the path of every bulk row a push writes (``COPY`` on PostgreSQL, the
driver's ``executemany`` on SQLite; issue 21): values come back as they went in, whatever characters
they hold, and a key already taken is SQLAlchemy's ``IntegrityError``, which ``Database.write`` retries
on PostgreSQL (a concurrent push with the same new mutation id) and answers ``Busy`` when it persists."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server import accounts
from server.db import Busy, Database, Tx, bulk_insert
from server.schema import mutations
from tests.server.conftest import FAST

AWKWARD = ["tab\there", "line\nbreak\r\n", "back\\slash \\N \\.", "\"quoted\" 'single'", "中文 ⟦masked:secret⟧ 😀", ""]


def _user(db: Database) -> int:
    return db.write(lambda tx: accounts.add_user(tx, FAST, "bulk", "collector", "pw-bulk-12345")).id


def _rows(user_id: int, prefix: str) -> list[dict[str, object]]:
    return [
        {"mutation_id": f"{prefix}{i}", "user_id": user_id, "body_hash": "0" * 64, "result": text, "at": 1.5 + i}
        for i, text in enumerate(AWKWARD)
    ]


def test_bulk_rows_come_back_as_written(db: Database) -> None:
    uid = _user(db)
    rows = _rows(uid, "m")
    db.write(lambda tx: bulk_insert(tx.conn, mutations, rows))
    with db.read() as conn:
        got = {r.mutation_id: (r.user_id, r.result, r.at) for r in conn.execute(select(mutations))}
    assert got == {r["mutation_id"]: (uid, r["result"], r["at"]) for r in rows}


def test_a_taken_key_is_an_integrity_error(db: Database) -> None:
    uid = _user(db)
    db.write(lambda tx: bulk_insert(tx.conn, mutations, _rows(uid, "k")))
    clash = _rows(uid, "new") + _rows(uid, "k")[:1]

    def again(tx: Tx) -> None:
        bulk_insert(tx.conn, mutations, clash)

    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        bulk_insert(conn, mutations, clash)
    # PostgreSQL retries a unique-key clash (the winner's row is then found) and gives up with Busy;
    # SQLite serialises writers, so there the clash is a real error
    with pytest.raises(Busy if db.is_postgres else IntegrityError):
        db.write(again)
    with db.read() as conn:
        assert conn.execute(select(mutations.c.mutation_id).where(mutations.c.mutation_id == "new0")).first() is None

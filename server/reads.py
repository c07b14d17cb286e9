"""Reading one record by id, within the caller's scope (outside it, the record does not exist)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.accounts import Caller
from server.db import Database
from server.errors import not_found
from server.records import Rec
from server.schema import customers
from server.scope import Directory, can_see


def read_record(db: Database, caller: Caller, record_id: str) -> dict[str, Any]:
    with db.read() as conn:
        row = conn.execute(select(customers).where(customers.c.id == record_id)).first()
        if row is None:
            raise not_found("There is no such customer.")
        rec = Rec.from_row(row)
        directory = Directory.load(conn)
        if not can_see(caller.user, rec, directory):
            raise not_found("There is no such customer.")
        return rec.to_wire(directory)

"""Reading one record by id, within the caller's scope (outside it, the record does not exist)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.accounts import Caller
from server.db import Database
from server.errors import not_found
from server.integrity import files
from server.records import Rec
from server.schema import customers
from server.scope import Directory, can_see
from server.secrecy import view_of
from server.service import of_records as service_of
from server.signatures import of_records, signed_view


def visible_record(conn: Connection, caller: Caller, record_id: str) -> tuple[Rec, Directory]:
    """The record if the caller may see it; otherwise 404, as if it did not exist."""
    row = conn.execute(select(customers).where(customers.c.id == record_id)).first()
    if row is None:
        raise not_found("There is no such customer.")
    rec = Rec.from_row(row)
    directory = Directory.load(conn)
    if not can_see(caller.user, rec, directory):
        raise not_found("There is no such customer.")
    return rec, directory


def read_record(db: Database, caller: Caller, record_id: str) -> dict[str, Any]:
    with db.read() as conn:
        rec, directory = visible_record(conn, caller, record_id)
        view = view_of(conn, caller.user)
        signed = signed_view(view, rec, directory, of_records(conn, [rec.id], directory)[rec.id])
        held, served = files(conn, [rec.id], directory)[rec.id], service_of(conn, [rec.id], directory)[rec.id]
        return {**rec.to_wire(directory, view), "integrity": held, "signatures": signed, "service": served}

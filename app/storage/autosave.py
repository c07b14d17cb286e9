"""The archive's autosave part (``archive.autosave``): the state of open forms, saved every few seconds
while they are edited, so that a crash loses nothing (scratch state, inside the encrypted archive)."""

from __future__ import annotations

from sqlalchemy import select

from app.storage import schema
from app.storage.db import Part


class Autosave(Part):
    """``archive.autosave``: one row per open form (its key), replaced at each save, cleared when done."""

    def put(self, key: str, customer_id: str | None, state: str) -> None:
        with self.transaction() as tx:
            tx.execute(
                schema.autosave.insert()
                .prefix_with("OR REPLACE")
                .values(key=key, customer_id=customer_id, state=state, saved_at=self.clock())
            )

    def all(self) -> list[tuple[str, str | None, str, str]]:
        A = schema.autosave.c
        with self.reading() as c:
            return [tuple(r) for r in c.execute(select(A.key, A.customer_id, A.state, A.saved_at).order_by(A.saved_at))]

    def clear(self, key: str) -> None:
        with self.transaction() as tx:
            tx.execute(schema.autosave.delete().where(schema.autosave.c.key == key))

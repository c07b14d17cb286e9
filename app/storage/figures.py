"""The archive's figures part (``archive.figures``): what the statistics tab counts over the live
customers (values by field, completeness by owner), each in one grouped query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.storage import schema
from app.storage.db import Part

C = schema.customer.c


class Figures(Part):
    """``archive.figures``: grouped counts over the live customers, for the dashboard."""

    def value_counts(self, *keys: str) -> list[tuple[Any, ...]]:
        """(value of keys[0], value of keys[1], …, count) over live customers, from the stored values."""
        cols = [func.json_extract(C.data, f"$.{k}") for k in keys]
        with self.reading() as c:
            return [
                tuple(r)
                for r in c.execute(select(*cols, func.count()).where(C.deleted_at.is_(None)).group_by(*cols)).all()
            ]

    def completeness_by_owner(self) -> list[tuple[str | None, int, float, int]]:
        """(owner, customers, mean completeness, required values missing) over live customers."""
        with self.reading() as c:
            return [
                tuple(r)
                for r in c.execute(
                    select(C.owner, func.count(), func.avg(C.completeness), func.sum(C.missing_count))
                    .where(C.deleted_at.is_(None))
                    .group_by(C.owner)
                    .order_by(C.owner)
                ).all()
            ]

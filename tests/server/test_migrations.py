"""The Alembic migrations create exactly the tables of server/schema.py, on both databases, and
running them again is harmless (every command migrates before it runs)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from server.migrate import HEAD, upgrade
from server.schema import feed_counter, forms, metadata


def test_migrated_schema_matches_the_tables(db):
    upgrade(db)  # idempotent
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []
        assert ctx.get_current_revision() == HEAD
        assert conn.execute(select(feed_counter.c.seq)).scalar_one() == 0
        assert conn.execute(select(forms.c.version)).scalars().all() == [1]

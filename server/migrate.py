"""Schema migrations (Alembic), run automatically by ``serve`` and by every admin command.

The scripts live in ``server/migrations/versions``; each one is frozen DDL. The migration runs
in one transaction with an open connection, so two server processes starting together on one
PostgreSQL do not both create tables: PostgreSQL's transactional DDL and an advisory lock make
the second wait, and SQLite's write lock does the same for a file.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Connection

from app.models.catalogue import load_form
from server import completeness
from server.config import CHINA_TZ
from server.db import Database
from server.forms import current_form
from server.schema import feed_counter, forms

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0033_destroyed_ids"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def schema_version(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None: not migrated at all)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def known_revisions() -> set[str]:
    """Every revision this server's migration scripts know (a backup of another one is newer)."""

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def upgrade(db: Database) -> None:
    """Bring the schema to the newest version and seed the counter row and the first form."""
    cfg = alembic_config()
    with db.engine.connect() as conn:
        if db.is_postgres:
            conn.execute(text("SELECT pg_advisory_lock(8765001)"))  # session-level: outlives the commit
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                _seed(conn)
                fill_completeness(conn)
        finally:
            if db.is_postgres:
                conn.execute(text("SELECT pg_advisory_unlock(8765001)"))
                conn.commit()


def fill_completeness(conn: Connection) -> None:
    """Store the completeness of the customers that lack it (migration ``0027_report_completeness`` adds
    the columns empty), 1,000 at a time. An older form's answers are left to the report job
    (``server.report_jobs``): every admin command migrates first, and must not validate a province."""
    form = current_form(conn)
    today = dt.datetime.now(CHINA_TZ).date()
    after: str | None = ""
    while after is not None:
        after = completeness.refresh(conn, form, today, after, never_computed=True)


def _seed(conn: Connection) -> None:
    if conn.execute(select(feed_counter.c.id)).first() is None:
        conn.execute(insert(feed_counter).values(id=1, seq=0, horizon=0, epoch=secrets.token_hex(16)))
    if conn.execute(select(forms.c.version)).first() is None:
        form = load_form()
        conn.execute(
            insert(forms).values(
                version=form.version,
                form_id=form.form_id,
                definition=json.dumps(form.to_dict(), ensure_ascii=False),
                published_at=time.time(),
                published_by="(bundled)",
            )
        )

"""Alembic environment: always called from server.migrate with an open connection."""

from __future__ import annotations

from alembic import context

import server.schema_admin  # noqa: F401  (the same)
import server.schema_filings  # noqa: F401  (the same)
import server.schema_guard  # noqa: F401  (the same)
import server.schema_incidents  # noqa: F401  (the same)
import server.schema_integrations  # noqa: F401  (its tables register on the same metadata)
import server.schema_onboarding  # noqa: F401  (the same)
from server.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()

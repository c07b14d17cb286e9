"""Tables of incident records (安全事件: a leak, a lost laptop; issue 18, audit S2), on the same ``metadata``
as server/schema.py's tables (imported with ``server.db`` and by the migrations' env, like schema_admin).

An incident names what happened and when, the customers affected, the remedy and who was told; each step
taken (opened, a device revoked, the remedy, a notice, closed) is a dated row with who took it
(server/incidents.py)."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, Text

from server.schema import metadata

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # leak | lost_device | disclosure | other
    Column("occurred_on", String(10), nullable=False),  # ISO day it happened (or was found to)
    Column("summary", Text, nullable=False),
    Column("customers", Text, nullable=False),  # JSON list of the affected customers' ids
    Column("remedy", Text, nullable=True),
    Column("notified", Text, nullable=True),  # who was told (customers, the bureau, the authority…)
    Column("state", String(8), nullable=False),  # open | closed
    Column("created_by", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("closed_at", Float, nullable=True),
)
incident_steps = Table(
    "incident_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("action", String(16), nullable=False),  # opened | revoked | remedy | notified | closed
    Column("detail", Text, nullable=False),  # the step's own text (JSON)
    Column("by", String(64), nullable=False),
    Column("at", Float, nullable=False),
)

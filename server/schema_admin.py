"""Tables the admin area keeps: the territory tree, the departments and where each user stands (issue 20),
the work calendar with the admin's draft of it, and the ids the destructions removed; on the same
``metadata`` as server/schema.py's tables (imported with ``server.db``, so every process that opens the
database knows them; the migrations' env imports it too)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Float, ForeignKey, Integer, String, Table, false

from server.schema import metadata

# The territory tree (province → city → county → team, issue 20; F3 L434–438): a team node names its market
# manager; departments (专卖管理所, 市场部 …; seeded by migration 0020_territories as the deployment's
# default, editable); where each user stands in both (server/territories.py). Scope still follows
# users.supervisor_id.
territories = Table(
    "territories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("parent_id", Integer, ForeignKey("territories.id"), nullable=True, index=True),
    Column("level", String(16), nullable=False),  # province | city | county | team
    Column("name", String(100), nullable=False),
    Column("supervisor_id", Integer, ForeignKey("users.id"), nullable=True),  # a team's market manager
    Column("created_at", Float, nullable=False),
)
departments = Table(
    "departments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),  # what the form's field owners name
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)
user_places = Table(
    "user_places",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("territory_id", Integer, ForeignKey("territories.id"), nullable=True, index=True),
    Column("department_id", Integer, ForeignKey("departments.id"), nullable=True, index=True),
    # the department's manager (at most one a department; the bulk signature of 市场部: server/changes.py)
    Column("manager", Boolean, nullable=False, default=False, server_default=false()),
)

# The work calendar the server publishes: public holidays and make-up working days (调休).
calendar_days = Table(
    "calendar_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(8), nullable=False),  # holiday | workday
    Column("updated_at", Float, nullable=False),
)

# The admin's draft of the calendar (server/calendar.py): the years it replaces and their special days;
# clients see none of it until it is published into calendar_days.
calendar_draft_years = Table(
    "calendar_draft_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("updated_at", Float, nullable=False),
)
calendar_draft_days = Table(
    "calendar_draft_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(8), nullable=False),  # holiday | workday
    Column("updated_at", Float, nullable=False),
)

# Every id a destruction removed: the record's and those of its visits, entries, complaints, signatures and
# service records (``destructions.removed["entries"]``), by which its clients' audit entries name them. An
# audit upload and ``audit verify`` look up the ids they meet here (by key) instead of loading every
# destruction (migration 0033_destroyed_ids, issue 21).
destroyed_ids = Table(
    "destroyed_ids",
    metadata,
    Column("id", String(100), primary_key=True),  # as long as audit_entries.entity_id
    Column("destruction_id", Integer, ForeignKey("destructions.id"), nullable=False),
)

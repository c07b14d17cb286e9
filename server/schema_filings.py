"""Tables of the monthly filings (备案备查报送, issue 17; audit RP1–RP5, N8), on the same ``metadata`` as
server/schema.py's tables (imported with ``server.db`` and by the migrations' env, like schema_onboarding).

``filing_kinds`` is the deployment's table of what is filed every month, by whom and by which day (seeded
by migration 0028_filings with the five filings of F3 L284, L288–293); ``filings`` holds one row per kind,
month and owner once that owner has filed it: who filed, when, the note and the filed content (the
order-collection summary as computed at that moment, the special-use form's rows, the self-inspection
documents), frozen as filed. A filing not filed has no row: its state (due or overdue) is computed."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from server.schema import metadata

filing_kinds = Table(
    "filing_kinds",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("owner", String(64), nullable=False),  # role:collector | role:supervisor | department:<code>
    Column("due_day", Integer, nullable=False),  # the day of the following month it is due (end of that day)
    Column("shift", Boolean, nullable=False),  # a due day that is not a working day moves to the next one
    # what is filed: orders_collector | orders_supervisor | special_use | documents | report
    Column("content", String(32), nullable=False),
    # 1: every month; 12: once a year, for the year just ended (its month is December's, due in January)
    Column("every", Integer, nullable=False, default=1),
)
filings = Table(
    "filings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), ForeignKey("filing_kinds.code"), nullable=False),
    Column("month", String(7), nullable=False),  # the month reported, YYYY-MM
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("due_at", Float, nullable=False),  # the deadline in force when it was filed
    Column("filed_at", Float, nullable=False),
    Column("filed_by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("note", String(2000), nullable=False),
    Column("content", Text, nullable=False),  # JSON
    UniqueConstraint("kind", "month", "owner_id", name="uq_filings_kind_month_owner"),
)
#: The market manager's monthly check of a customer manager's maintenance (``monthly``: timeliness,
#: objectivity, accuracy, each ``ok`` or ``deficient``; one per collector and month) and the customer-service
#: department's spot audits (``spot``: archives sampled and a score 0–100; any number a month); dated, with
#: findings (server/checks.py).
maintenance_checks = Table(
    "maintenance_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # monthly | spot
    Column("month", String(7), nullable=False),  # the month checked, YYYY-MM
    Column("collector_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("checker_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("checked_on", String(10), nullable=False),  # the day of the check (China)
    Column("timeliness", String(16), nullable=True),
    Column("objectivity", String(16), nullable=True),
    Column("accuracy", String(16), nullable=True),
    Column("sample", Integer, nullable=True),
    Column("score", Integer, nullable=True),
    Column("findings", String(4000), nullable=False),
    Column("recorded_at", Float, nullable=False),
)

"""The archive's lifecycle: closing an outlet (销户) and destroying records at the end of their retention

Revision ID: 0016_lifecycle
Revises: 0015_access_log

``customers.closure`` keeps the last close or reopen (JSON: state, day, reason, by, at) and
``customers.closed_at`` the time a closed record was closed (NULL while open): the retention of a
closed record runs from it. ``destructions`` records each destroyed record without its values
(docs/domain.md, "The archive's lifecycle").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_lifecycle"
down_revision = "0015_access_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE … ADD COLUMN on both databases (a batch would copy the table on SQLite)
    op.add_column("customers", sa.Column("closure", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("closed_at", sa.Float(), nullable=True))
    op.create_index("ix_customers_closed_at", "customers", ["closed_at"])
    op.create_table(
        "destructions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("record_class", sa.String(length=16), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("removed", sa.Text(), nullable=False),
    )
    op.create_index("ix_destructions_record_id", "destructions", ["record_id"])


def downgrade() -> None:
    op.drop_index("ix_destructions_record_id", table_name="destructions")
    op.drop_table("destructions")
    op.drop_index("ix_customers_closed_at", table_name="customers")
    op.execute("ALTER TABLE customers DROP COLUMN closed_at")  # SQLite 3.35+ and PostgreSQL alike
    op.execute("ALTER TABLE customers DROP COLUMN closure")

"""The service records (客户服务记录): visit plans, care dates, satisfaction surveys

Revision ID: 0022_service_records
Revises: 0021_feed_branches

Each record (``service.add``) belongs to a customer; ``service.step`` marks a visit plan done or cancelled, or
a care date cancelled, bumping its revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_service_records"
down_revision = "0021_feed_branches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on_date", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_service_records_record_id", "service_records", ["record_id"], unique=False)
    op.create_index("ix_service_records_due", "service_records", ["kind", "status", "on_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_service_records_due", table_name="service_records")
    op.drop_index("ix_service_records_record_id", table_name="service_records")
    op.drop_table("service_records")

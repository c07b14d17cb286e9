"""Quarterly checks and half-yearly reviews of customers, synced from the clients

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["customers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("customer_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_checks_record_id"), ["record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_checks_record_id"))
    op.drop_table("customer_checks")

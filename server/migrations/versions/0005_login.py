"""Login budgets per user name, device and address (replace the per-name lock), and login sources

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("login_failures")
    op.create_table(
        "login_budgets",
        sa.Column("key", sa.String(length=66), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("login_budgets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_budgets_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "login_sources",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "address"),
    )
    with op.batch_alter_table("login_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sources_last_at"), ["last_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sources_last_at"))
    op.drop_table("login_sources")
    with op.batch_alter_table("login_budgets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_budgets_expires_at"))
    op.drop_table("login_budgets")
    op.create_table(
        "login_failures",
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.Float(), nullable=False),
        sa.Column("locked_until", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("name_key"),
    )

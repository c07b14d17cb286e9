"""Administration: the admin log (every administrative call) and one-time password reset codes

Revision ID: 0011_admin_log
Revises: 0010_integrations

Self-contained: two new tables, nothing else changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_admin_log"
down_revision = "0010_integrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.create_index("ix_admin_log_at", ["at"], unique=False)
        batch_op.create_index("ix_admin_log_action", ["action"], unique=False)
    op.create_table(
        "password_resets",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("password_resets")
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_log_action")
        batch_op.drop_index("ix_admin_log_at")
    op.drop_table("admin_log")

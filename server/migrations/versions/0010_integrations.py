"""Machine accounts: integrations, their hashed tokens and the audit of every call made with one

Revision ID: 0010_integrations
Revises: 0009_epoch

Self-contained (three new tables, nothing else touched) so that it can be rechained after other
migrations; see server/integrations.py and docs/integrations.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_integrations"
down_revision = "0009_epoch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("territory", sa.Text(), nullable=True),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("burst", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "integration_tokens",
        sa.Column("token_id", sa.String(length=16), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("retires_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"]),
        sa.PrimaryKeyConstraint("token_id"),
    )
    with op.batch_alter_table("integration_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_integration_tokens_integration_id", ["integration_id"], unique=False)
    op.create_table(
        "integration_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("integration_name", sa.String(length=48), nullable=False),
        sa.Column("token_id", sa.String(length=16), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("integration_calls", schema=None) as batch_op:
        batch_op.create_index("ix_integration_calls_integration_at", ["integration_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_table("integration_calls")
    op.drop_table("integration_tokens")
    op.drop_table("integrations")

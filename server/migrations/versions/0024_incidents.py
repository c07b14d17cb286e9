"""Incident records (issue 18, audit S2): what happened, when, the customers affected, the remedy, who was
told, and each step with who took it (server/incidents.py)

Revision ID: 0024_incidents
Revises: 0023_onboarding
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_incidents"
down_revision = "0023_onboarding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("customers", sa.Text(), nullable=False),
        sa.Column("remedy", sa.Text(), nullable=True),
        sa.Column("notified", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "incident_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_incident_steps_incident_id"), "incident_steps", ["incident_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_steps_incident_id"), table_name="incident_steps")
    op.drop_table("incident_steps")
    op.drop_table("incidents")

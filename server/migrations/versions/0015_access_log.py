"""Governed access to personal data: the access log read by customer, and export requests

Revision ID: 0015_access_log
Revises: 0014_webhooks

The clients log who opened, searched, exported and printed as audit entries (entity ``access``, the
customer's id as the entity id); an index on the entity id lists who looked at a customer without
reading the whole trail. ``export_requests`` holds the requests to export personal fields beyond
one's team or ID and bank numbers unmasked, and their approval (server/access.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_access_log"
down_revision = "0014_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_entries_entity_id", "audit_entries", ["entity_id", "entity"])
    op.create_table(
        "export_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=400), nullable=False),
        sa.Column("purpose", sa.String(length=400), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("unmasked", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.Column("valid_until", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["applicant_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_export_requests_applicant", "export_requests", ["applicant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_export_requests_applicant", table_name="export_requests")
    op.drop_table("export_requests")
    op.drop_index("ix_audit_entries_entity_id", table_name="audit_entries")

"""The integrity archive (诚信档案): entries per outlet, complaints and their steps; a rating's basis

Revision ID: 0013_integrity
Revises: 0012_provisional_code

Entries (licensing, inspections, violations, complaints, commendations) and complaints sync from the
clients (``integrity.add``, ``complaint.open``, ``complaint.step``); the grading procedure records the
entries it was based on (``credit_ratings.basis``, nullable: older ratings have none).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_integrity"
down_revision = "0012_provisional_code"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integrity_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("handling", sa.Text(), nullable=False),
        sa.Column("photos", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_integrity_entries_record_id", "integrity_entries", ["record_id"], unique=False)
    op.create_index("ix_integrity_entries_occurred_on", "integrity_entries", ["occurred_on"], unique=False)
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("received_on", sa.String(length=10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("complainant_name", sa.String(length=64), nullable=False),
        sa.Column("complainant_phone", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.String(length=10), nullable=False),
        sa.Column("handling", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("closed_on", sa.String(length=10), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_complaints_record_id", "complaints", ["record_id"], unique=False)
    op.create_index("ix_complaints_received_on", "complaints", ["received_on"], unique=False)
    op.create_table(
        "complaint_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("complaint_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"]),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_complaint_steps_complaint_id", "complaint_steps", ["complaint_id"], unique=False)
    # a plain ADD COLUMN on both databases (see 0012)
    op.add_column("credit_ratings", sa.Column("basis", sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE credit_ratings DROP COLUMN basis")
    op.drop_index("ix_complaint_steps_complaint_id", table_name="complaint_steps")
    op.drop_table("complaint_steps")
    op.drop_index("ix_complaints_received_on", table_name="complaints")
    op.drop_index("ix_complaints_record_id", table_name="complaints")
    op.drop_table("complaints")
    op.drop_index("ix_integrity_entries_occurred_on", table_name="integrity_entries")
    op.drop_index("ix_integrity_entries_record_id", table_name="integrity_entries")
    op.drop_table("integrity_entries")

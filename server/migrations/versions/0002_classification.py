"""Classification, credit grading, work calendar

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "credit_ratings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("notice_start", sa.Date(), nullable=False),
        sa.Column("notice_end", sa.Date(), nullable=False),
        sa.Column("notice_workdays", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("appeal_on", sa.Date(), nullable=True),
        sa.Column("appeal_text", sa.Text(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("final_grade", sa.String(length=1), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("rated_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["customers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_ratings_record_id"), ["record_id"], unique=False)

    op.create_table(
        "purchases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("customer_code", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["customers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "customer_code", name="uq_purchases_period_code"),
    )
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchases_record_id"), ["record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchases_record_id"))

    op.drop_table("purchases")
    with op.batch_alter_table("credit_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_ratings_record_id"))

    op.drop_table("credit_ratings")
    op.drop_table("calendar_days")

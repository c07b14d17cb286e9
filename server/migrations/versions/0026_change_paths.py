"""Change requests as cases on the onboarding engine (issue 17, audit CH1–CH5, EM1, BK1, N5–N7)

Revision ID: 0026_change_paths
Revises: 0025_inbound_licences

A case has a kind (``onboarding`` for the existing ones, or a change path: own, county, city, emergency,
bulk; server/changes.py); a case's step may have no time limit (bulk maintenance's first two steps: "工作要求的
时限", F3 L417/L420); the customers and new values a change request names (``change_items``); the phone calls
of an emergency's steps and the customer notice of an order-cycle change (``case_notices``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_change_paths"
down_revision = "0025_inbound_licences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("onboarding_cases") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="onboarding"))
    with op.batch_alter_table("onboarding_case_steps") as batch:
        batch.alter_column("hours", existing_type=sa.Float(), nullable=True)
    op.create_table(
        "change_items",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("applied_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["onboarding_cases.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("case_id", "record_id"),
    )
    op.create_index("ix_change_items_record_id", "change_items", ["record_id"], unique=False)
    op.create_table(
        "case_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("party", sa.String(length=100), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["onboarding_cases.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_notices_case_id", "case_notices", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_notices_case_id", table_name="case_notices")
    op.drop_table("case_notices")
    op.drop_index("ix_change_items_record_id", table_name="change_items")
    op.drop_table("change_items")
    # the change cases go with their kind (their steps first); onboarding's cases stay as they were
    op.execute(
        "DELETE FROM onboarding_case_steps"
        " WHERE case_id IN (SELECT id FROM onboarding_cases WHERE kind <> 'onboarding')"
    )
    op.execute("DELETE FROM onboarding_cases WHERE kind <> 'onboarding'")
    with op.batch_alter_table("onboarding_case_steps") as batch:
        batch.alter_column("hours", existing_type=sa.Float(), nullable=False)
    # not through a batch: on SQLite it copies the table, and the steps that refer to the cases refuse its DROP
    op.execute("ALTER TABLE onboarding_cases DROP COLUMN kind")

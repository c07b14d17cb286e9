"""The work calendar's draft stage (issue 20)

Revision ID: 0019_calendar_draft
Revises: 0018_inbound

``calendar_draft_years`` and ``calendar_draft_days``: the years an admin is editing and their holidays and
make-up working days, kept apart from ``calendar_days`` (what clients fetch) until published.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_calendar_draft"
down_revision = "0018_inbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_draft_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "calendar_draft_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("calendar_draft_days")
    op.drop_table("calendar_draft_years")

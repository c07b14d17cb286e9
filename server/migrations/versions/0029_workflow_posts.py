"""The market department's manager and the onboarding steps' phone notices (issue 17; audit BK1, ON1, I4)

Revision ID: 0029_workflow_posts
Revises: 0028_filings

- ``user_places.manager``: the user is their department's manager (at most one a department,
  server/territories.py); the bulk maintenance path's signature belongs to the manager of 市场部
  (owner ``manager:market``, F3 L415–422). Bulk requests still waiting for their signature get that owner.
- ``onboarding_steps.phone`` / ``onboarding_case_steps.phone``: the step records its phone notice (who was
  called, when, the number, the outcome) in ``case_notices``; the seeded city procedure's six hand-overs
  (F3 L379–380 "OA流转…并通过电话通知") get it, unless the deployment changed that step.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_workflow_posts"
down_revision = "0028_filings"
branch_labels = None
depends_on = None

#: the seeded steps (0023_onboarding) whose hand-over the documents say is told by phone, with their owner
PHONE_STEPS = (
    ("forward", "department:monopoly"),
    ("visit", "role:collector"),
    ("apply", "department:county"),
    ("maintain", "department:market"),
    ("locate", "department:delivery"),
    ("quota", "department:sales"),
)


def upgrade() -> None:
    with op.batch_alter_table("user_places", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manager", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("onboarding_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("onboarding_case_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.Boolean(), nullable=False, server_default=sa.false()))
    for code, owner in PHONE_STEPS:
        op.execute(
            sa.text("UPDATE onboarding_steps SET phone = true WHERE code = :c AND owner = :o").bindparams(
                c=code, o=owner
            )
        )
    op.execute(
        "UPDATE onboarding_case_steps SET owner = 'manager:market' WHERE code = 'sign' AND done_at IS NULL "
        "AND owner = 'department:market' AND case_id IN (SELECT id FROM onboarding_cases WHERE kind = 'bulk')"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE onboarding_case_steps SET owner = 'department:market' WHERE code = 'sign' AND owner = 'manager:market'"
    )
    # not through a batch (on SQLite a batch copies the table, and the rows that refer to it refuse its DROP)
    op.execute("ALTER TABLE onboarding_case_steps DROP COLUMN phone")
    op.execute("ALTER TABLE onboarding_steps DROP COLUMN phone")
    op.execute("ALTER TABLE user_places DROP COLUMN manager")

"""Onboarding cases with a clock per step (issue 17, audit ON1–ON4, ON6, N2–N4)

Revision ID: 0023_onboarding
Revises: 0022_service_records

The deployment's step table (``onboarding_steps``), seeded with the city procedure of F3 L379–397: seven
steps across five departments, 0.5/1/0.5/1/0.5/1/0.5 working days (4 or 8 working hours), 5 in all; the
cases and each case's own copy of the steps with their clocks (server/onboarding.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_onboarding"
down_revision = "0022_service_records"
branch_labels = None
depends_on = None

#: (code, name, owner, working hours): F3 L382–397, step by step (docs/domain.md, "Onboarding")
DEFAULT_STEPS = (
    ("forward", "专卖部门转发新办证客户信息", "department:monopoly", 4.0),  # L382–383
    ("visit", "客户经理实地走访、确定访销线路", "role:collector", 8.0),  # L384–385
    ("apply", "营销科审核并报送《客户新入网申请表》", "department:county", 4.0),  # L386–387
    ("maintain", "市场部审核，维护分销系统与CRM", "department:market", 8.0),  # L388–390
    ("locate", "配送部在GIS地图上定位", "department:delivery", 4.0),  # L391–392
    ("quota", "销售部维护限量与访销批次", "department:sales", 8.0),  # L393–395 (garbled: 1 working day)
    ("close", "销售部统一办结", "department:sales", 4.0),  # L396–397
)


def upgrade() -> None:
    steps = op.create_table(
        "onboarding_steps",
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "onboarding_cases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_onboarding_cases_record_id", "onboarding_cases", ["record_id"], unique=False)
    op.create_table(
        "onboarding_case_steps",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("deadline_at", sa.Float(), nullable=True),
        sa.Column("done_at", sa.Float(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["onboarding_cases.id"]),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("case_id", "position"),
    )
    op.create_index("ix_onboarding_case_steps_owner", "onboarding_case_steps", ["owner"], unique=False)
    op.bulk_insert(
        steps,
        [
            {"position": i, "code": c, "name": n, "owner": o, "hours": h}
            for i, (c, n, o, h) in enumerate(DEFAULT_STEPS, start=1)
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_onboarding_case_steps_owner", table_name="onboarding_case_steps")
    op.drop_table("onboarding_case_steps")
    op.drop_index("ix_onboarding_cases_record_id", table_name="onboarding_cases")
    op.drop_table("onboarding_cases")
    op.drop_table("onboarding_steps")

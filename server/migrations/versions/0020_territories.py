"""The territory tree, departments, and where each user stands in them (issues 17 and 20)

Revision ID: 0020_territories
Revises: 0019_calendar_draft

Three new tables. The departments are seeded with this deployment's default, the five departments of
F3 L75 (第三条) and the 信息科 of bulk maintenance (F3 L415–422); an admin renames, adds or removes them.
The codes are what the form catalogue's field owners name (docs/domain.md, "Who owns a field").
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0020_territories"
down_revision = "0019_calendar_draft"
branch_labels = None
depends_on = None

DEFAULT_DEPARTMENTS = (
    ("monopoly", "专卖管理所"),
    ("county", "县区营销部"),
    ("market", "市场部"),
    ("delivery", "配送部"),
    ("sales", "销售部"),
    ("it", "信息科"),
)


def upgrade() -> None:
    op.create_table(
        "territories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["territories.id"]),
        sa.ForeignKeyConstraint(["supervisor_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_territories_parent_id", "territories", ["parent_id"], unique=False)
    departments = op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "user_places",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"]),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index("ix_user_places_territory_id", "user_places", ["territory_id"], unique=False)
    op.create_index("ix_user_places_department_id", "user_places", ["department_id"], unique=False)
    now = time.time()
    op.bulk_insert(departments, [{"code": c, "name": n, "created_at": now} for c, n in DEFAULT_DEPARTMENTS])


def downgrade() -> None:
    op.drop_index("ix_user_places_department_id", table_name="user_places")
    op.drop_index("ix_user_places_territory_id", table_name="user_places")
    op.drop_table("user_places")
    op.drop_table("departments")
    op.drop_index("ix_territories_parent_id", table_name="territories")
    op.drop_table("territories")

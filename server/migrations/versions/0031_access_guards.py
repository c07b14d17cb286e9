"""Access guards (issue 18, audit R7, R13): AB posts, the periodic password change, alerts to admins

Revision ID: 0031_access_guards
Revises: 0030_audit_sealed

``covers`` (B covers A's customers for a set period) and their handover records (``cover_events``);
``users.password_changed_at`` and ``password_history`` (the periodic change, no reuse); ``alerts`` (counters
per kind, subject and window that become alerts at their threshold). Accounts already there count their
password as changed at the upgrade: nobody is made to change it on the first day.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0031_access_guards"
down_revision = "0030_audit_sealed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "covers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("absent_id", sa.Integer(), nullable=False),
        sa.Column("cover_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.Float(), nullable=False),
        sa.Column("ends_at", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("cut_at", sa.Float(), nullable=True),
        sa.Column("cut_by", sa.String(length=64), nullable=True),
        sa.Column("start_recorded", sa.Float(), nullable=True),
        sa.Column("end_recorded", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["absent_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["cover_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_covers_absent_id", "covers", ["absent_id"], unique=False)
    op.create_index("ix_covers_cover_id", "covers", ["cover_id"], unique=False)
    op.create_table(
        "cover_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cover_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=8), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["cover_id"], ["covers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cover_events_cover_id", "cover_events", ["cover_id"], unique=False)
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_password_history_user_id", "password_history", ["user_id"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("raised_at", sa.Float(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "subject", "window_start", name="uq_alerts_kind_subject_window"),
    )
    op.create_index("ix_alerts_raised_at", "alerts", ["raised_at"], unique=False)
    op.add_column("users", sa.Column("password_changed_at", sa.Float(), nullable=True))
    op.execute(sa.text("UPDATE users SET password_changed_at = :now").bindparams(now=time.time()))


def downgrade() -> None:
    # not through a batch (see 0027): the column natively, SQLite 3.35+ and PostgreSQL alike
    op.execute("ALTER TABLE users DROP COLUMN password_changed_at")
    op.drop_index("ix_alerts_raised_at", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_password_history_user_id", table_name="password_history")
    op.drop_table("password_history")
    op.drop_index("ix_cover_events_cover_id", table_name="cover_events")
    op.drop_table("cover_events")
    op.drop_index("ix_covers_cover_id", table_name="covers")
    op.drop_index("ix_covers_absent_id", table_name="covers")
    op.drop_table("covers")

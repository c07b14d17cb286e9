"""Monthly report close to the data: versions indexed by time, visits with their day as a column, report jobs

Revision ID: 0008_report_indexes
Revises: 0007_feed_scope

``customer_versions.at`` gets an index (the category adjustments of one month read a month of
versions, not every version ever written). ``visits.visited_on`` holds the day of the visit (ISO
date, also inside the visit's JSON), indexed, so that a month's visits are selected in SQL; it is
filled here for the visits already stored, in chunks. ``report_jobs`` holds the reports produced in
the background (started, polled and downloaded by the client).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0008_report_indexes"
down_revision = "0007_feed_scope"
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_report_jobs_user_id", ["user_id"], unique=False)
    with op.batch_alter_table("customer_versions", schema=None) as batch_op:
        batch_op.create_index("ix_customer_versions_at", ["at"], unique=False)
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visited_on", sa.String(length=10), nullable=True))
    conn = op.get_bind()
    visits = sa.table(
        "visits", sa.column("id", sa.String), sa.column("data", sa.Text), sa.column("visited_on", sa.String)
    )
    last = ""
    while True:  # keyset over the primary key: memory bounded by one chunk
        rows = conn.execute(
            sa.select(visits.c.id, visits.c.data).where(visits.c.id > last).order_by(visits.c.id).limit(CHUNK)
        ).all()
        if not rows:
            break
        params = []
        for vid, data in rows:
            try:
                day = json.loads(data).get("visited_on")
            except (ValueError, AttributeError):
                day = None
            params.append({"b_id": vid, "day": str(day)[:10] if day else None})
        conn.execute(
            visits.update().where(visits.c.id == sa.bindparam("b_id")).values(visited_on=sa.bindparam("day")), params
        )
        last = rows[-1][0]
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index("ix_visits_visited_on", ["visited_on"], unique=False)


def downgrade() -> None:
    op.drop_table("report_jobs")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_visited_on")
        batch_op.drop_column("visited_on")
    with op.batch_alter_table("customer_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_versions_at")

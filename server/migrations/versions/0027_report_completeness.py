"""A customer's completeness stored with it: the monthly report sums it in SQL (issue 21)

Revision ID: 0027_report_completeness
Revises: 0026_change_paths

``customers`` gets the completeness columns of ``server.completeness`` (the form version and day they
were computed with, the number of empty required values and which ones as two bit masks, complete and
valid, an error a later day may clear) and the binding day, all NULL here: NULL reads as "not computed",
which the report computes in Python. ``server.migrate.upgrade`` fills them for the rows already stored,
1,000 at a time, right after this script (it needs the published form, which frozen DDL must not load).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_report_completeness"
down_revision = "0026_change_paths"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cmp_day", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("cmp_missing", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cmp_mask0", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("cmp_mask1", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("cmp_ok", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("cmp_dated", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("cmp_form", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("binding_on", sa.String(length=10), nullable=True))
        batch_op.create_index("ix_customers_cmp_form", ["cmp_form"], unique=False)


def downgrade() -> None:
    # not through a batch (on SQLite a batch copies the table, and the rows that refer to customers refuse
    # its DROP): the index, then each column, as 0012 does; SQLite 3.35+ and PostgreSQL alike
    op.drop_index("ix_customers_cmp_form", table_name="customers")
    for name in ("binding_on", "cmp_form", "cmp_dated", "cmp_ok", "cmp_mask1", "cmp_mask0", "cmp_missing", "cmp_day"):
        op.execute(f"ALTER TABLE customers DROP COLUMN {name}")

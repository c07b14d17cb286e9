"""Customers keep the provisional code the collector's laptop gave them until an official one is issued

Revision ID: 0012_provisional_code
Revises: 0011_admin_log

A market manager's list names a collector's new customers by the code the collector sees (``TMP-…``):
the client sends it with its saves (``provisional_code``, when the server's ``/info`` lists the feature)
and the server hands it on in the ``Record``. Existing customers have none (nullable).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_provisional_code"
down_revision = "0011_admin_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ALTER TABLE … ADD COLUMN on both databases (a batch would copy the table on SQLite, and
    # dropping the old one fails on the tables that refer to it)
    op.add_column("customers", sa.Column("provisional_code", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE customers DROP COLUMN provisional_code")  # SQLite 3.35+ and PostgreSQL alike

"""The database's epoch: an identity that ``server restore`` replaces, so that clients notice a restore

Revision ID: 0009_epoch
Revises: 0008_report_indexes

``feed_counter.epoch`` (32 hex digits) is sent with ``/info`` and every pull page. A restored database
gets a new one (server/backup.py), and a client that kept another one rebuilds its copy and sends again
what the server lost (docs/sync-protocol.md, "After a server restore"). An existing database gets one here.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0009_epoch"
down_revision = "0008_report_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed_counter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("epoch", sa.String(length=32), nullable=True))
    counter = sa.table("feed_counter", sa.column("id", sa.Integer), sa.column("epoch", sa.String))
    op.get_bind().execute(counter.update().where(counter.c.id == 1).values(epoch=secrets.token_hex(16)))


def downgrade() -> None:
    with op.batch_alter_table("feed_counter", schema=None) as batch_op:
        batch_op.drop_column("epoch")

"""Inbound feeds and the purge of the outbound tables (issue 19)

Revision ID: 0018_inbound
Revises: 0017_signatures

``inbound_messages``: the last version applied per external id of an integration's inbound kind (a replay
changes nothing, an older version is refused); ``licensee_rules``: which owner a new licensee of a region
goes to; ``feed_counter.outbound_horizon``: the newest outbound change purged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_inbound"
down_revision = "0017_signatures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"]),
        sa.PrimaryKeyConstraint("integration_id", "kind", "external_id"),
    )
    op.create_table(
        "licensee_rules",
        sa.Column("region_prefix", sa.String(length=12), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("region_prefix"),
    )
    with op.batch_alter_table("feed_counter") as batch:
        batch.add_column(sa.Column("outbound_horizon", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("feed_counter") as batch:
        batch.drop_column("outbound_horizon")
    op.drop_table("licensee_rules")
    op.drop_table("inbound_messages")

"""The feed's record rows carry their owner, creator and team, indexed with the feed order (a pull reads
the caller's rows, not the whole feed)

Revision ID: 0007_feed_scope
Revises: 0006

Existing record rows are filled in from the customers and the owners' supervisors as they are now, which
is what the pull compared them with until now.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_feed_scope"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE feed SET "
        "owner_id = (SELECT c.owner_id FROM customers c WHERE c.id = feed.record_id), "
        "created_by_id = (SELECT c.created_by_id FROM customers c WHERE c.id = feed.record_id), "
        "team_id = (SELECT u.supervisor_id FROM customers c JOIN users u ON u.id = c.owner_id "
        "WHERE c.id = feed.record_id) "
        "WHERE kind = 'record'"
    )
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.create_index("ix_feed_owner_seq", ["owner_id", "seq"], unique=False)
        batch_op.create_index("ix_feed_created_by_seq", ["created_by_id", "seq"], unique=False)
        batch_op.create_index("ix_feed_team_seq", ["team_id", "seq"], unique=False)
        batch_op.create_index(
            "ix_feed_shared_seq",
            ["seq"],
            unique=False,
            postgresql_where=sa.text("kind <> 'record'"),
            sqlite_where=sa.text("kind <> 'record'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_shared_seq")
        batch_op.drop_index("ix_feed_team_seq")
        batch_op.drop_index("ix_feed_created_by_seq")
        batch_op.drop_index("ix_feed_owner_seq")
        batch_op.drop_column("team_id")
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("owner_id")

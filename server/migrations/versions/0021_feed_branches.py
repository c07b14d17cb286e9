"""Every branch of a pull page has an index it walks in feed order, holding only that branch's rows
(issue 21): the rows addressed to one user, the rows for everyone, the records created by someone
other than their owner

Revision ID: 0021_feed_branches
Revises: 0020_territories

A pull page is a union of branches (server.feed.page_query), each an index walked in feed order and
stopped after a page. ``ix_feed_shared_seq`` (every row that is not a record's) made the page walk
every revoke of the province, addressed to anyone, and read each one's row to test its audience: it
is replaced by ``ix_feed_audience_seq`` (rows addressed to one user) and ``ix_feed_everyone_seq``
(forms and erasures). ``ix_feed_created_by_seq`` held every record, most of them created by their
owner (found by ``ix_feed_owner_seq``): it now holds only the records whose creator is not their
owner. Nothing to fill in: the columns are those of 0007_feed_scope.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_feed_branches"
down_revision = "0020_territories"
branch_labels = None
depends_on = None

EVERYONE = "kind <> 'record' AND audience_id IS NULL"
ADDRESSED = "audience_id IS NOT NULL"
PG_HANDED = "owner_id IS DISTINCT FROM created_by_id"
SQLITE_HANDED = "owner_id IS NOT created_by_id"


def upgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_shared_seq")
        batch_op.drop_index("ix_feed_created_by_seq")
        batch_op.create_index(
            "ix_feed_audience_seq",
            ["audience_id", "seq"],
            unique=False,
            postgresql_where=sa.text(ADDRESSED),
            sqlite_where=sa.text(ADDRESSED),
        )
        batch_op.create_index(
            "ix_feed_everyone_seq",
            ["seq"],
            unique=False,
            postgresql_where=sa.text(EVERYONE),
            sqlite_where=sa.text(EVERYONE),
        )
        batch_op.create_index(
            "ix_feed_created_by_seq",
            ["created_by_id", "seq"],
            unique=False,
            postgresql_where=sa.text(PG_HANDED),
            sqlite_where=sa.text(SQLITE_HANDED),
        )


def downgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_created_by_seq")
        batch_op.drop_index("ix_feed_everyone_seq")
        batch_op.drop_index("ix_feed_audience_seq")
        batch_op.create_index("ix_feed_created_by_seq", ["created_by_id", "seq"], unique=False)
        batch_op.create_index(
            "ix_feed_shared_seq",
            ["seq"],
            unique=False,
            postgresql_where=sa.text("kind <> 'record'"),
            sqlite_where=sa.text("kind <> 'record'"),
        )

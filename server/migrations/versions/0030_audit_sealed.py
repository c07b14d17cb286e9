"""The audit copy's sealed values: a destroyed record's values are redacted and the chain still verifies (issue 18)

Revision ID: 0030_audit_sealed
Revises: 0029_workflow_posts

``audit_entries`` gets ``salt`` and ``vd`` (app.models.audit_chain, chain version 2): an entry's hash covers
``vd``, the digest of a random salt and its old and new values, so the values and the salt can be removed
when the record is destroyed (server.lifecycle) and the entry still checks. Entries uploaded before have
NULL in both and keep the hash over their values: old chains verify as they did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030_audit_sealed"
down_revision = "0029_workflow_posts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("vd", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # each column natively (no batch: see 0027); SQLite 3.35+ and PostgreSQL alike
    for name in ("vd", "salt"):
        op.execute(f"ALTER TABLE audit_entries DROP COLUMN {name}")

"""The customer's signatures (客户签名确认, F3 L320)

Revision ID: 0017_signatures
Revises: 0016_lifecycle

Each signature (``signature.add``) confirms the values of the signed fields (app.validation.consent) at a
version of the customer, with the PNG's hash and the verifier.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_signatures"
down_revision = "0016_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signatures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("signed_on", sa.String(length=10), nullable=False),
        sa.Column("image", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column("verified_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["verified_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signatures_record_id", "signatures", ["record_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_signatures_record_id", table_name="signatures")
    op.drop_table("signatures")

"""Inbound licences (issue 19): a customer's licence number as a column, and an onboarding case's licence
times

Revision ID: 0025_inbound_licences
Revises: 0024_incidents

- ``customers.licence_no`` (indexed) repeats the 许可证号 of the customer's values: a licensee from the
  licence system whose number matches a customer keyed by hand is linked to it (server/inbound.py), found by
  this index rather than by reading every customer's values. Filled here from each customer's values.
  ``inbound_messages.record_id`` is indexed: whether that customer is linked already is one lookup.
- ``onboarding_cases.issued_at`` / ``received_at`` / ``late_feed``: when the licence was issued and when the
  licence system's message arrived; ``late_feed`` is true when it arrived more than half a working day after
  the issue (专卖 forwards within 0.5 working day, F3 L382–383). Empty for the cases opened before.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0025_inbound_licences"
down_revision = "0024_incidents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("licence_no", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_customers_licence_no", ["licence_no"], unique=False)
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_messages_record_id", ["record_id"], unique=False)
    with op.batch_alter_table("onboarding_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issued_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("received_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("late_feed", sa.Boolean(), nullable=False, server_default=sa.false()))
    conn = op.get_bind()
    last = ""
    while True:  # a page of customers at a time: a province's archive is not read into memory at once
        q = sa.text("SELECT id, data FROM customers WHERE id > :last ORDER BY id LIMIT 1000")
        rows = conn.execute(q, {"last": last}).all()
        if not rows:
            break
        fill = []
        for rid, data in rows:
            number = json.loads(data).get("licence_no")
            if isinstance(number, str) and number:
                fill.append({"n": number[:40], "i": rid})
        if fill:
            conn.execute(sa.text("UPDATE customers SET licence_no = :n WHERE id = :i"), fill)
        last = rows[-1][0]


def downgrade() -> None:
    # not through batches (on SQLite a batch copies the table, and the rows that refer to customers or to
    # the cases refuse its DROP): indexes, then each column, as 0012 does; SQLite 3.35+ and PostgreSQL alike
    for name in ("late_feed", "received_at", "issued_at"):
        op.execute(f"ALTER TABLE onboarding_cases DROP COLUMN {name}")
    op.drop_index("ix_inbound_messages_record_id", table_name="inbound_messages")
    op.drop_index("ix_customers_licence_no", table_name="customers")
    op.execute("ALTER TABLE customers DROP COLUMN licence_no")

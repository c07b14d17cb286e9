"""The shop name as a column of the customer, and the checks indexed for the monthly report (issue 21)

Revision ID: 0032_report_shop_name
Revises: 0031_access_guards

The monthly report's overdue rows name each customer's shop: it was read out of each row's JSON
(``data``, the whole archive) by the database, the bulk of the overdue queries' time. ``customers.shop_name``
holds it as text (``server.completeness``: kept with the stored completeness by every writer of a
customer row; NULL when the value is absent or not text, where the report reads the JSON as before),
filled here for the rows already stored, by the database. ``customer_checks`` gets an index on
(record id, kind, day): the quarterly and half-yearly overdue queries ask "no check of this kind since
that day" per customer and are answered from it alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032_report_shop_name"
down_revision = "0031_access_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("shop_name", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE customers SET shop_name = data::json->>'shop_name' "
            "WHERE json_typeof(data::json->'shop_name') = 'string'"
        )
    else:
        op.execute(
            "UPDATE customers SET shop_name = json_extract(data, '$.shop_name') "
            "WHERE json_valid(data) AND json_type(data, '$.shop_name') = 'text'"
        )
    op.create_index("ix_customer_checks_record_kind_day", "customer_checks", ["record_id", "kind", "day"])


def downgrade() -> None:
    op.drop_index("ix_customer_checks_record_kind_day", table_name="customer_checks")
    op.execute("ALTER TABLE customers DROP COLUMN shop_name")

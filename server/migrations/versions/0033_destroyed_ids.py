"""Every id a destruction removed, by key (issue 21)

Revision ID: 0033_destroyed_ids
Revises: 0032_report_shop_name

``destroyed_ids`` holds the id of each destroyed record and of its visits, entries, complaints, signatures
and service records (``destructions.removed["entries"]``), with the destruction that removed it. An audit
upload looked through every destruction's JSON to know whether the entries it received are about a
destroyed record, and ``audit verify`` held all of their ids: both now look up the ids they meet. Filled
here from the destructions already recorded, a page at a time.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0033_destroyed_ids"
down_revision = "0032_report_shop_name"
branch_labels = None
depends_on = None

PAGE = 500


def upgrade() -> None:
    op.create_table(
        "destroyed_ids",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("destruction_id", sa.Integer(), sa.ForeignKey("destructions.id"), nullable=False),
    )
    conn = op.get_bind()
    table = sa.table("destroyed_ids", sa.column("id", sa.String), sa.column("destruction_id", sa.Integer))
    d = sa.table("destructions", sa.column("id", sa.Integer), sa.column("record_id"), sa.column("removed"))
    after, seen = 0, set()
    while True:
        rows = conn.execute(
            sa.select(d.c.id, d.c.record_id, d.c.removed).where(d.c.id > after).order_by(d.c.id).limit(PAGE)
        ).all()
        if not rows:
            break
        out = []
        for r in rows:
            try:
                entries = json.loads(r.removed).get("entries") or []
            except (ValueError, AttributeError):
                entries = []
            for rid in [r.record_id, *entries]:
                if isinstance(rid, str) and rid not in seen:  # an id named by two destructions keeps the first
                    seen.add(rid)
                    out.append({"id": rid, "destruction_id": r.id})
        if out:
            conn.execute(table.insert(), out)
        after = rows[-1].id


def downgrade() -> None:
    op.drop_table("destroyed_ids")

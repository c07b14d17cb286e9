"""The monthly filings due by the 3rd (issue 17, audit RP1–RP5, N8)

Revision ID: 0028_filings
Revises: 0027_report_completeness

The deployment's filing kinds (``filing_kinds``), seeded with the five filings of F3 L284 and L288–293
(备案备查报送制度), each due on the 3rd of the month after the month it reports, and the filings made
(``filings``: one per kind, month and owner; server/filings.py).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0028_filings"
down_revision = "0027_report_completeness"
branch_labels = None
depends_on = None

#: (code, name, owner, due day, shift, content): F3 L284, L288–293 (docs/domain.md, "Monthly filings").
#: 内管联系人 (the internal-management contact) is read as a person of the county's 营销部 (department
#: ``county``); the documents name no shift of a 3rd that is not a working day.
DEFAULT_KINDS = (
    ("category_adjustment", "县(市、区)零售客户类别调整情况表", "department:county", 3, False, "report"),  # L284, L290
    ("special_use", "县级卷烟营销部特殊用烟统计备案表", "department:county", 3, False, "special_use"),  # L288–289
    ("supervisor_orders", "卷烟营销部市场经理订单采集汇总表", "role:supervisor", 3, False, "orders_supervisor"),  # L291
    ("collector_orders", "卷烟营销部客户经理订单采集汇总表", "role:collector", 3, False, "orders_collector"),  # L292
    ("self_inspection", "自查方案、自查报告、自查整改报告", "department:county", 3, False, "documents"),  # L293–294
)
#: The yearly ones (filed once for the year just ended, as its December; due in January): the full check of
#: the archive every year (F3 L230 "每年必须对全室档案进行一项全面检查", L233 "每年结束后开展一次归档复查"), by
#: the archive's keeper, read as the deployment's admins; the documents give no day: the end of January.
YEARLY_KINDS = (("annual_check", "档案年度全面检查与归档复查", "role:admin", 31, False, "report"),)


def upgrade() -> None:
    kinds = op.create_table(
        "filing_kinds",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("shift", sa.Boolean(), nullable=False),
        sa.Column("content", sa.String(length=32), nullable=False),
        sa.Column("every", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "filings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("filed_at", sa.Float(), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["filed_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["kind"], ["filing_kinds.code"]),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "month", "owner_id", name="uq_filings_kind_month_owner"),
    )
    op.create_index("ix_filings_owner_id", "filings", ["owner_id"], unique=False)
    op.create_table(
        "maintenance_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("collector_id", sa.Integer(), nullable=False),
        sa.Column("checker_id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.String(length=10), nullable=False),
        sa.Column("timeliness", sa.String(length=16), nullable=True),
        sa.Column("objectivity", sa.String(length=16), nullable=True),
        sa.Column("accuracy", sa.String(length=16), nullable=True),
        sa.Column("sample", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("findings", sa.String(length=4000), nullable=False),
        sa.Column("recorded_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["checker_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["collector_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maintenance_checks_collector_id", "maintenance_checks", ["collector_id"], unique=False)
    # 客服部 (F3 L147: it spot-audits and scores the maintenance): a department of its own, unless there is one
    dept = sa.table(
        "departments", sa.column("code", sa.String), sa.column("name", sa.String), sa.column("created_at", sa.Float)
    )
    conn = op.get_bind()
    if conn.execute(sa.select(dept.c.code).where(dept.c.code == "service")).first() is None:
        op.bulk_insert(dept, [{"code": "service", "name": "客服部", "created_at": time.time()}])
    op.bulk_insert(
        kinds,
        [
            {"code": c, "position": i, "name": n, "owner": o, "due_day": d, "shift": s, "content": k, "every": e}
            for i, ((c, n, o, d, s, k), e) in enumerate(
                [(x, 1) for x in DEFAULT_KINDS] + [(x, 12) for x in YEARLY_KINDS], start=1
            )
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_maintenance_checks_collector_id", table_name="maintenance_checks")
    op.drop_table("maintenance_checks")
    op.drop_index("ix_filings_owner_id", table_name="filings")
    op.drop_table("filings")
    op.drop_table("filing_kinds")

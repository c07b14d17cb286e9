"""Photos bound to their uploaders; device ids bound to one account; signed audit acknowledgements

Revision ID: 0006
Revises: 0004

Partial uploads are dropped (their table gets the uploader in its key): clients ask for the offset
and start those photos again. A device id registered to several accounts (the attack this closes)
stays with the account that registered it first; the others' rows are renamed ``<id>~dup<pk>``
and revoked, so those sessions sign in again and the login is refused for that id.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    devices = sa.table(
        "devices", sa.column("id", sa.Integer), sa.column("device_id", sa.String), sa.column("revoked_at", sa.Float)
    )
    first = sa.select(sa.func.min(devices.c.id)).group_by(devices.c.device_id)
    dups = conn.execute(sa.select(devices.c.id, devices.c.device_id).where(devices.c.id.not_in(first))).all()
    now = time.time()
    for pk, device_id in dups:
        for table in ("access_tokens", "refresh_tokens"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE device_pk = :pk"), {"pk": pk})
        conn.execute(
            devices.update().where(devices.c.id == pk).values(device_id=f"{device_id[:100]}~dup{pk}", revoked_at=now)
        )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor", sa.String(length=200), nullable=True))
        batch_op.create_index("ux_devices_device_id", ["device_id"], unique=True)

    op.drop_table("upload_chunks")
    op.create_table(
        "upload_chunks",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("sha256", "user_id", "start"),
    )
    with op.batch_alter_table("upload_chunks", schema=None) as batch_op:
        batch_op.create_index("ix_upload_chunks_at", ["at"], unique=False)

    op.create_table(
        "photo_uploads",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("sha256", "user_id"),
    )
    op.execute("INSERT INTO photo_uploads (sha256, user_id, at) SELECT sha256, uploaded_by_id, created_at FROM photos")

    op.create_table(
        "audit_acks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("prev_sig", sa.String(length=64), nullable=False),
        sa.Column("sig", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device", "n", name="uq_audit_acks_device_n"),
    )


def downgrade() -> None:
    op.drop_table("audit_acks")
    op.drop_table("photo_uploads")
    op.drop_table("upload_chunks")
    op.create_table(
        "upload_chunks",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("sha256", "start"),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index("ux_devices_device_id")
        batch_op.drop_column("actor")

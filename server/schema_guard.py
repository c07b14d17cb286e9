"""Tables of the access guards (issue 18, audit R7, R13, S2): AB posts (AB岗: B covers A's customers for a set
period, with a handover record at its start and its end), the passwords an account used before (a periodic
change may not reuse one) and the alerts to admins (repeated failed logins, refused tokens, unusual export
volumes). On the same ``metadata`` as server/schema.py's tables (imported with ``server.db`` and by the
migrations' env, like schema_admin). Migration ``0031_access_guards``."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from server.schema import metadata

# An AB post: ``cover_id`` (B) keeps ``absent_id``'s (A) customers from ``starts_at`` to ``ends_at`` (server/
# covers.py; scope.py reads it by time, so it ends by itself). ``start_recorded``/``end_recorded``: when the
# handover record of that edge was written (and A's customers sent to B, or taken back), at the first request
# after the edge.
covers = Table(
    "covers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("absent_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("cover_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("cut_at", Float, nullable=True),  # ended before its time (ends_at moved to this)
    Column("cut_by", String(64), nullable=True),
    Column("start_recorded", Float, nullable=True),
    Column("end_recorded", Float, nullable=True),
)
# The handover record (交接记录) of a cover: at its start and at its end, what was open (A's customers not
# approved, with their state), who handed over to whom, when.
cover_events = Table(
    "cover_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cover_id", Integer, ForeignKey("covers.id"), nullable=False, index=True),
    Column("event", String(8), nullable=False),  # start | end
    Column("at", Float, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("detail", Text, nullable=False),  # JSON: {"open": [{id, code, shop, status}], "from", "to"}
)
# The password hashes an account had before (newest kept: accounts.HISTORY); a new one may match none of them.
password_history = Table(
    "password_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("password_hash", String(200), nullable=False),
    Column("changed_at", Float, nullable=False),
)
# A counter per kind, subject (an account, an address) and window; once ``count`` reaches the kind's
# threshold it is an alert (``raised_at``) the admins list and acknowledge (server/alerts.py).
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("window_start", Float, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_at", Float, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("raised_at", Float, nullable=True),
    Column("acknowledged_by", String(64), nullable=True),
    Column("acknowledged_at", Float, nullable=True),
    UniqueConstraint("kind", "subject", "window_start", name="uq_alerts_kind_subject_window"),
)
Index("ix_alerts_raised_at", alerts.c.raised_at)

"""The server's tables as SQLAlchemy Core (no ORM: pushes write in bulk with executemany).

Times are UTC epoch seconds (floats) so that expiry checks compare numbers on both SQLite and
PostgreSQL. Record values are canonical JSON text (``app.models.wire.canonical_json``), written and
read as a whole; the columns beside them exist only for filtering (scope, status, codes).
The Alembic migrations in ``server/migrations`` create exactly these tables (a test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("supervisor_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("password_changed_at", Float, nullable=True),  # the periodic change (server/accounts.py, 0031)
)

devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("device_name", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_login_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    # the archive's own user name in its audit trail, pinned at the device's first upload (server/audit.py)
    Column("actor", String(200), nullable=True),
    UniqueConstraint("user_id", "device_id", name="uq_devices_user_device"),
    # a device id belongs to one account: a login naming another account's device id is refused
    Index("ux_devices_device_id", "device_id", unique=True),
)

# Every refresh token ever issued, hashed: a token presented a second time is a reuse (theft).
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("device_pk", Integer, ForeignKey("devices.id"), nullable=False, index=True),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("device_pk", Integer, ForeignKey("devices.id"), nullable=False, index=True),
    Column("expires_at", Float, nullable=False),
)

# Login throttling (server.auth): one row per budget of attempts, keyed by a hash of what it limits (a
# user name from unknown places, a user name on one of the user's own devices or addresses, or one client
# address across all names). ``attempts`` counts the attempts reserved (each before its password is
# verified) minus the successes among them; ``next_at`` is the earliest time of the next attempt.
login_budgets = Table(
    "login_budgets",
    metadata,
    Column("key", String(66), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),  # forgotten after this time (purged)
)

# Where each user last logged in successfully from: an address listed here gets its own login budget.
login_sources = Table(
    "login_sources",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("last_at", Float, nullable=False, index=True),
)

customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("code", String(32), nullable=True, unique=True),
    Column("code_official", Boolean, nullable=False, default=False),
    Column("form_version", Integer, nullable=False),
    Column("data", Text, nullable=False),  # canonical JSON of the values
    Column("approved_data", Text, nullable=True),  # values as last approved, while a change is open
    Column(
        "field_versions", Text, nullable=False
    ),  # {field: version that last changed it}, fields of version 1 left out
    Column("review", Text, nullable=True),  # the last decision, JSON
    Column("missing_photos", Text, nullable=False),  # JSON list of sha256
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_by_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("provisional_code", String(40), nullable=True),  # the collector's TMP-… code until approval
    Column("closure", Text, nullable=True),  # JSON: the last close or reopen (销户), server.lifecycle
    Column("closed_at", Float, nullable=True, index=True),  # set while closed: its retention runs from here
    Column("licence_no", String(40), nullable=True, index=True),  # 许可证号 of ``data``: the licence system's lookups
    # the completeness as written (server.completeness: the monthly report sums it in SQL), NULL: not computed
    *(Column(n, t, nullable=True) for n, t in (("cmp_day", String(10)), ("cmp_missing", Integer))),
    *(Column(n, BigInteger, nullable=True) for n in ("cmp_mask0", "cmp_mask1")),
    *(Column(n, Boolean, nullable=True) for n in ("cmp_ok", "cmp_dated")),
    Column("cmp_form", Integer, nullable=True, index=True),
    # the binding day (绑定日期, ISO); the shop name of ``data`` when it is text (the report's rows, 0032)
    *(Column(n, t, nullable=True) for n, t in (("binding_on", String(10)), ("shop_name", Text))),
)

customer_versions = Table(
    "customer_versions",
    metadata,
    Column("record_id", String(36), ForeignKey("customers.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("prev_version", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("changes", Text, nullable=False),  # JSON {field: {"old", "new"}} or the decision
    Column("status", String(16), nullable=False),
    Column("actor_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("mutation_id", String(64), nullable=True),
    Column("provenance", Text, nullable=True),
    Column("at", Float, nullable=False),
    Index("ix_customer_versions_at", "at"),  # the monthly report's category adjustments read by time
)

review_decisions = Table(
    "review_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Column("by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("at", Float, nullable=False),
)

visits = Table(
    "visits",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("data", Text, nullable=False),
    Column("created_by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", Float, nullable=False),
    # the day of the visit (ISO date, in China), also inside ``data``: the monthly report selects by it
    Column("visited_on", String(10), nullable=True),
    Index("ix_visits_visited_on", "visited_on"),
)

customer_checks = Table(
    "customer_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # quarterly | static (§3.5)
    Column("day", String(10), nullable=False),  # ISO date of the check, in China
    Column("by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_customer_checks_record_kind_day", "record_id", "kind", "day"),  # the report's overdue checks
)

# The integrity archive (诚信档案, F3 L167): one row per entry, never edited (a correction is a new entry).
integrity_entries = Table(
    "integrity_entries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # app.validation.integrity.KINDS
    Column("source", String(16), nullable=False),  # app.validation.integrity.SOURCES
    Column("occurred_on", String(10), nullable=False),  # ISO date of the event, in China
    Column("text", Text, nullable=False),
    Column("handling", Text, nullable=False),  # how it was handled ("" when not said)
    Column("photos", Text, nullable=False),  # JSON list of photo hashes (attachments)
    Column("recorded_by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_integrity_entries_occurred_on", "occurred_on"),
)

# The customer's signatures (客户签名确认, F3 L320): the signed values, their digest, the PNG's hash, the verifier.
signatures = Table(
    "signatures",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("signed_on", String(10), nullable=False),
    Column("image", String(64), nullable=False),  # SHA-256 of the PNG (a photo)
    Column("fields", Text, nullable=False),  # JSON: the signed fields' values (app.validation.consent)
    Column("digest", String(64), nullable=False),
    Column("record_version", Integer, nullable=False),  # the customer's version it was signed against
    Column("verified_by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", Float, nullable=False),
)

# Service records (客户服务记录: visit plans, care dates, surveys; app.validation.service); a step bumps the revision.
service_records = Table(
    "service_records",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("on_date", String(10), nullable=False),
    Column("body", Text, nullable=False),  # JSON: the kind's values
    Column("status", String(16), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("recorded_by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_service_records_due", "kind", "status", "on_date"),
)

# Complaints (投诉): the complainant is kept here, apart from the outlet's values; each step is in complaint_steps.
complaints = Table(
    "complaints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("received_on", String(10), nullable=False),
    Column("content", Text, nullable=False),
    Column("complainant_name", String(64), nullable=False),
    Column("complainant_phone", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # app.validation.integrity.STATUSES
    Column("assignee_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("deadline", String(10), nullable=False),  # the answer is due by this day (inclusive)
    Column("handling", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("response", Text, nullable=False),
    Column("closed_on", String(10), nullable=True),
    Column("revision", Integer, nullable=False),  # one more per step: a step names the revision it follows
    Column("created_by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_complaints_received_on", "received_on"),
)

complaint_steps = Table(
    "complaint_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("complaint_id", String(36), ForeignKey("complaints.id"), nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("action", String(16), nullable=False),  # open | assign | handle | answer | close
    Column("data", Text, nullable=False),  # JSON: what the step set
    Column("by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("at", Float, nullable=False),
)

mutations = Table(
    "mutations",
    metadata,
    Column("mutation_id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("result", Text, nullable=False),
    Column("at", Float, nullable=False),
)

# The change feed (server/feed.py). A record row carries who may see the record as of that row (its owner,
# its creator and the owner's supervisor: the scope of server.scope.visible_clause), so that a pull reads
# the caller's rows by index in feed order instead of every row of the feed. Every change of those (a
# save, an assignment, a team change) writes a new row for the record, which supersedes the older one.
feed = Table(
    "feed",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("record_id", String(36), nullable=True),
    Column("audience_id", Integer, nullable=True),  # NULL: whoever may see the record now
    Column("form_version", Integer, nullable=True),
    Column("owner_id", Integer, nullable=True),  # record rows: customers.owner_id
    Column("created_by_id", Integer, nullable=True),  # record rows: customers.created_by_id
    Column("team_id", Integer, nullable=True),  # record rows: the owner's users.supervisor_id
    Index("ix_feed_record", "record_id", "kind", "audience_id"),
    Index("ix_feed_owner_seq", "owner_id", "seq"),
    Index(  # records created by someone other than their owner (the others are found by their owner)
        "ix_feed_created_by_seq",
        "created_by_id",
        "seq",
        postgresql_where=text("owner_id IS DISTINCT FROM created_by_id"),
        sqlite_where=text("owner_id IS NOT created_by_id"),
    ),
    Index("ix_feed_team_seq", "team_id", "seq"),
    # revokes (addressed to one user) and forms and erasures (to everyone), each walked in feed order
    Index(
        "ix_feed_audience_seq",
        "audience_id",
        "seq",
        postgresql_where=text("audience_id IS NOT NULL"),
        sqlite_where=text("audience_id IS NOT NULL"),
    ),
    Index(
        "ix_feed_everyone_seq",
        "seq",
        postgresql_where=text("kind <> 'record' AND audience_id IS NULL"),
        sqlite_where=text("kind <> 'record' AND audience_id IS NULL"),
    ),
)

# One row (id = 1): the last feed number handed out, the tombstone horizon, and the database's epoch
# (random; ``server restore`` gives the restored database a new one: clients notice it and recover).
feed_counter = Table(
    "feed_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("horizon", BigInteger, nullable=False),
    Column("epoch", String(32), nullable=True),
    # the newest outbound change purged (server/outbound_purge.py): an integration's cursor below it is 410
    Column("outbound_horizon", BigInteger, nullable=False, server_default="0"),
)

photos = Table(
    "photos",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("uploaded_by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", Float, nullable=False),
)

# A partial upload belongs to its uploader: two users sending the same photo each have their own.
upload_chunks = Table(
    "upload_chunks",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True, autoincrement=False),
    Column("start", BigInteger, primary_key=True, autoincrement=False),
    Column("total", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_upload_chunks_at", "at"),
)

# Who sent a photo's bytes (and so may read it and reference it): the first uploader and everyone
# who uploaded the same bytes again (which proves they hold the photo; the bytes are kept once).
photo_uploads = Table(
    "photo_uploads",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True, autoincrement=False),
    Column("at", Float, nullable=False),
)

photo_refs = Table(
    "photo_refs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("record_id", String(36), ForeignKey("customers.id"), primary_key=True),
)

forms = Table(
    "forms",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("form_id", String(64), nullable=False),
    Column("definition", Text, nullable=False),
    Column("published_at", Float, nullable=False),
    Column("published_by", String(64), nullable=False),
)

code_sequences = Table(
    "code_sequences",
    metadata,
    Column("region", String(6), primary_key=True),
    Column("next", Integer, nullable=False),
)

# Purchase figures per customer and period, imported from spreadsheets (classification, §3.10).
# ``period`` is a month (2026-07) or a quarter (2026-Q3); amounts are whole fen (分), exact.
purchases = Table(
    "purchases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(8), nullable=False),
    Column("customer_code", String(32), nullable=False),
    Column("record_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("qty", BigInteger, nullable=False),  # cartons (条)
    Column("amount_fen", BigInteger, nullable=False),  # yuan x 100
    Column("source", String(200), nullable=False),  # file name and row
    Column("imported_by", String(64), nullable=False),
    Column("imported_at", Float, nullable=False),
    UniqueConstraint("period", "customer_code", name="uq_purchases_period_code"),
)

# Integrity (credit) grading procedures (§3.11): rating, public notice, appeal, final decision.
credit_ratings = Table(
    "credit_ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("grade", String(1), nullable=False),  # the initial rating (初评)
    Column("rated_on", Date, nullable=False),
    Column("notice_start", Date, nullable=False),
    Column("notice_end", Date, nullable=False),  # last working day of the notice
    Column("notice_workdays", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # notice | appealed | decided
    Column("appeal_on", Date, nullable=True),
    Column("appeal_text", Text, nullable=True),
    Column("decided_on", Date, nullable=True),
    Column("final_grade", String(1), nullable=True),
    Column("decision_note", Text, nullable=True),
    Column("rated_by", String(64), nullable=False),
    Column("decided_by", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    # what the rating was based on (F3 L175): the integrity entries of the year before it, as JSON
    Column("basis", Text, nullable=True),
)

# The clients' audit trails (hash-chained, app.models.audit_chain), uploaded at sync: a copy the
# laptop cannot change afterwards. An entry is identified by its device and hash (the hash covers
# its position and the one before it). Two entries at one position of one device are a fork (an
# archive restored from a backup and used again, or a trail rewritten): both are kept and marked.
audit_entries = Table(
    "audit_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device", String(128), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("field", String(200), nullable=True),
    Column("old", Text, nullable=True),
    Column("new", Text, nullable=True),
    Column("source", String(16), nullable=False),
    Column("source_ref", String(4000), nullable=False),
    Column("info_date", String(32), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # 0029, chain version 2: the hash covers ``vd``; redacted: no values nor salt (NULL both: version 1)
    Column("salt", String(32), nullable=True),
    Column("vd", String(64), nullable=True),
    Column("forked", Boolean, nullable=False),
    Column("uploaded_by_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("received_at", Float, nullable=False),
    UniqueConstraint("device", "hash", name="uq_audit_entries_device_hash"),
    Index("ix_audit_entries_device_seq", "device", "seq"),
    Index("ix_audit_entries_entity_at", "entity", "at"),
    Index("ix_audit_entries_entity_id", "entity_id", "entity"),  # who looked at a customer (server/access.py)
)

# Export requests (查阅/借阅申请, server/access.py): an export of personal fields beyond the
# applicant's team, or of ID and bank numbers unmasked, needs one approved by someone else.
export_requests = Table(
    "export_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("applicant_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("target", String(400), nullable=False),
    Column("purpose", String(400), nullable=False),
    Column("reason", Text, nullable=False),
    Column("unmasked", Boolean, nullable=False),
    Column("state", String(8), nullable=False),  # pending | approved | refused
    Column("decided_by_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("decided_at", Float, nullable=True),
    Column("valid_until", Float, nullable=True),
    Column("note", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_export_requests_applicant", "applicant_id", "created_at"),
)

# What the server acknowledged of each device's trail: append-only, one row per upload that stored
# entries, each signed (HMAC-SHA256, a key kept outside the database) over the device, its number,
# the head position and hash, the owner, and the previous acknowledgement's signature (a chain per
# device). ``audit verify`` checks the entries against these heads (server/audit.py).
audit_acks = Table(
    "audit_acks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device", String(128), nullable=False),
    Column("n", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("at", Float, nullable=False),
    Column("prev_sig", String(64), nullable=False),
    Column("sig", String(64), nullable=False),
    UniqueConstraint("device", "n", name="uq_audit_acks_device_n"),
)

# Monthly reports produced in the background (server/report_jobs.py): the caller starts one, polls its
# progress and downloads the result (gzip of the report's JSON), each from any server process.
report_jobs = Table(
    "report_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("month", String(7), nullable=False),
    Column("state", String(8), nullable=False),  # running | done | failed
    Column("done", Integer, nullable=False),  # customers gone through so far
    Column("total", Integer, nullable=False),  # customers the report goes through
    Column("result", LargeBinary, nullable=True),  # gzip of the report's JSON, once done
    Column("error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),  # the worker's heartbeat while running
)

# Administration (server/administration.py): one row per administrative call, from the admin HTTP API or
# the command line: who, through what, what, on what, when and how it ended. Never a password or a code.
admin_log = Table(
    "admin_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("actor", String(64), nullable=False),  # the admin's user name, or the system user of the command line
    Column("via", String(8), nullable=False),  # api | cli
    Column("action", String(40), nullable=False, index=True),  # users.add, devices.revoke, classify.run …
    Column("target", String(200), nullable=False),  # the user, device, customer, period … ('' for none)
    Column("outcome", String(8), nullable=False),  # ok | refused | failed
    Column("detail", Text, nullable=False),  # JSON: the parameters and the result (counts, the message)
)

# One-time codes that set a new password (issued by an admin, redeemed by the user at /auth/reset):
# only the code's SHA-256 is kept; it expires, works once, and dies after a few wrong tries.
password_resets = Table(
    "password_resets",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Records destroyed at the end of their retention (server.lifecycle.destroy): what was destroyed, when,
# on whose approval and why, never a personal value (the customer's id is a random UUID).
destructions = Table(
    "destructions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(36), nullable=False, index=True),
    Column("record_class", String(16), nullable=False),  # closed | deleted (the retention class)
    Column("since", Float, nullable=False),  # when the record was closed or deleted
    Column("retention_days", Integer, nullable=False),  # the period in force when it was destroyed
    Column("approved_by", String(64), nullable=False),  # the admin who approved the destruction
    Column("reason", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("removed", Text, nullable=False),  # JSON: how many rows of each kind were removed
)

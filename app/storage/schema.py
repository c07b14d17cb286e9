"""SQLAlchemy Core tables of the archive (they never leave app.storage).

The DDL that creates and upgrades them lives in migrations.py, frozen per schema
version; a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, LargeBinary, MetaData, Table, Text

metadata = MetaData()

meta = Table("meta", metadata, Column("key", Text, primary_key=True), Column("value", Text, nullable=False))

customer = Table(
    "customer",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("code", Text),
    Column("code_official", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("form_id", Text, nullable=False),
    Column("form_version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("completeness", Float, nullable=False),
    Column("missing_count", Integer, nullable=False),
    Column("error_count", Integer, nullable=False),
    Column("warning_count", Integer, nullable=False),
    Column("shop_name", Text),
    Column("contact_name", Text),
    Column("phone", Text),
    Column("address", Text),
    Column("licence_no", Text),
    Column("uscc", Text),
    Column("id_card", Text),
    Column("binding_date", Text),
    Column("last_visit", Text),
    Column("created_at", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("deleted_at", Text),
    Column("last_quarterly_check", Text),
    Column("last_static_review", Text),
    Column("server_data", Text),
    Column("approved_data", Text),
    Column("review", Text),
    Column("owner", Text),
    Column("sync_state", Text, nullable=False),
    Column("sync_errors", Text),
    Column("closure", Text),  # the server's last close or reopen of the outlet (销户), JSON
    Column("closed", Integer, nullable=False),  # 1 while closed: out of the working lists, read-only
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("mutation_id", Text, nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("record_id", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("body", Text),
    Column("extra", Text),
    Column("created_at", Text, nullable=False),
    Column("sent_at", Text),
    Column("attempts", Integer, nullable=False),
)

conflict = Table(
    "conflict",
    metadata,
    Column("record_id", Text, primary_key=True),
    Column("mutation_id", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Column("server_record", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

autosave = Table(
    "autosave",
    metadata,
    Column("key", Text, primary_key=True),
    Column("customer_id", Text),
    Column("state", Text, nullable=False),
    Column("saved_at", Text, nullable=False),
)

visit = Table(
    "visit",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("customer_id", Text, nullable=False),
    Column("visited_on", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("sales_anomaly", Text, nullable=False),
    Column("photos", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("deleted_at", Text),
    Column("orders", Integer),  # v6: order collection (None: no order collected)
    Column("order_quantity", Integer),
    Column("order_amount", Text),
)

integrity_entry = Table(
    "integrity_entry",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("customer_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("occurred_on", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("handling", Text, nullable=False),
    Column("photos", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("error", Text, nullable=False),
)

signature = Table(
    "signature",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("customer_id", Text, nullable=False),
    Column("signed_on", Text, nullable=False),
    Column("image", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Column("digest", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("verified_by", Text, nullable=False),
    Column("recorded_at", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("error", Text, nullable=False),
)

service_record = Table(
    "service_record",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("customer_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("on_date", Text, nullable=False),
    Column("body", Text, nullable=False),  # JSON: the kind's values (app.validation.service)
    Column("status", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("server", Text),  # the record as the server last had it (JSON): a refused step goes back to it
)

complaint = Table(
    "complaint",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("customer_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("received_on", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("complainant_name", Text, nullable=False),
    Column("complainant_phone", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("assignee", Text, nullable=False),
    Column("deadline", Text, nullable=False),
    Column("handling", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("response", Text, nullable=False),
    Column("closed_on", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("server", Text),  # the complaint as the server last had it (JSON): a refused step goes back to it
)

photo = Table(
    "photo",
    metadata,
    Column("sha256", Text, primary_key=True),
    Column("mime", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("uploaded_at", Text),
)

audit = Table(
    "audit",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("device", Text, nullable=False),
    Column("entity", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("field", Text),
    Column("old", Text),
    Column("new", Text),
    Column("source", Text, nullable=False),
    Column("source_ref", Text, nullable=False),
    Column("info_date", Text),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Column("salt", Text),  # v7: the sealed values (app.models.audit_chain)
    Column("vd", Text),
)

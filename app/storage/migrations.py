"""Versioned schema migrations (Electrum's ordered upgrades, in one transaction each).

A new archive runs every step from version 0. An existing archive older than
``SCHEMA_VERSION`` is backed up first (by the caller), then upgraded step by
step inside one transaction, so a failed upgrade leaves it untouched. Each
released schema is frozen as an archive under ``tests/data/archives/`` and the
tests upgrade it to the current version.

The DDL of a released step never changes; a later change is a new step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE customer (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    code TEXT,
    code_official INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'approved', 'returned')),
    form_id TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    data TEXT NOT NULL,
    completeness REAL NOT NULL DEFAULT 0,
    missing_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    warning_count INTEGER NOT NULL DEFAULT 0,
    shop_name TEXT, contact_name TEXT, phone TEXT, address TEXT,
    licence_no TEXT, uscc TEXT, id_card TEXT, binding_date TEXT, last_visit TEXT,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL, updated_by TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    deleted_at TEXT
);
CREATE INDEX ix_customer_code ON customer(code);
CREATE INDEX ix_customer_status ON customer(status, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX ix_customer_updated ON customer(updated_at) WHERE deleted_at IS NULL;
CREATE INDEX ix_customer_shop ON customer(shop_name);
CREATE INDEX ix_customer_phone ON customer(phone);
CREATE INDEX ix_customer_licence ON customer(licence_no);
CREATE INDEX ix_customer_uscc ON customer(uscc);
CREATE INDEX ix_customer_id_card ON customer(id_card);
CREATE VIRTUAL TABLE customer_trgm USING fts5(body, tokenize = 'trigram', content = '', contentless_delete = 1);
CREATE VIRTUAL TABLE customer_gram USING fts5(body, content = '', contentless_delete = 1, detail = none);
CREATE TABLE visit (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL REFERENCES customer(id),
    visited_on TEXT NOT NULL,
    purpose TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    sales_anomaly TEXT NOT NULL DEFAULT '',
    photos TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX ix_visit_customer ON visit(customer_id, visited_on);
CREATE TABLE photo (
    sha256 TEXT PRIMARY KEY,
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    device TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    field TEXT,
    old TEXT,
    new TEXT,
    source TEXT NOT NULL,
    source_ref TEXT NOT NULL DEFAULT '',
    info_date TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX ix_audit_entity ON audit(entity_id, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
"""


# v2: the desktop client — dates of the periodic checks (§3.5: quarterly fields at least once a
# quarter, static information reviewed every half year) and crash-safe autosave of open forms.
V2 = """
ALTER TABLE customer ADD COLUMN last_quarterly_check TEXT;
ALTER TABLE customer ADD COLUMN last_static_review TEXT;
CREATE TABLE autosave (
    key TEXT PRIMARY KEY,
    customer_id TEXT,
    state TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
"""


# v3: sync with the server — the outbox of mutations (written with every local change), the last
# known server state of each record, the review decision, conflicts to resolve, uploaded photos.
V3 = """
ALTER TABLE customer ADD COLUMN server_data TEXT;
ALTER TABLE customer ADD COLUMN approved_data TEXT;
ALTER TABLE customer ADD COLUMN review TEXT;
ALTER TABLE customer ADD COLUMN owner TEXT;
ALTER TABLE customer ADD COLUMN sync_state TEXT NOT NULL DEFAULT 'local';
ALTER TABLE customer ADD COLUMN sync_errors TEXT;
CREATE INDEX ix_customer_sync ON customer(sync_state) WHERE deleted_at IS NULL;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    mutation_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent')),
    body TEXT,
    extra TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_outbox_record ON outbox(record_id, seq);
CREATE TABLE conflict (
    record_id TEXT PRIMARY KEY,
    mutation_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    server_record TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE photo ADD COLUMN uploaded_at TEXT;
"""

# v4 (issue 18): the integrity archive (诚信档案): entries and complaints per outlet, synced; and the
# archive's lifecycle: the server's last close or reopen of the outlet (销户, JSON) and whether it is closed
# now (a closed customer leaves the working lists and is read-only); the customer's signatures (客户签名确认,
# F3 L320).
V4 = """
CREATE TABLE integrity_entry (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    text TEXT NOT NULL,
    handling TEXT NOT NULL DEFAULT '',
    photos TEXT NOT NULL DEFAULT '[]',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'synced', 'refused')),
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_integrity_entry_customer ON integrity_entry(customer_id, occurred_on);
CREATE TABLE complaint (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    received_on TEXT NOT NULL,
    content TEXT NOT NULL,
    complainant_name TEXT NOT NULL DEFAULT '',
    complainant_phone TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    assignee TEXT NOT NULL DEFAULT '',
    deadline TEXT NOT NULL DEFAULT '',
    handling TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL DEFAULT '',
    response TEXT NOT NULL DEFAULT '',
    closed_on TEXT NOT NULL DEFAULT '',
    revision INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'synced', 'refused')),
    error TEXT NOT NULL DEFAULT '',
    server TEXT
);
CREATE INDEX ix_complaint_customer ON complaint(customer_id, received_on);
CREATE INDEX ix_complaint_open ON complaint(status, deadline);
ALTER TABLE customer ADD COLUMN closure TEXT;
ALTER TABLE customer ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE signature (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    image TEXT NOT NULL,
    fields TEXT NOT NULL,
    digest TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    verified_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'synced', 'refused')),
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_signature_customer ON signature(customer_id, signed_on);
"""

# v5 (issue 18): the service records (客户服务记录): visit plans, care dates and satisfaction surveys per
# outlet, synced (``service.add`` / ``service.step``); ``body`` holds the kind's values (JSON), ``server`` the
# record as the server last had it (a refused step goes back to it).
V5 = """
CREATE TABLE service_record (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    on_date TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'synced', 'refused')),
    error TEXT NOT NULL DEFAULT '',
    server TEXT
);
CREATE INDEX ix_service_record_customer ON service_record(customer_id, on_date);
CREATE INDEX ix_service_record_due ON service_record(kind, status, on_date);
"""


# v6 (issue 17): order collection on a visit (订单采集, F3 L291–292): the orders taken, the cartons (条) and the
# amount in yuan (a decimal text); NULL ``orders``: no order was collected (every visit before v6).
V6 = """
ALTER TABLE visit ADD COLUMN orders INTEGER;
ALTER TABLE visit ADD COLUMN order_quantity INTEGER;
ALTER TABLE visit ADD COLUMN order_amount TEXT
"""

# v7 (issue 18, docs/domain.md "Redacting a destroyed record's trail"): the audit trail's sealed values
# (app.models.audit_chain, chain version 2): a random ``salt`` per entry and ``vd``, the digest of the salt and
# the values that the entry's hash covers. The update trigger lets one change through: the redaction of an
# entry (values and salt removed, ``vd`` kept, every other column as it was) when its record is destroyed.
V7 = """
ALTER TABLE audit ADD COLUMN salt TEXT;
ALTER TABLE audit ADD COLUMN vd TEXT;
DROP TRIGGER audit_no_update;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit WHEN NOT (NEW.old IS NULL AND NEW.new IS NULL
 AND NEW.salt IS NULL AND NEW.vd IS NOT NULL AND (NEW.vd IS OLD.vd OR (OLD.vd IS NULL AND NEW.vd = 'legacy-redacted'))
 AND NEW.seq IS OLD.seq AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.device IS OLD.device
 AND NEW.entity IS OLD.entity AND NEW.entity_id IS OLD.entity_id AND NEW.action IS OLD.action
 AND NEW.field IS OLD.field AND NEW.source IS OLD.source AND NEW.source_ref IS OLD.source_ref
 AND NEW.info_date IS OLD.info_date AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash)
 BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (only a destroyed record''s values are redacted)'); END
"""


def _script(sql: str) -> Callable[[Any], None]:
    def run(conn: Any) -> None:
        for statement in sql.split(";\n"):
            if statement.strip():
                conn.exec_driver_sql(statement)

    return run


#: The schema's scripts in order (bench.storage builds a plain SQLite copy of the schema from them).
SCRIPTS = (V1, V2, V3, V4, V5, V6, V7)
#: steps[n] upgrades schema n-1 to n.
STEPS: dict[int, Callable[[Any], None]] = {n: _script(sql) for n, sql in enumerate(SCRIPTS, start=1)}
SCHEMA_VERSION = max(STEPS)


def current_version(conn: Any) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)


def upgrade(conn: Any, from_version: int) -> None:
    """Run the steps after ``from_version`` inside the caller's transaction."""
    for n in range(from_version + 1, SCHEMA_VERSION + 1):
        STEPS[n](conn)
        conn.exec_driver_sql(f"PRAGMA user_version = {n}")

"""The server's tables for other systems (docs/integrations.md): machine accounts with their tokens and
calls, the outbound feed of approved changes, and the webhooks that deliver it. They live on the same
``metadata`` as server/schema.py's tables (this module is imported with ``server.db``, so every process
that opens the database knows them; the migrations' env imports it too)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from server.schema import metadata

# Machine accounts (server/integrations.py, docs/integrations.md): an integration, its tokens (only a
# SHA-256 of each secret is kept; the public token id finds the row) and every call made with one.
integrations = Table(
    "integrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(48), nullable=False, unique=True),
    Column("department", String(200), nullable=False),
    Column("scopes", Text, nullable=False),  # JSON list of server.integrations.Scope values
    Column("territory", Text, nullable=True),  # JSON list of supervisors' user ids; NULL: the whole deployment
    Column("rate_per_minute", Integer, nullable=False),
    Column("burst", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("revoked_at", Float, nullable=True),
    # JSON list of the form's field keys its feed and webhook carry; NULL: every field (server/outbound.py)
    Column("fields", Text, nullable=True),
)

integration_tokens = Table(
    "integration_tokens",
    metadata,
    Column("token_id", String(16), primary_key=True),  # the public part: fa_<token_id>_<secret>
    Column("integration_id", Integer, ForeignKey("integrations.id"), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),  # SHA-256 (hex) of the secret
    Column("created_at", Float, nullable=False),
    Column("retires_at", Float, nullable=True),  # set by a rotation: refused from this time on
)

integration_calls = Table(
    "integration_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("integration_id", Integer, ForeignKey("integrations.id"), nullable=False),
    Column("integration_name", String(48), nullable=False),
    Column("token_id", String(16), nullable=False),
    Column("at", Float, nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", String(300), nullable=False),
    Column("status", Integer, nullable=False),
    Index("ix_integration_calls_integration_at", "integration_id", "at"),
)

# The outbound feed (server/outbound.py): one row each time a customer's approved values change (it is
# approved, an approved customer gets a system change, an approved customer is deleted), numbered from the
# feed counter at commit, so in commit order. Append-only: ``data`` is the approved values as they were.
outbound_changes = Table(
    "outbound_changes",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("record_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # approved | changed | deleted
    Column("code", String(32), nullable=True),
    Column("owner_id", Integer, nullable=False),  # the territory as of the change
    Column("team_id", Integer, nullable=True),  # the owner's supervisor at numbering time
    Column("changed", Text, nullable=False),  # JSON list of the keys whose approved value changed
    Column("data", Text, nullable=True),  # JSON approved values; NULL for a deletion
    Column("at", Float, nullable=False),
    Index("ix_outbound_owner_seq", "owner_id", "seq"),
    Index("ix_outbound_team_seq", "team_id", "seq"),
)

# An integration's webhook (server/webhooks.py): where its batches go, the secret that signs them, how far
# its batches have been formed, and the lease of the server process delivering them now.
webhooks = Table(
    "webhooks",
    metadata,
    Column("integration_id", Integer, ForeignKey("integrations.id"), primary_key=True, autoincrement=False),
    Column("url", String(500), nullable=False),
    Column("secret", String(64), nullable=False),
    Column("cursor", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", Float, nullable=True),
)

# Each batch POSTed to a webhook, frozen (the same id and body on every attempt): pending, delivered or dead.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("integration_id", Integer, ForeignKey("integrations.id"), nullable=False),
    Column("number", BigInteger, nullable=False),  # the batch's place among the webhook's batches
    Column("body", Text, nullable=False),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("size", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Float, nullable=False),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("delivered_at", Float, nullable=True),
    Index("ix_webhook_deliveries_state", "integration_id", "state", "number"),
)

# Inbound feeds (server/inbound.py): the last message applied per external id of an integration's kind
# (``licensee``, ``assignment``), with its version and the answer it got: a replay of that version gets the
# same answer and changes nothing; an older version is refused.
inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("integration_id", Integer, ForeignKey("integrations.id"), primary_key=True, autoincrement=False),
    Column("kind", String(16), primary_key=True),
    Column("external_id", String(100), primary_key=True),
    Column("version", BigInteger, nullable=False),
    # indexed (0024): whether a customer is linked already is asked for each licensee matched by its number
    Column("record_id", String(36), nullable=False, index=True),
    Column("answer", Text, nullable=False),  # JSON: the item's answer, sent again on a replay
    Column("at", Float, nullable=False),
)

# The deployment's rule for new licensees (server/inbound.py): the customer goes to the owner of the
# longest region-code prefix (GB/T 2260) that matches its 区域编码.
licensee_rules = Table(
    "licensee_rules",
    metadata,
    Column("region_prefix", String(12), primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", Float, nullable=False),
)

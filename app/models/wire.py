"""The sync wire contract shared by the client (app/sync) and the server (server/).

Constants, names and canonical encodings only: see docs/sync-protocol.md for the protocol.
"""

from __future__ import annotations

import enum
import hashlib
from typing import Any

import orjson

PROTOCOL_VERSION = 1
MIN_PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-FieldArchive-Protocol"
API_PREFIX = "/api/v1"

MAX_BATCH = 200  # mutations per push
MAX_PAGE = 1000  # changes per pull page
MAX_AUDIT = 500  # audit entries per upload
MAX_BODY = 8 * 1024 * 1024  # bytes per request body, after decompression
MAX_CHUNK = 1024 * 1024  # bytes per photo chunk
ACCESS_TOKEN_SECONDS = 15 * 60
REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
TOMBSTONE_DAYS = 180


class UserRole(str, enum.Enum):
    COLLECTOR = "collector"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    #: a user placed at a province, city or county node of the territory tree: reads the reports and the
    #: ledger of every team below it, writes nothing and pulls no customer (docs/domain.md, issue 17)
    VIEWER = "viewer"


#: The audit trail's entity of an access to personal data (app/storage/access.py, server/access.py):
#: its entity_id is the customer's id when one customer was seen, else the entry's own id.
ACCESS_ENTITY = "access"
#: The entity of an export of customers (app/services/exporting.py), also part of the access log.
EXPORT_ENTITY = "export"


class AccessKind(str, enum.Enum):
    """What a person did with personal data (audit R9, R10: 查阅, 检索, 导出, 打印)."""

    OPEN = "open"  # a customer's page opened
    SEARCH = "search"  # the list searched with a text
    EXPORT = "export"  # customers written to a file
    PRINT = "print"  # a customer's record printed


class MutationKind(str, enum.Enum):
    SAVE = "customer.save"
    SUBMIT = "customer.submit"
    DELETE = "customer.delete"
    VISIT = "visit.create"
    DECIDE = "review.decide"
    CHECK = "customer.check"  # a quarterly check or half-yearly review of the static information (§3.5)
    INTEGRITY = "integrity.add"  # an entry of the outlet's integrity archive (诚信档案, F3 L167)
    COMPLAINT = "complaint.open"  # a complaint received (投诉, F3 L40, L186)
    COMPLAINT_STEP = "complaint.step"  # a complaint assigned, handled, answered or closed
    CLOSE = "customer.close"  # closing an outlet (销户) or reopening it: docs/domain.md, "The archive's lifecycle"
    SIGNATURE = "signature.add"  # the customer's signature confirming the basic information (F3 L320)
    SERVICE = "service.add"  # a service record: visit plan, care date, satisfaction survey (app.validation.service)
    SERVICE_STEP = "service.step"  # a visit plan done or cancelled, a care date cancelled


class ResultStatus(str, enum.Enum):
    APPLIED = "applied"
    MERGED = "merged"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class ChangeKind(str, enum.Enum):
    RECORD = "record"
    REVOKE = "revoke"
    FORM = "form"
    ERASE = "erase"  # the record was destroyed at the end of its retention: erase its values and photos


class ErrorCode(str, enum.Enum):
    BAD_REQUEST = "bad_request"
    VALIDATION = "validation"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    GONE = "gone"
    TOO_LARGE = "too_large"
    REQUEST_TIMEOUT = "request_timeout"  # 408: the request body came too slowly
    LOCKED = "locked"
    CLIENT_TOO_OLD = "client_too_old"
    RATE_LIMITED = "rate_limited"
    MUTATION_REUSED = "mutation_reused"
    CHECKSUM = "checksum"
    AUDIT_GAP = "audit_gap"  # the first entry sent does not follow one the server holds
    AUDIT_BROKEN = "audit_broken"  # an entry whose hash does not match its content or its predecessor
    READ_ONLY = "read_only"  # a territory viewer asked for a change (they only read reports)
    PASSWORD_EXPIRED = "password_expired"  # the password is right but too old: change it (POST /auth/password)


def canonical_json(obj: Any) -> bytes:
    """The one byte form of a JSON value used for hashing and storing (sorted keys, no spaces, UTF-8).

    orjson gives the same bytes as ``json.dumps(ensure_ascii=False, sort_keys=True, separators=(",", ":"))``
    for the values records hold (text, integers, booleans, lists, null), about ten times faster.
    """
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def mutation_canonical(mutation: dict[str, Any]) -> bytes:
    """The bytes that identify a mutation's content: a replay must match them exactly (the client clock excluded)."""
    body = dict(mutation)
    prov = dict(body.get("provenance") or {})
    prov.pop("at", None)
    body["provenance"] = prov
    return canonical_json(body)


def mutation_hash(mutation: dict[str, Any]) -> str:
    """The SHA-256 of ``mutation_canonical``."""
    return hashlib.sha256(mutation_canonical(mutation)).hexdigest()

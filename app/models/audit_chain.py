"""The audit trail's hash chain, shared by the client (which writes it) and the server (which keeps
an uploaded copy and checks it link by link with the same function).

Each entry's hash covers the previous entry's hash and every field of the entry, so a changed,
removed or reordered entry breaks the chain from there on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64
_SEP = "\x1f"

#: The fields of an entry, in the order the hash covers them.
FIELDS = (
    "seq",
    "at",
    "actor",
    "device",
    "entity",
    "entity_id",
    "action",
    "field",
    "old",
    "new",
    "source",
    "source_ref",
    "info_date",
)


def entry_hash(prev: str, row: Mapping[Any, Any]) -> str:
    parts = [
        str(row["seq"]),
        row["at"],
        row["actor"],
        row["device"],
        row["entity"],
        row["entity_id"],
        row["action"],
        row["field"] or "",
        row["old"] or "",
        row["new"] or "",
        row["source"],
        row["source_ref"],
        row["info_date"] or "",
    ]
    return hashlib.sha256((prev + _SEP + _SEP.join(parts)).encode("utf-8")).hexdigest()

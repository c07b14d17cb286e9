"""The audit trail's hash chain, shared by the client (which writes it) and the server (which keeps
an uploaded copy and checks it link by link with the same function).

Each entry's hash covers the previous entry's hash and every field of the entry, so a changed,
removed or reordered entry breaks the chain from there on.

Sealed values (chain version 2, docs/domain.md "Redacting a destroyed record's trail"): an entry's
hash covers its old and new values through ``vd``, a SHA-256 of a random per-entry ``salt`` and the
two values, not the values themselves. Destroying a record redacts its entries: the values and the
salt are removed and ``vd`` stays, so the hash still verifies while nothing of the values is left
(without the salt, ``vd`` cannot be checked against guessed values: a phone number's few billion
candidates are no help). Entries written before version 2 (no ``vd``) hash their values directly;
one of them, once redacted, carries ``vd == LEGACY_REDACTED`` and is held to its place in the chain
by the next entry's ``prev_hash`` alone (its own hash cannot be recomputed without its values).
A redacted entry is only accepted for a record whose destruction the trail (or the server) holds.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64
_SEP = "\x1f"
#: ``vd`` of a pre-version-2 entry whose values were redacted (its stored hash is taken as it is).
LEGACY_REDACTED = "legacy-redacted"
_V2 = "fa-audit/2"

#: The fields of an entry, in the order the hash covers them (``salt`` and ``vd``: version 2).
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
SEALING = ("salt", "vd")


def new_salt() -> str:
    return secrets.token_hex(16)


def values_digest(salt: str, old: str | None, new: str | None) -> str:
    """The commitment to an entry's old and new values (their JSON texts; None is not "")."""
    parts = (_V2, salt, "-" if old is None else "+" + old, "-" if new is None else "+" + new)
    return hashlib.sha256(_SEP.join(parts).encode("utf-8")).hexdigest()


def is_redacted(row: Mapping[Any, Any]) -> bool:
    """Whether an entry's values were removed (a version-2 entry without its salt, or a redacted legacy one)."""
    vd = row.get("vd")
    return bool(vd) and (vd == LEGACY_REDACTED or not row.get("salt"))


def entry_hash(prev: str, row: Mapping[Any, Any]) -> str:
    """The entry's hash. Version 2 (``vd`` set): over ``vd``, which is checked against the values
    when they are still there (a mismatch gives a hash that does not match)."""
    vd = row.get("vd")
    if vd == LEGACY_REDACTED:
        return str(row["hash"])
    meta = [
        str(row["seq"]),
        row["at"],
        row["actor"],
        row["device"],
        row["entity"],
        row["entity_id"],
        row["action"],
        row["field"] or "",
    ]
    tail = [row["source"], row["source_ref"], row["info_date"] or ""]
    if vd:
        salt = row.get("salt")
        if salt and values_digest(salt, row["old"], row["new"]) != vd:
            return "values-do-not-match-" + str(vd)  # never a stored hash: the entry shows as altered
        if not salt and (row["old"] is not None or row["new"] is not None):
            return "values-without-salt"
        return hashlib.sha256(_SEP.join([_V2, prev, *meta, vd, *tail]).encode("utf-8")).hexdigest()
    parts = [*meta, row["old"] or "", row["new"] or "", *tail]
    return hashlib.sha256((prev + _SEP + _SEP.join(parts)).encode("utf-8")).hexdigest()


def seal(row: dict[str, Any]) -> dict[str, Any]:
    """A new entry's ``salt`` and ``vd`` (added to ``row`` and returned)."""
    row["salt"] = new_salt()
    row["vd"] = values_digest(row["salt"], row["old"], row["new"])
    return row


def redacted(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The columns a redaction sets: no values, no salt, ``vd`` kept (or the legacy mark)."""
    return {"old": None, "new": None, "salt": None, "vd": row.get("vd") or LEGACY_REDACTED}

"""What the wire refuses or takes as it is, before any model sees it (docs/server.md "Bad input").

Content a database cannot hold (``bad_content``, and ``screen`` that takes such mutations out of a
push), and the fast path of a push (``plain_mutations``: a batch the models would accept unchanged),
beside the patterns the models (server/wiremodels.py) check their identifiers with.
"""

from __future__ import annotations

import math
import re
from typing import Any

from app.models.wire import MAX_BATCH, MutationKind

UUID_RE = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
SHA_RE = r"^[0-9a-f]{64}$"
PROVISIONAL_RE = r"^[A-Za-z0-9\-]{1,40}$"


# ---- Bad input (docs/server.md "Bad input") -------------------------------------------------------
# Text a database cannot hold (NUL: PostgreSQL refuses it; a lone surrogate cannot be encoded as
# UTF-8), integers beyond 64 bits (no column holds them and orjson, which writes every answer and a
# mutation's canonical bytes, refuses them) and JSON values nested deeper than MAX_DEPTH are refused
# at the wire, with a code naming the field: a whole request answers 422; inside a push only that
# mutation is ``rejected``. Together they are everything orjson refuses in a parsed JSON value.
TEXT_NUL = "text.nul"
TEXT_SURROGATE = "text.surrogate"
TOO_DEEP = "value.too_deep"
TOO_LARGE = "value.too_large"
MAX_DEPTH = 32  # levels of JSON arrays and objects, counted from the request body
INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # what orjson writes: a signed or an unsigned 64-bit integer
CONTENT_MESSAGES = {
    TEXT_NUL: "The text contains a NUL character (U+0000), which cannot be stored.",
    TEXT_SURROGATE: "The text contains a lone UTF-16 surrogate, which is not a character and cannot be stored.",
    TOO_DEEP: f"The value is nested more than {MAX_DEPTH} levels deep.",
    TOO_LARGE: f"The number is outside {INT_MIN} … {INT_MAX} (64 bits).",
}
#: The key of the placeholder that stands in a push's batch for a mutation refused for its content.
REFUSED = "refused_for_content"
_NIL_UUID = "00000000-0000-0000-0000-000000000000"


_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))  # every digit a "0", anything else a space
_LONG_RUN = b"0" * 19  # 2**63 has 19 digits: a shorter integer always fits in 64 bits


def may_hold_long_integer(body: bytes) -> bool:
    """Could this JSON text hold an integer of 19 digits or more outside any string? orjson reads an
    integer beyond 64 bits as a float, with invented low digits, where the standard parser keeps it
    exact (and ``bad_content`` then refuses it): such a body must be read by the standard parser.

    A run of digits inside a string (a bank account of 19 digits) follows a quote or other text; a
    number follows ``:``, ``[`` or ``,`` (and blanks, a minus). A string that holds ``: 1234…`` itself
    is taken for a number: it only costs that body the slower parser. About 1 ms per MB."""
    flat = body.translate(_DIGITS)
    i = flat.find(_LONG_RUN)
    while i != -1:
        j = i
        while j > 0 and body[j - 1] in b" \t\r\n-":
            j -= 1
        if j == 0 or body[j - 1] in b":[,":
            return True
        end = flat.find(b" ", i)  # past this run
        i = -1 if end == -1 else flat.find(_LONG_RUN, end)
    return False


def safe_label(key: Any, limit: int = 100) -> str:
    """A dict key or list index as a field-path part that any answer can carry (no NUL, no surrogate)."""
    text = str(key)[:limit]
    if "\x00" in text or not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text


def text_problem(s: str) -> str | None:
    """``text.nul``, ``text.surrogate`` or None."""
    if "\x00" in s:
        return TEXT_NUL
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            return TEXT_SURROGATE
    return None


def bad_content(value: Any, path: str = "", depth: int = 0) -> tuple[str, str] | None:
    """The first place in a parsed JSON value (keys included) that the wire refuses: (field path, code)."""
    t = type(value)
    if t is str:
        code = text_problem(value)
        return (path or "body", code) if code else None
    if t is not dict and t is not list:
        return (path or "body", TOO_LARGE) if t is int and not INT_MIN <= value <= INT_MAX else None
    if depth >= MAX_DEPTH:
        return path or "body", TOO_DEEP
    for key, item in value.items() if t is dict else enumerate(value):
        sub = f"{path}.{safe_label(key)}" if path else safe_label(key)
        if t is dict:
            code = text_problem(key) if type(key) is str else None
            if code:
                return sub, code
        found = bad_content(item, sub, depth + 1)
        if found:
            return found
    return None


def content_error(field: str, code: str) -> dict[str, Any]:
    """A mutation's error (the protocol's ResultError) for content the wire refuses."""
    return {"field": field, "code": code, "message": CONTENT_MESSAGES[code], "params": {}}


def screen(data: Any) -> tuple[Any, dict[int, dict[str, Any]]]:
    """Takes the mutations with content the wire refuses out of a push body (each one that carries a
    well-formed mutation id: it is answered ``rejected``; without one, the model's 422 answers the whole
    body). A refused mutation is replaced by a valid stand-in, so the models' 422s keep their indexes."""
    if type(data) is not dict or type(data.get("mutations")) is not list or len(data["mutations"]) > MAX_BATCH:
        return data, {}
    batch = list(data["mutations"])
    refused: dict[int, dict[str, Any]] = {}
    for i, m in enumerate(batch):
        if type(m) is not dict:
            continue
        mid = m.get("mutation_id")
        if type(mid) is not str or not _MUTATION_ID.fullmatch(mid):
            continue
        found = bad_content(m, depth=2)  # the body and its mutations list are the first two levels
        if found:
            refused[i] = {"mutation_id": mid, REFUSED: [content_error(*found)]}
            batch[i] = {
                "mutation_id": mid,
                "kind": MutationKind.DELETE.value,
                "record_id": _NIL_UUID,
                "base_version": 0,
            }
    return ({**data, "mutations": batch} if refused else data), refused


def push_refusal(m: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The errors of a mutation that the fast path let through (it looks at types, not at text) and that
    its canonical bytes show to be suspect (``server.push``), or None when it is fine after all."""
    found = bad_content(m, depth=2)
    return [content_error(*found)] if found else None


# The fast path of PushRequest: it accepts only input that the models accept *unchanged* (exact
# types, no coercion) and returns what their dump would; it never rejects, it only declines.
_MUTATION_KEYS = frozenset(
    {
        "mutation_id",
        "kind",
        "record_id",
        "base_version",
        "form_version",
        "changes",
        "note",
        "urgent",
        "provenance",
        "provisional_code",
    }
)
_REQUIRED_KEYS = ("mutation_id", "kind", "record_id", "base_version")
_KINDS = frozenset(k.value for k in MutationKind)
_PROVENANCE = {
    "source": (frozenset({"visit", "phone", "import", "manual"}), None),
    "source_ref": (None, 200),
    "info_date": (None, 32),
    "at": (None, 64),
}
_MUTATION_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_UUID = re.compile(UUID_RE[1:-1])
_PROVISIONAL = re.compile(PROVISIONAL_RE[1:-1])
_INT_MAX = 2**31 - 1
_MAX_DEPTH = 8


def _plain_json(v: Any, depth: int = 0) -> bool:
    """Is ``v`` a JSON value that an ``Any`` field dumps unchanged (no NaN or infinity, string keys)?"""
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return True
    if t is float:
        return math.isfinite(v)
    if depth >= _MAX_DEPTH:
        return False
    if t is list:
        return all(_plain_json(x, depth + 1) for x in v)
    if t is dict:
        return all(type(k) is str and _plain_json(x, depth + 1) for k, x in v.items())
    return False


def _plain_int(v: Any, nullable: bool = False) -> bool:
    return (v is None and nullable) or (type(v) is int and 0 <= v <= _INT_MAX)


def _plain_mutation(m: Any) -> dict[str, Any] | None:
    if type(m) is not dict or not _MUTATION_KEYS.issuperset(m) or any(k not in m for k in _REQUIRED_KEYS):
        return None
    mid, rid = m["mutation_id"], m["record_id"]
    if (
        type(mid) is not str
        or not _MUTATION_ID.fullmatch(mid)
        or type(m["kind"]) is not str
        or m["kind"] not in _KINDS
        or type(rid) is not str
        or not _UUID.fullmatch(rid)
        or not _plain_int(m["base_version"])
        or not _plain_int(m.get("form_version"), nullable=True)
    ):
        return None
    changes = m.get("changes")
    if changes is not None:
        if type(changes) is not dict or len(changes) > 300:
            return None
        for key, ch in changes.items():
            if type(key) is not str or type(ch) is not dict:
                return None
            for side, x in ch.items():
                if side != "old" and side != "new":
                    return None
                t = type(x)
                if not (t is str or x is None or t is int or t is bool) and not _plain_json(x):
                    return None
    note = m.get("note")
    if note is not None and (type(note) is not str or len(note) > 2000):
        return None
    if "urgent" in m and type(m["urgent"]) is not bool:
        return None
    code = m.get("provisional_code")
    if code is not None and (type(code) is not str or not _PROVISIONAL.fullmatch(code)):
        return None
    prov = m.get("provenance")
    if prov is not None:
        if type(prov) is not dict:
            return None
        for key, value in prov.items():
            rule = _PROVENANCE.get(key)
            if rule is None:
                return None
            allowed, limit = rule
            if value is None and key in ("info_date", "at"):
                continue
            if (
                type(value) is not str
                or (allowed is not None and value not in allowed)
                or (limit is not None and len(value) > limit)
            ):
                return None
    lower = rid.lower()
    return m if lower == rid else {**m, "record_id": lower}


def plain_mutations(data: Any) -> list[dict[str, Any]] | None:
    """The mutations of a push body that needs no coercion, or None (then the models decide)."""
    if type(data) is not dict or len(data) != 1 or type(data.get("mutations")) is not list:
        return None
    batch = data["mutations"]
    if len(batch) > MAX_BATCH:
        return None
    out = []
    for m in batch:
        plain = _plain_mutation(m)
        if plain is None:
            return None
        out.append(plain)
    return out

"""``POST /sync/push``: a batch of mutations applied in one transaction, idempotently.

Each mutation id is stored with the SHA-256 of the mutation's canonical body and its result, in the
same transaction as its effect (the answer to a new customer by reference to its first version row,
which holds the same values: a replay rebuilds the same bytes). A replay (same id, same body) gets
the stored result and changes nothing; the same id with another body, or another user's id, is
``rejected`` with ``mutation_reused`` and is not stored. Two requests carrying the same new id at the same moment
meet at the primary key: the loser's transaction is retried and then finds the winner's result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import bindparam, select

from app.models.wire import ErrorCode, MutationKind, ResultStatus, mutation_canonical
from server import apply, integrity, service, signatures
from server.accounts import Caller
from server.db import Database, Tx
from server.forms import current_form
from server.records import Rec, UnitOfWork, dumps
from server.schema import customer_versions, mutations
from server.scope import Directory
from server.secrecy import View
from server.wirecheck import REFUSED, TOO_LARGE, content_error, push_refusal

#: The key that marks a stored answer kept by reference (``_by_reference``).
BY_REFERENCE = "stored_by_reference"

HANDLERS: dict[str, Callable[[UnitOfWork, dict[str, Any]], dict[str, Any]]] = {
    MutationKind.SAVE.value: apply.save,
    MutationKind.SUBMIT.value: apply.submit,
    MutationKind.DELETE.value: apply.delete,
    MutationKind.VISIT.value: apply.visit,
    MutationKind.DECIDE.value: apply.decide,
    MutationKind.CHECK.value: apply.check,
    MutationKind.INTEGRITY.value: integrity.add_entry,
    MutationKind.COMPLAINT.value: integrity.open_complaint,
    MutationKind.COMPLAINT_STEP.value: integrity.complaint_step,
    MutationKind.CLOSE.value: apply.close,
    MutationKind.SIGNATURE.value: signatures.add,
    MutationKind.SERVICE.value: service.add,
    MutationKind.SERVICE_STEP.value: service.step,
}


def reused(mutation_id: str) -> dict[str, Any]:
    return {
        "mutation_id": mutation_id,
        "status": ResultStatus.REJECTED.value,
        "record": None,
        "conflicts": [],
        "errors": [
            {
                "field": "mutation_id",
                "code": ErrorCode.MUTATION_REUSED.value,
                "message": "This mutation id was already used for a different mutation.",
                "params": {},
            }
        ],
    }


def refused(mutation_id: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "mutation_id": mutation_id,
        "status": ResultStatus.REJECTED.value,
        "record": None,
        "conflicts": [],
        "errors": errors,
    }


def _digest(m: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    """A mutation's digest, or the errors that refuse it for its content (``server.wirecheck.bad_content``).

    The models' path has set such mutations aside already (``REFUSED``); the fast path looks at types only,
    and the canonical bytes it needs anyway tell the suspects apart: orjson refuses lone surrogates and
    integers beyond 64 bits, a NUL
    is written ``\\u0000``, and the client clock (``provenance.at``), left out of the bytes, is looked at alone."""
    if REFUSED in m:
        return "", m[REFUSED]
    try:
        canon = mutation_canonical(m)
    except (orjson.JSONEncodeError, TypeError):
        canon = None
    at = (m.get("provenance") or {}).get("at")
    suspect = canon is None or (b"\\" in canon and b"\\u0000" in canon)  # memchr first: most hold no escape
    if suspect or (type(at) is str and ("\x00" in at or not at.isascii())):
        errors = push_refusal(m)
        if errors:
            return "", errors
    if canon is None:  # not reached from JSON (bad_content names whatever orjson refuses); refused, never a 500
        return "", [content_error("body", TOO_LARGE)]
    return hashlib.sha256(canon).hexdigest(), None


def _stored(tx: Tx, ids: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(ids), 500):
        out.update({r.mutation_id: r for r in tx.conn.execute(_STORED, {"ids": ids[i : i + 500]}).all()})
    return out


_STORED = select(mutations).where(mutations.c.mutation_id.in_(bindparam("ids", expanding=True)))  # built once


def apply_batch(tx: Tx, caller: Caller, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply the mutations in order; returns one result per mutation (stored ones for replays)."""
    return [r if isinstance(r, dict) else json.loads(r) for r in _apply(tx, caller, batch)[0]]


def _apply(tx: Tx, caller: Caller, batch: list[dict[str, Any]]) -> tuple[list[dict[str, Any] | str], list[str]]:
    """The results (a replay's stored result as its JSON text, not decoded) and every result as JSON text.

    Each new result is encoded once, for its ``mutations`` row; the HTTP answer reuses those bytes."""
    conn = tx.conn
    uow = UnitOfWork(tx, caller.user, current_form(conn), Directory.lazy(conn, caller.user))
    stored = _stored(tx, sorted({m["mutation_id"] for m in batch}))
    rebuilt = _rebuild(tx, uow.directory, stored, uow.view) if stored else {}
    uow.load(m["record_id"] for m in batch if m["mutation_id"] not in stored and REFUSED not in m)
    uow.directory.want(i for r in uow.records.values() for i in (r.owner_id, r.created_by_id))
    results: list[dict[str, Any] | str] = []
    encoded: list[str] = []
    in_batch: dict[str, tuple[str, dict[str, Any], str]] = {}
    for m in batch:
        mid, (digest, problems) = m["mutation_id"], _digest(m)
        if problems is not None:  # refused for its content: answered, never stored (a resend gets the same)
            res = refused(mid, problems)
            results.append(res)
            encoded.append(dumps(res))
        elif mid in stored:
            row = stored[mid]
            if row.body_hash == digest and row.user_id == caller.user.id:
                text = rebuilt.get(mid, row.result)
                results.append(text)
                encoded.append(text)
            else:
                res = reused(mid)
                results.append(res)
                encoded.append(dumps(res))
        elif mid in in_batch:
            first_digest, first_result, first_text = in_batch[mid]
            if first_digest == digest:
                results.append(first_result)
                encoded.append(first_text)
            else:
                res = reused(mid)
                results.append(res)
                encoded.append(dumps(res))
        else:
            res = HANDLERS[m["kind"]](uow, m)
            text = dumps(res)
            in_batch[mid] = (digest, res, text)
            uow.mutation_rows.append(
                {
                    "mutation_id": mid,
                    "user_id": caller.user.id,
                    "body_hash": digest,
                    "result": _by_reference(m, res) or text,
                    "at": uow.now,
                }
            )
            results.append(res)
            encoded.append(text)
    uow.flush()
    return results, encoded


def _by_reference(m: dict[str, Any], res: dict[str, Any]) -> str | None:
    """The answer to a new customer, stored by reference: its first version row already holds every value
    (the changes from nothing), so the stored answer keeps only what that row does not say. A replay rebuilds
    the same bytes (``_rebuild``); storing the record a second time was a third of what a push wrote."""
    record = res["record"]
    if (
        m["kind"] != MutationKind.SAVE.value
        or m["base_version"] != 0
        or res["status"] != ResultStatus.APPLIED.value
        or record is None
        or record["version"] != 1
    ):
        return None
    return dumps({BY_REFERENCE: "created", "record_id": record["id"], "missing_photos": record["missing_photos"]})


def _rebuild(tx: Tx, directory: Directory, stored: dict[str, Any], view: View) -> dict[str, str]:
    """The stored answers kept by reference, rebuilt from the records' first version rows, as JSON text."""
    marker = f'"{BY_REFERENCE}":"created"'  # a quote inside a JSON string is escaped: only the key matches
    refs = {
        mid: ref
        for mid, row in stored.items()
        if marker in row.result and (ref := json.loads(row.result)).get(BY_REFERENCE) == "created"
    }
    if not refs:
        return {}
    v = customer_versions.c
    first = {
        r.record_id: r
        for r in tx.conn.execute(
            select(v.record_id, v.changes, v.status, v.actor_id, v.at).where(
                v.record_id.in_(sorted({ref["record_id"] for ref in refs.values()})), v.version == 1
            )
        )
    }
    out = {}
    for mid, ref in refs.items():
        row = first[ref["record_id"]]
        values = {k: ch["new"] for k, ch in json.loads(row.changes).items()}
        rec = Rec(
            ref["record_id"],
            1,
            row.status,
            None,
            False,
            0,
            values,
            None,
            {},
            None,
            ref["missing_photos"],
            row.actor_id,
            row.actor_id,
            False,
            row.at,
            row.at,
            updated_by_id=row.actor_id,
        )
        out[mid] = dumps(
            {
                "mutation_id": mid,
                "status": ResultStatus.APPLIED.value,
                "record": rec.to_wire(directory, view),
                "conflicts": [],
                "errors": [],
            }
        )
    return out


class Results(list[dict[str, Any]]):
    """The results of a push (dicts), with each one's canonical JSON text in ``encoded``."""

    encoded: list[str]


def _results(tx: Tx, caller: Caller, batch: list[dict[str, Any]]) -> Results:
    raw, encoded = _apply(tx, caller, batch)
    out = Results(r if isinstance(r, dict) else json.loads(r) for r in raw)
    out.encoded = encoded
    return out


def push(db: Database, caller: Caller, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply a batch in one write transaction; the list also carries every result as JSON text
    (``Results.encoded``: each new result is encoded once, for its row, and the answer reuses it)."""
    return db.write(lambda tx: _results(tx, caller, batch))

"""``POST /sync/push``: a batch of mutations applied in one transaction, idempotently.

Each mutation id is stored with the SHA-256 of the mutation's canonical body and its result, in the
same transaction as its effect. A replay (same id, same body) gets the stored result and changes
nothing; the same id with another body, or another user's id, is ``rejected`` with
``mutation_reused`` and is not stored. Two requests carrying the same new id at the same moment
meet at the primary key: the loser's transaction is retried and then finds the winner's result.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from sqlalchemy import select

from app.models.wire import ErrorCode, MutationKind, ResultStatus, mutation_hash
from server import apply
from server.accounts import Caller
from server.db import Database, Tx
from server.forms import current_form
from server.records import UnitOfWork, dumps
from server.schema import mutations
from server.scope import Directory

HANDLERS: dict[str, Callable[[UnitOfWork, dict[str, Any]], dict[str, Any]]] = {
    MutationKind.SAVE.value: apply.save,
    MutationKind.SUBMIT.value: apply.submit,
    MutationKind.DELETE.value: apply.delete,
    MutationKind.VISIT.value: apply.visit,
    MutationKind.DECIDE.value: apply.decide,
    MutationKind.CHECK.value: apply.check,
}


def reused(mutation_id: str) -> dict[str, Any]:
    return {"mutation_id": mutation_id, "status": ResultStatus.REJECTED.value, "record": None, "conflicts": [],
            "errors": [{"field": "mutation_id", "code": ErrorCode.MUTATION_REUSED.value,
                        "message": "This mutation id was already used for a different mutation.", "params": {}}]}


def _stored(tx: Tx, ids: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(ids), 500):
        q = select(mutations).where(mutations.c.mutation_id.in_(ids[i:i + 500]))
        out.update({r.mutation_id: r for r in tx.conn.execute(q).all()})
    return out


def apply_batch(tx: Tx, caller: Caller, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply the mutations in order; returns one result per mutation (stored ones for replays)."""
    return [r if isinstance(r, dict) else json.loads(r) for r in _apply(tx, caller, batch)[0]]


def _apply(tx: Tx, caller: Caller, batch: list[dict[str, Any]]) -> tuple[list[dict[str, Any] | str], list[str]]:
    """The results (a replay's stored result as its JSON text, not decoded) and every result as JSON text.

    Each new result is encoded once, for its ``mutations`` row; the HTTP answer reuses those bytes."""
    conn = tx.conn
    uow = UnitOfWork(tx, caller.user, current_form(conn), Directory.load(conn))
    stored = _stored(tx, sorted({m["mutation_id"] for m in batch}))
    uow.load(m["record_id"] for m in batch if m["mutation_id"] not in stored)
    results: list[dict[str, Any] | str] = []
    encoded: list[str] = []
    in_batch: dict[str, tuple[str, dict[str, Any], str]] = {}
    for m in batch:
        mid, digest = m["mutation_id"], mutation_hash(m)
        if mid in stored:
            row = stored[mid]
            if row.body_hash == digest and row.user_id == caller.user.id:
                results.append(row.result)
                encoded.append(row.result)
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
            uow.mutation_rows.append({"mutation_id": mid, "user_id": caller.user.id, "body_hash": digest,
                                      "result": text, "at": uow.now})
            results.append(res)
            encoded.append(text)
    uow.flush()
    return results, encoded


class Results(list):  # type: ignore[type-arg]
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

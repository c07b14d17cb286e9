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
    conn = tx.conn
    uow = UnitOfWork(tx, caller.user, current_form(conn), Directory.load(conn))
    stored = _stored(tx, sorted({m["mutation_id"] for m in batch}))
    uow.load(m["record_id"] for m in batch if m["mutation_id"] not in stored)
    results: list[dict[str, Any]] = []
    in_batch: dict[str, tuple[str, dict[str, Any]]] = {}
    for m in batch:
        mid, digest = m["mutation_id"], mutation_hash(m)
        if mid in stored:
            row = stored[mid]
            same = row.body_hash == digest and row.user_id == caller.user.id
            results.append(json.loads(row.result) if same else reused(mid))
        elif mid in in_batch:
            first_digest, first_result = in_batch[mid]
            results.append(first_result if first_digest == digest else reused(mid))
        else:
            res = HANDLERS[m["kind"]](uow, m)
            in_batch[mid] = (digest, res)
            uow.mutation_rows.append({"mutation_id": mid, "user_id": caller.user.id, "body_hash": digest,
                                      "result": dumps(res), "at": uow.now})
            results.append(res)
    uow.flush()
    return results


def push(db: Database, caller: Caller, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return db.write(lambda tx: apply_batch(tx, caller, batch))

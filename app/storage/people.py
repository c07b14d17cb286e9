"""Who made the changes that arrive from the server (``made_by``) and the display names the server
sends (``people_of``), for the history and the lists (docs/domain.md, "Who did it, and when").
Plain functions over the server's records; ``archive.outbox`` (sync.py) applies them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.models.catalogue import EditableBy, FormDefinition
from app.models.record import SYSTEM_ACTOR
from app.models.remote import RemoteRecord

#: meta key: the display name of each account the server named (login name -> display name), JSON.
PEOPLE = "people"
AuditRow = tuple[str, str, str, str | None, Any, Any]


def system_fields(form: FormDefinition) -> frozenset[str]:
    return frozenset(f.key for f in form.fields if f.editable_by is EditableBy.SYSTEM)


def made_by(record: RemoteRecord, entry: AuditRow, system: frozenset[str]) -> str:
    """Who made a change that arrived from the server (docs/domain.md "Who did it"): a decision and
    the status it set by the reviewer, a submission by its submitter, a field only the system keeps
    (the customer code given on approval, the classification) by ``system``, a new record by its
    creator, anything else by the account that made the version received. "" when the server did
    not say (an older server): the history then names this archive's user, as before."""
    _e, _id, action, field, _old, new = entry
    review = record.review or {}
    if action == "review":
        return str((new or {}).get("by") or record.updated_by or "")
    if action == "status":
        decided = {"approved": "approve", "returned": "return"}.get(str(new))
        if decided and review.get("action") == decided and review.get("by"):
            return str(review["by"])
        if new == "pending" and review.get("submitted_by"):
            return str(review["submitted_by"])
    if action == "update" and field in system:
        return SYSTEM_ACTOR
    if action == "create":
        return record.created_by or record.updated_by or ""
    return record.updated_by or ""


def people_of(records: Sequence[RemoteRecord]) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in records:
        out.update(r.people)
        review = r.review or {}
        for key, name in (("by", "by_name"), ("submitted_by", "submitted_by_name")):
            if isinstance(review.get(key), str) and isinstance(review.get(name), str) and review[name]:
                out[review[key]] = review[name]
    return out

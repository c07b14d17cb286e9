"""The customer's signatures on the server (客户签名确认, F3 L320).

``add`` is the push handler of ``signature.add`` (server.push): whoever may edit the customer records the
customer's signature (a PNG uploaded like a photo) over the values of the signed fields
(app.validation.consent.SIGNED_FIELDS), which must be the customer's values on the server now
(``signature.stale`` otherwise) with their digest; the verifier is the caller. A signature is never edited;
a later change to a signed field makes it outdated, worked out whenever it is sent (``with_state``: the
same rule as the client's). Like the integrity file, it makes no new version of the customer: it emits the
customer's feed row, and the feed sends the customer's signatures with the record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from app.i18n import translate
from app.validation import consent as rules
from app.validation.secrecy import PERSONAL, placeholder
from server.apply import applied, error, rejected, target
from server.records import UnitOfWork, dumps
from server.schema import signatures
from server.scope import Directory
from server.secrecy import View


def _error(field: str, code: str) -> dict[str, Any]:
    return error(code, f"signature.{field}", translate(rules.MESSAGES[code], "en"))


def add(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    rec, refusal = target(uow, m)
    if refusal:
        return refusal
    assert rec is not None
    if rec.is_new:  # created in this same push: not written yet (the client sends it in a later round)
        return rejected(m, uow, [error("not_found")])
    s = m.get("signature")
    if not s:
        return rejected(m, uow, [_error("fields", "signature.nothing")], rec)
    problems = rules.signature_problems(s, uow.today, slack_days=1)
    if problems:
        return rejected(m, uow, [_error(f, c) for f, c in problems], rec)
    if rules.signed_values(rec.values) != dict(s["fields"]):
        return rejected(m, uow, [_error("fields", "signature.stale")], rec)
    if uow.tx.conn.execute(select(signatures.c.id).where(signatures.c.id == s["id"])).first() is not None:
        return rejected(m, uow, [_error("id", "signature.duplicate")], rec)
    if uow.missing([s["image"]]):
        return rejected(m, uow, [error("photo.missing", "signature.image", "The signature's picture is not sent yet.")])
    uow.tx.conn.execute(
        insert(signatures).values(
            id=s["id"],
            record_id=rec.id,
            signed_on=s["signed_on"],
            image=s["image"],
            fields=dumps(dict(s["fields"])),
            digest=s["digest"],
            record_version=rec.version,
            verified_by_id=uow.user.id,
            created_at=uow.now,
        )
    )
    uow.refs.setdefault(rec.id, set()).add(s["image"])  # readable by whoever sees the customer
    return applied(uow, m, rec)


def of_records(conn: Connection, rids: Sequence[str], d: Directory) -> dict[str, list[dict[str, Any]]]:
    """Each named customer's signatures, oldest first, as stored (``with_state`` adds what changed since)."""
    out: dict[str, list[dict[str, Any]]] = {rid: [] for rid in rids}
    ids = sorted(out)
    for i in range(0, len(ids), 500):
        rows = conn.execute(
            select(signatures)
            .where(signatures.c.record_id.in_(ids[i : i + 500]))
            .order_by(signatures.c.created_at, signatures.c.id)
        ).all()
        d.want([r.verified_by_id for r in rows])
        for r in rows:
            out[r.record_id].append(
                {
                    "id": r.id,
                    "signed_on": r.signed_on,
                    "image": r.image,
                    "fields": json.loads(r.fields),
                    "digest": r.digest,
                    "version": r.record_version,
                    "verified_by": d.name(r.verified_by_id),
                    "recorded_at": r.created_at,
                }
            )
    return out


def with_state(sigs: Sequence[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The signatures with ``changed``: the signed fields whose value differs from ``values`` (the customer's
    current values); not empty: the confirmation is outdated."""
    return [{**s, "changed": rules.changed_fields(s["fields"], values)} for s in sigs]


def signed_view(view: View, rec: Any, d: Directory, sigs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``with_state`` over the real values, then the signed values the caller may not see as placeholders
    (server.secrecy): whether a confirmation is outdated is told, the hidden value is not. In the masked view the
    image is a placeholder too (``⟦masked:personal⟧``): the date, the verifier and the state are told, the person's
    handwriting is not, and its hash is not sent (so it cannot be fetched from ``/photos``)."""
    gone = view.hidden(rec.owner_id, rec.created_by_id, rec.values, d)
    image = {"image": placeholder(PERSONAL)} if view.masked_view() else {}  # the person's hand: not the outlet's
    return [{**s, "fields": view.apply(gone, s["fields"]), **image} for s in with_state(sigs, rec.values)]

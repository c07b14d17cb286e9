"""The service records on the server (客户服务记录): visit plans, care dates, surveys, terminal observations.

``add`` and ``step`` are the push handlers of ``service.add`` and ``service.step`` (server.push). Whoever may
edit the customer records them; the rules are the client's own (``app.validation.service``), checked again
here, and a survey's validity is worked out here from its answers (the client's word is not taken). A step
names the revision it follows: a step on a record that moved on meanwhile is refused (``service.stale``).
None of them makes a new version of the customer: they emit the customer's feed row, and the feed
(``of_records``) sends each customer's service records, whole, with the record (``Record.service``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from app.i18n import translate
from app.validation import service as rules
from server.apply import applied, error, rejected, target
from server.records import UnitOfWork, dumps
from server.schema import service_records
from server.scope import Directory


def _errors(problems: Sequence[tuple[str, str]], prefix: str, **params: Any) -> list[dict[str, Any]]:
    return [
        error(code, f"{prefix}.{field}", translate(rules.MESSAGES[code], "en").format(**params), **params)
        for field, code in problems
    ]


def add(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    rec, refusal = target(uow, m)
    if refusal:
        return refusal
    assert rec is not None
    if rec.is_new:  # created in this same push: not written yet (the client sends it in a later round)
        return rejected(m, uow, [error("not_found")])
    s = m.get("service")
    if not s:
        return rejected(m, uow, _errors([("kind", "service.kind")], "service"), rec)
    problems = rules.record_problems(s, uow.today, slack_days=1)
    if problems:
        return rejected(m, uow, _errors(problems, "service"), rec)
    if uow.tx.conn.execute(select(service_records.c.id).where(service_records.c.id == s["id"])).first():
        return rejected(m, uow, _errors([("id", "service.duplicate")], "service"), rec)
    body = dict(s["body"])
    if s["kind"] == "survey":  # the server's own judgement (F0 L17), with the mean score
        body["invalid"] = rules.validity(body.get("answers") or {})
        body["score"] = rules.score(body.get("answers") or {})
    uow.tx.conn.execute(
        insert(service_records).values(
            id=s["id"],
            record_id=rec.id,
            kind=s["kind"],
            on_date=s["on_date"],
            body=dumps(body),
            status=rules.initial_status(s["kind"], body),
            revision=1,
            recorded_by_id=uow.user.id,
            created_at=uow.now,
            updated_at=uow.now,
        )
    )
    return applied(uow, m, rec)


def step(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    rec, refusal = target(uow, m)
    if refusal:
        return refusal
    assert rec is not None
    s = m.get("service_step")
    if not s:
        return rejected(m, uow, _errors([("action", "service.action")], "service_step"), rec)
    q = select(service_records).where(service_records.c.id == s["record_id"], service_records.c.record_id == rec.id)
    if uow.tx.db.is_postgres:
        q = q.with_for_update()
    row = uow.tx.conn.execute(q).first()
    if row is None:
        return rejected(m, uow, _errors([("record_id", "service.not_found")], "service_step"), rec)
    if s["revision"] != row.revision:
        return rejected(m, uow, _errors([("revision", "service.stale")], "service_step"), rec)
    status = translate(rules.STATUS_LABELS.get(row.status, row.status), "en")
    problems = rules.step_problems(row.kind, row.status, s, uow.today, slack_days=1)
    if problems:
        return rejected(m, uow, _errors(problems, "service_step", status=status), rec)
    body = json.loads(row.body)
    if s["action"] == "done":
        body["done_on"] = s["done_on"]
        if s.get("visit_id"):
            body["visit_id"] = s["visit_id"]
    else:
        body["cancel_reason"] = (s.get("reason") or "").strip()
    uow.tx.conn.execute(
        update(service_records)
        .where(service_records.c.id == row.id)
        .values(
            body=dumps(body),
            status=rules.STEPS[(row.kind, s["action"])][1],
            revision=row.revision + 1,
            updated_at=uow.now,
        )
    )
    return applied(uow, m, rec)


def of_records(conn: Connection, rids: Sequence[str], d: Directory) -> dict[str, list[dict[str, Any]]]:
    """Each named customer's service records, by day (every customer named gets a list, maybe empty)."""
    out: dict[str, list[dict[str, Any]]] = {rid: [] for rid in rids}
    ids = sorted(out)
    for i in range(0, len(ids), 500):
        rows = conn.execute(
            select(service_records)
            .where(service_records.c.record_id.in_(ids[i : i + 500]))
            .order_by(service_records.c.on_date, service_records.c.created_at, service_records.c.id)
        ).all()
        d.want([r.recorded_by_id for r in rows])
        for r in rows:
            out[r.record_id].append(
                {
                    "id": r.id,
                    "kind": r.kind,
                    "on_date": r.on_date,
                    "body": json.loads(r.body),
                    "status": r.status,
                    "revision": r.revision,
                    "recorded_by": d.name(r.recorded_by_id),
                    "recorded_at": r.created_at,
                }
            )
    return out

"""The integrity archive on the server (诚信档案, F3 L165–181): entries, complaints and their steps.

``add_entry``, ``open_complaint`` and ``complaint_step`` are the push handlers of ``integrity.add``,
``complaint.open`` and ``complaint.step`` (server.push). They check scope and role like the other
mutations (``server.apply``), the rules of ``app.validation.integrity`` (the client's own), and the
complaint's transitions against its stored state and revision; each complaint step is kept in
``complaint_steps`` with who and when (the server's record of it). None of them makes a new version of the
customer: they emit the customer's feed row, and the feed (``files``) sends each customer's integrity file,
whole, with the record (``Record.integrity``), so every client that sees the customer gets it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from app.i18n import translate
from app.validation import integrity as rules
from server.apply import applied, error, rejected, target
from server.calendar import server_calendar
from server.config import CHINA_TZ
from server.records import UnitOfWork, dumps
from server.schema import complaint_steps, complaints, customers, integrity_entries, users
from server.scope import Directory, can_decide, can_edit

#: The window of entries a rating is based on (F3 L175 names no period; a year, the usual rating cycle).
BASIS_DAYS = 365


def _errors(problems: Sequence[tuple[str, str]], prefix: str, **params: Any) -> list[dict[str, Any]]:
    return [
        error(code, f"{prefix}.{field}", translate(rules.MESSAGES[code], "en").format(**params), **params)
        for field, code in problems
    ]


def _exists(uow: UnitOfWork, table: Any, key: str) -> bool:
    return uow.tx.conn.execute(select(table.c.id).where(table.c.id == key)).first() is not None


def add_entry(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    """An entry of the outlet's integrity file, by whoever may edit the customer; never edited afterwards."""
    rec, refusal = target(uow, m)
    if refusal:
        return refusal
    assert rec is not None
    if rec.is_new:  # created in this same push (the client sends one row per customer a round): not yet written
        return rejected(m, uow, [error("not_found")])
    e = m.get("entry")
    if not e:
        return rejected(m, uow, [error("integrity.missing", "entry", "An integrity entry needs its details.")], rec)
    problems = rules.entry_problems(e, uow.today, slack_days=1)
    if problems:
        return rejected(m, uow, _errors(problems, "entry"), rec)
    if _exists(uow, integrity_entries, e["id"]):
        return rejected(m, uow, [error("integrity.duplicate", "entry.id", "This entry is on the server already.")], rec)
    photos = list(dict.fromkeys(e.get("photos") or []))
    missing = uow.missing(photos)
    if missing:
        return rejected(
            m,
            uow,
            [error("photo.missing", "entry.photos", f"Photo {h[:12]} is not on the server yet.") for h in missing],
        )
    uow.tx.conn.execute(
        insert(integrity_entries).values(
            id=e["id"],
            record_id=rec.id,
            kind=e["kind"],
            source=e["source"],
            occurred_on=e["occurred_on"],
            text=e["text"].strip(),
            handling=(e.get("handling") or "").strip(),
            photos=dumps(photos),
            recorded_by_id=uow.user.id,
            created_at=uow.now,
        )
    )
    uow.refs.setdefault(rec.id, set()).update(photos)
    return applied(uow, m, rec)


def open_complaint(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    """A complaint received about the outlet: its deadline is ``DEADLINE_WORKDAYS`` working days on."""
    rec, refusal = target(uow, m)
    if refusal:
        return refusal
    assert rec is not None
    if rec.is_new:
        return rejected(m, uow, [error("not_found")])
    c = m.get("complaint")
    if not c:
        return rejected(m, uow, [error("complaint.missing", "complaint", "A complaint needs its details.")], rec)
    problems = rules.complaint_problems(c, uow.today, slack_days=1)
    if problems:
        return rejected(m, uow, _errors(problems, "complaint"), rec)
    if _exists(uow, complaints, c["id"]):
        return rejected(m, uow, [error("complaint.duplicate", "complaint.id", "This complaint is on the server.")], rec)
    received = dt.date.fromisoformat(c["received_on"])
    deadline = rules.default_deadline(received, server_calendar(uow.tx.conn).add_workdays)
    row = {
        "id": c["id"],
        "record_id": rec.id,
        "channel": c["channel"],
        "received_on": received.isoformat(),
        "content": c["content"].strip(),
        "complainant_name": (c.get("complainant_name") or "").strip(),
        "complainant_phone": (c.get("complainant_phone") or "").strip(),
        "status": "received",
        "assignee_id": None,
        "deadline": deadline.isoformat(),
        "handling": "",
        "answer": "",
        "response": "",
        "closed_on": None,
        "revision": 1,
        "created_by_id": uow.user.id,
        "created_at": uow.now,
        "updated_at": uow.now,
    }
    uow.tx.conn.execute(insert(complaints).values(**row))
    _step_row(uow, c["id"], 1, "open", {"channel": row["channel"], "received_on": row["received_on"]})
    return applied(uow, m, rec)


def _step_row(uow: UnitOfWork, complaint_id: str, revision: int, action: str, data: dict[str, Any]) -> None:
    uow.tx.conn.execute(
        insert(complaint_steps).values(
            complaint_id=complaint_id, revision=revision, action=action, data=dumps(data), by_id=uow.user.id, at=uow.now
        )
    )


def _user_named(conn: Connection, name: str) -> Any:
    return conn.execute(select(users).where(users.c.name == name.strip())).first()


def complaint_step(uow: UnitOfWork, m: dict[str, Any]) -> dict[str, Any]:
    """A step of a complaint. The team's market manager (or an admin) assigns it to someone who may edit the
    customer; the assignee, or the market manager, handles, answers and closes it. ``revision`` names the
    state the step follows: a step on a complaint that moved on meanwhile is refused (``complaint.stale``)."""
    rec, refusal = target(uow, m, edit=False)
    if refusal:
        return refusal
    assert rec is not None
    s = m.get("step")
    if not s:
        return rejected(m, uow, [error("complaint.missing", "step", "A complaint step needs its details.")], rec)
    q = select(complaints).where(complaints.c.id == s["complaint_id"], complaints.c.record_id == rec.id)
    if uow.tx.db.is_postgres:
        q = q.with_for_update()
    row = uow.tx.conn.execute(q).first()
    if row is None:
        return rejected(m, uow, [error("complaint.not_found", "step.complaint_id", "There is no such complaint.")], rec)
    manager = can_decide(uow.user, rec, uow.directory)
    if not manager and row.assignee_id != uow.user.id:
        return rejected(m, uow, [error("forbidden", "step", "Only the assignee or the market manager may do this.")])
    if s["action"] == "assign" and not manager:
        return rejected(m, uow, [error("forbidden", "step.action", "Only the market manager assigns a complaint.")])
    if s["revision"] != row.revision:
        return rejected(
            m,
            uow,
            [error("complaint.stale", "step.revision", "The complaint changed meanwhile; look at it again.")],
            rec,
        )
    problems = rules.step_problems(row.status, row.received_on, s)
    if problems:
        status = translate(rules.STATUS_LABELS[row.status], "en")
        return rejected(m, uow, _errors(problems, "step", status=status), rec)
    values: dict[str, Any] = {"status": rules.ACTIONS[s["action"]], "revision": row.revision + 1, "updated_at": uow.now}
    text = (s.get("text") or "").strip()
    if s["action"] == "assign":
        who = _user_named(uow.tx.conn, s["assignee"])
        if who is None or who.disabled or not can_edit(_as_user(uow.directory, who.id), rec, uow.directory):
            return rejected(
                m,
                uow,
                [
                    error(
                        "complaint.assignee", "step.assignee", "Assign it to an enabled person who keeps this customer."
                    )
                ],
                rec,
            )
        values["assignee_id"] = who.id
        if s.get("deadline"):
            values["deadline"] = s["deadline"]
    elif s["action"] == "handle":
        values["handling"] = text
    elif s["action"] == "answer":
        values["answer"] = text
    else:
        values["response"], values["closed_on"] = text, uow.today.isoformat()
    uow.tx.conn.execute(update(complaints).where(complaints.c.id == row.id).values(**values))
    data = {k: v for k, v in values.items() if k not in ("revision", "updated_at")}
    _step_row(uow, row.id, row.revision + 1, s["action"], data)
    return applied(uow, m, rec)


def _as_user(d: Directory, uid: int) -> Any:
    user = d.get(uid)
    assert user is not None
    return user


def _entry_wire(r: Any, d: Directory) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "source": r.source,
        "occurred_on": r.occurred_on,
        "text": r.text,
        "handling": r.handling,
        "photos": json.loads(r.photos),
        "recorded_by": d.name(r.recorded_by_id),
        "recorded_at": r.created_at,
    }


def _complaint_wire(r: Any, d: Directory) -> dict[str, Any]:
    return {
        "id": r.id,
        "channel": r.channel,
        "received_on": r.received_on,
        "content": r.content,
        "complainant_name": r.complainant_name,
        "complainant_phone": r.complainant_phone,
        "status": r.status,
        "assignee": d.name(r.assignee_id),
        "deadline": r.deadline,
        "handling": r.handling,
        "answer": r.answer,
        "response": r.response,
        "closed_on": r.closed_on,
        "revision": r.revision,
        "created_by": d.name(r.created_by_id),
    }


def files(conn: Connection, rids: Sequence[str], d: Directory) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each customer's integrity file as the feed sends it (every customer named gets one, maybe empty)."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {rid: {"entries": [], "complaints": []} for rid in rids}
    ids = sorted(out)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        erows = conn.execute(
            select(integrity_entries)
            .where(integrity_entries.c.record_id.in_(chunk))
            .order_by(integrity_entries.c.occurred_on, integrity_entries.c.created_at)
        ).all()
        crows = conn.execute(
            select(complaints).where(complaints.c.record_id.in_(chunk)).order_by(complaints.c.received_on)
        ).all()
        d.want([r.recorded_by_id for r in erows] + [x for r in crows for x in (r.assignee_id, r.created_by_id)])
        for r in erows:
            out[r.record_id]["entries"].append(_entry_wire(r, d))
        for r in crows:
            out[r.record_id]["complaints"].append(_complaint_wire(r, d))
    return out


def basis(conn: Connection, record_id: str, on: dt.date) -> dict[str, Any]:
    """What a rating on ``on`` is based on (信息采集, F3 L175): the entries of the ``BASIS_DAYS`` before it,
    counted by kind, with their ids; and the complaints received then, with those still unanswered."""
    since = (on - dt.timedelta(days=BASIS_DAYS)).isoformat()
    rows = conn.execute(
        select(integrity_entries.c.id, integrity_entries.c.kind).where(
            integrity_entries.c.record_id == record_id,
            integrity_entries.c.occurred_on > since,
            integrity_entries.c.occurred_on <= on.isoformat(),
        )
    ).all()
    counts = {k: 0 for k in rules.KINDS}
    for r in rows:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    cs = conn.execute(
        select(complaints.c.status).where(
            complaints.c.record_id == record_id,
            complaints.c.received_on > since,
            complaints.c.received_on <= on.isoformat(),
        )
    ).all()
    return {
        "since": since,
        "until": on.isoformat(),
        "counts": counts,
        "entries": sorted(r.id for r in rows),
        "complaints": len(cs),
        "complaints_open": sum(1 for r in cs if r.status in rules.OPEN_STATUSES),
    }


#: The figures of one collector (or the total) in the monthly report's complaints table.
FIGURES = ("received", "closed", "closed_in_time", "overdue")


def _china_day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts, CHINA_TZ).date()


def month_figures(
    conn: Connection, visible: Any, first: dt.date, nxt: dt.date, as_of: dt.date
) -> dict[int, dict[str, int]]:
    """The complaints of the visible customers in the month [``first``, ``nxt``) as of ``as_of``, counted
    by the customer's owner (the customer manager): received (the day it came in), closed (the day it was
    closed), closed within the deadline (closed that month, on or before its deadline day) and overdue
    (not answered by its deadline on some day of the month up to ``as_of``: ``rules.is_overdue`` on that
    day, the day of the answer step read from ``complaint_steps``)."""
    answered = (
        select(complaint_steps.c.complaint_id, func.min(complaint_steps.c.at).label("at"))
        .where(complaint_steps.c.action == "answer")
        .group_by(complaint_steps.c.complaint_id)
        .subquery()
    )
    c = complaints.c
    q = (
        select(customers.c.owner_id, c.received_on, c.deadline, c.closed_on, answered.c.at)
        .join(customers, customers.c.id == c.record_id)
        .outerjoin(answered, answered.c.complaint_id == c.id)
        .where(
            visible,
            customers.c.deleted.is_(False),
            c.received_on < nxt.isoformat(),
            c.closed_on.is_(None) | (c.closed_on >= first.isoformat()),
        )
    )
    out: dict[int, dict[str, int]] = {}
    for owner, received_on, deadline, closed_on, answered_at in conn.execute(q):
        n = out.setdefault(owner, dict.fromkeys(FIGURES, 0))
        if received_on >= first.isoformat():
            n["received"] += 1
        if closed_on and closed_on < nxt.isoformat():
            n["closed"] += 1
            n["closed_in_time"] += int(closed_on <= deadline)
        # the first day of the month it could be overdue: the day after its deadline, at the earliest
        day = max(first, dt.date.fromisoformat(deadline) + dt.timedelta(days=1))
        answered_on = _china_day(answered_at) if answered_at is not None else None
        if day <= as_of and (answered_on is None or answered_on >= day):
            n["overdue"] += 1
    return out

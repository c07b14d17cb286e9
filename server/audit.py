"""The clients' audit trails, uploaded at sync (``POST /audit``) and kept as a copy the laptop
cannot change afterwards; read by administrators (``python -m server audit list|verify``).

A client sends its entries in order, from the first one the server has not acknowledged. Each
entry is checked with the client's own chain function (``app.models.audit_chain``): its hash must
match its content and the hash before it; the first one must follow an entry the server holds
(or be the first of the trail); every entry must be of the caller's device. An entry the server
already holds is skipped (a retry changes nothing). An entry at a position that already holds
another is kept too and both are marked as a fork: an archive restored from a backup and used
again, or a trail rewritten on the laptop. Nothing is overwritten, and the auditor sees it.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sqlalchemy import Connection, func, select, update

from app.models.audit_chain import FIELDS, GENESIS, entry_hash
from app.models.wire import ErrorCode
from server.accounts import Caller
from server.db import Database, Tx
from server.errors import ApiError
from server.schema import audit_entries, devices, users

A = audit_entries.c


def _device_of(conn: Connection, who: Caller) -> str:
    return str(conn.execute(select(devices.c.device_id).where(devices.c.id == who.device_pk)).scalar_one())


def _head(conn: Connection, device: str) -> int:
    return int(conn.execute(select(func.max(A.seq)).where(A.device == device)).scalar() or 0)


def _starts_trail(e: dict[str, Any]) -> bool:
    return e["seq"] == 1 and e["prev_hash"] == GENESIS


def _broken(i: int, field: str, message: str) -> ApiError:
    return ApiError(422, ErrorCode.AUDIT_BROKEN, message,
                    fields=[{"field": f"entries[{i}].{field}", "code": ErrorCode.AUDIT_BROKEN.value, "message": message}])


def check_chain(entries: list[dict[str, Any]], device: str) -> None:
    """Every entry of the caller's device, its hash right, each one following the one before it."""
    for i, e in enumerate(entries):
        if e["device"] != device:
            raise ApiError(422, ErrorCode.VALIDATION, "These entries were written on another device.",
                           fields=[{"field": f"entries[{i}].device", "code": "audit.device",
                                    "message": "not the device this session signed in from"}])
        if entry_hash(e["prev_hash"], e) != e["hash"]:
            raise _broken(i, "hash", f"Entry {e['seq']} does not match its hash.")
        if i and (e["seq"] != entries[i - 1]["seq"] + 1 or e["prev_hash"] != entries[i - 1]["hash"]):
            raise _broken(i, "prev_hash", f"Entry {e['seq']} does not follow entry {entries[i - 1]['seq']}.")


def _upload(tx: Tx, who: Caller, entries: list[dict[str, Any]]) -> dict[str, Any]:
    conn = tx.conn
    device = _device_of(conn, who)
    check_chain(entries, device)
    if tx.db.is_postgres:  # one upload per device at a time: the fork marks see each other
        conn.execute(select(devices.c.id).where(devices.c.id == who.device_pk).with_for_update())
    hashes = [e["hash"] for e in entries]
    known = set(conn.execute(select(A.hash).where(A.device == device, A.hash.in_(hashes))).scalars())
    first = entries[0]
    if first["hash"] not in known:
        follows = _starts_trail(first) or conn.execute(
            select(A.id).where(A.device == device, A.hash == first["prev_hash"], A.seq == first["seq"] - 1)).first()
        if not follows:
            head = _head(conn, device)
            raise ApiError(409, ErrorCode.AUDIT_GAP,
                           f"Entry {first['seq']} does not follow an entry the server holds (it holds up to {head}).",
                           extra={"offset": head})
    new = [e for e in entries if e["hash"] not in known]
    taken: set[int] = set()
    if new:
        taken.update(conn.execute(select(A.seq).where(A.device == device, A.seq.in_([e["seq"] for e in new]))).scalars())
    if taken:
        conn.execute(update(audit_entries).where(A.device == device, A.seq.in_(sorted(taken))).values(forked=True))
    now = time.time()
    if new:
        conn.execute(audit_entries.insert(), [
            {**{k: e[k] for k in FIELDS}, "prev_hash": e["prev_hash"], "hash": e["hash"], "forked": e["seq"] in taken,
             "uploaded_by_id": who.user.id, "received_at": now} for e in new])
    return {"stored": len(new), "known": len(entries) - len(new), "forked": len(taken), "head": entries[-1]["seq"]}


def upload(db: Database, who: Caller, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return db.write(lambda tx: _upload(tx, who, entries))


def listing(conn: Connection, *, device: str | None = None, user: str | None = None, entity: str | None = None,
            action: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The newest ``limit`` entries (oldest first) matching the filters; ``user`` is who uploaded them."""
    q = select(audit_entries, users.c.name.label("uploaded_by")).join(users, users.c.id == A.uploaded_by_id)
    for col, value in ((A.device, device), (users.c.name, user), (A.entity, entity), (A.action, action)):
        if value:
            q = q.where(col == value)
    rows = conn.execute(q.order_by(A.at.desc(), A.id.desc()).limit(limit)).mappings().all()
    keep = ("device", "seq", "at", "actor", "entity", "entity_id", "action", "field", "old", "new", "source",
            "source_ref", "info_date", "forked", "uploaded_by")
    return [{k: r[k] for k in keep} for r in reversed(rows)]


def verify(conn: Connection) -> list[str]:
    """Every entry held matches its hash and follows an entry held (or starts the trail); forks listed."""
    problems: list[str] = []
    by_device: dict[str, dict[str, dict[str, Any]]] = {}
    for r in conn.execute(select(audit_entries).order_by(A.device, A.seq, A.id)).mappings():
        by_device.setdefault(r["device"], {})[r["hash"]] = dict(r)
    for device, held in by_device.items():
        for h, e in held.items():
            if entry_hash(e["prev_hash"], e) != h:
                problems.append(f"{device} #{e['seq']}: the entry does not match its hash")
            elif not (_starts_trail(e) or (e["prev_hash"] in held and held[e["prev_hash"]]["seq"] == e["seq"] - 1)):
                problems.append(f"{device} #{e['seq']}: the entry before it is missing")
        at = Counter(e["seq"] for e in held.values())
        problems.extend(f"{device} #{seq}: {n} different entries (fork)" for seq, n in sorted(at.items()) if n > 1)
    return problems

"""Changes the server makes on its own (classification, credit grades): the ``system`` actor.

They go through the same unit of work as a push, so each changed record gets a new version in
``customer_versions`` (actor ``system``, provenance ``{"source": ..., "source_ref": ...}``) and a
``record`` row in the change feed; clients receive them like any other change. Only records
whose values really change get a new version.

The ``system`` user is a disabled admin account with no usable password: it can never log in,
it only names the actor in the version chain. It is created the first time it is needed; a user
that someone else created under that name is refused.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from server.accounts import AccountError, User, get_user
from server.db import Tx
from server.forms import current_form
from server.records import UnitOfWork
from server.schema import users
from server.scope import Directory

SYSTEM_NAME = "system"
NO_PASSWORD = "!system: no password"  # not an Argon2 hash: verification always fails
CHUNK = 1000  # records loaded, changed and written at a time


def system_user(tx: Tx) -> User:
    user = get_user(tx.conn, SYSTEM_NAME)
    if user is None:
        tx.conn.execute(
            insert(users).values(
                name=SYSTEM_NAME,
                display_name="System",
                role="admin",
                supervisor_id=None,
                password_hash=NO_PASSWORD,
                disabled=True,
                created_at=time.time(),
            )
        )
        user = get_user(tx.conn, SYSTEM_NAME)
        assert user is not None
    row = tx.conn.execute(select(users.c.password_hash).where(users.c.id == user.id)).one()
    if row.password_hash != NO_PASSWORD or not user.disabled:
        raise AccountError(f"a user named {SYSTEM_NAME!r} exists and is not the system account; rename it first")
    return user


@dataclass
class Applied:
    record_id: str
    changes: dict[str, dict[str, Any]]


def apply_system_changes(
    tx: Tx,
    updates: Mapping[str, Mapping[str, Any]],
    source: str,
    source_ref: str,
    extra: Mapping[str, Any] | None = None,
    directory: Directory | None = None,
) -> list[Applied]:
    """Set field values on records as the system; ``updates`` maps record id -> {field: new value}.

    Deleted records and values that are already the same are skipped. A record with an open change
    (``approved_values`` kept for review) gets the new value there too, so the reviewer's diff
    does not show the system's change as the collector's. ``extra`` joins the provenance (a change
    request's path and the people who did its steps, server/changes.py).
    """
    if not updates:
        return []
    user = system_user(tx)
    form = current_form(tx.conn)
    if directory is None:  # a batch job calling chunk after chunk passes the one it loaded (O(users) each)
        directory = Directory.load(tx.conn)
    ids = sorted(updates)
    done: list[Applied] = []
    for i in range(0, len(ids), CHUNK):  # a unit of work per chunk: memory holds one chunk's records
        uow = UnitOfWork(tx, user, form, directory)
        chunk = ids[i : i + CHUNK]
        uow.load(chunk)
        for rid in chunk:
            rec = uow.records.get(rid)
            if rec is None or rec.deleted:
                continue
            effective = {}
            for key, value in updates[rid].items():
                if rec.values.get(key) != value:
                    effective[key] = {"old": rec.values.get(key), "new": value}
            if not effective:
                continue
            for key, ch in effective.items():
                if ch["new"] is None:
                    rec.values.pop(key, None)
                else:
                    rec.values[key] = ch["new"]
                if rec.approved_values is not None:
                    if ch["new"] is None:
                        rec.approved_values.pop(key, None)
                    else:
                        rec.approved_values[key] = ch["new"]
            prov = {"source": source, "source_ref": source_ref, **(extra or {})}
            uow.touch(rec, f"system.{source}", effective, None, prov)
            for key in effective:
                rec.field_versions[key] = rec.version
            done.append(Applied(rid, effective))
        uow.flush()
    return done

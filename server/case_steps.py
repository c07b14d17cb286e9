"""Writing a batch of new cases' steps (``onboarding_case_steps``) in one bulk insert.

A push of 200 new customers opens 200 onboarding cases of seven steps each: 1,400 step rows, the most
rows of any table the push writes. They go in as rows by ``server.db.bulk_insert`` (``COPY`` on
PostgreSQL), the first step with its clock (when it became the waiting step and its deadline), the later
ones not reached yet.

Before the bulk inserts used ``COPY``, the later steps were copied to every case of the batch by one
``INSERT … SELECT`` over the cases just written (108 → 21 ms in-process against one statement per row).
Measured again against ``COPY`` (2026-12-07, in-process, alternating, CPU per push): on PostgreSQL a push of
10 new customers 14.2–14.7 → 10.8–11.3 ms and one of 200 82–88 → 80 ms; on SQLite 13.3–13.9 → 11.1–11.2 ms
for 10 and 90–103 against 98–106 ms for 200 (within the noise). Building that statement's typed literals on
every push cost more than the rows it saved (issue 21's storm of small pushes), so the rows are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from server.db import bulk_insert
from server.schema_onboarding import onboarding_case_steps


def step_row(
    case_id: str, position: int, step: dict[str, Any], started: tuple[float | None, float | None]
) -> dict[str, Any]:
    """One case step as written: the step table's entry, its clock (when it became the waiting step and
    its deadline; None, None for a step not reached), not done."""
    return {
        "case_id": case_id,
        "position": position,
        "code": step["code"],
        "name": step["name"],
        "owner": step["owner"],
        "hours": step.get("hours"),
        "phone": bool(step.get("phone", False)),
        "started_at": started[0],
        "deadline_at": started[1],
        "done_at": None,
        "done_by_id": None,
        "note": "",
    }


def write(conn: Connection, firsts: list[dict[str, Any]], table: Sequence[dict[str, Any]]) -> None:
    """The cases' first steps (``firsts``, rows of ``step_row`` at position 1, their cases already written)
    and every later step of ``table`` for each of those cases, not reached yet."""
    later = [
        step_row(first["case_id"], n, step, (None, None))
        for first in firsts
        for n, step in enumerate(table[1:], start=2)
    ]
    bulk_insert(conn, onboarding_case_steps, firsts + later)

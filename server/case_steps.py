"""Writing a batch of new cases' steps (``onboarding_case_steps``) in a few statements.

A push of 200 new customers opens 200 onboarding cases of seven steps each: 1,400 step rows, the most
rows of any table the push writes. Only a case's first step differs from case to case (when its clock
started and its deadline); the later steps are the step table's, the same for every case. So the first
steps go in as rows, and each later step is copied to every case of the batch by one ``INSERT … SELECT``
over the cases just written: the database makes those rows, not one statement per row (issue 21).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Float, Integer, String, cast, insert, literal, select, true, union_all
from sqlalchemy.engine import Connection

from server.db import bulk_insert
from server.schema_onboarding import onboarding_case_steps, onboarding_cases

#: Case ids per ``IN (…)`` of the copy (within every database's limit of parameters).
CHUNK = 500


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
    and every later step of ``table`` for each of those cases."""
    bulk_insert(conn, onboarding_case_steps, firsts)
    if len(table) < 2 or not firsts:
        return
    later = [
        select(*(cast(literal(v, type_), type_).label(k) for k, v, type_ in _fixed(n, s)))
        for n, s in enumerate(table[1:], start=2)
    ]
    fixed = (later[0] if len(later) == 1 else union_all(*later)).subquery("step")
    cols = [col.name for col in _columns()]
    c = onboarding_cases.c
    ids = [r["case_id"] for r in firsts]
    for i in range(0, len(ids), CHUNK):
        rows = (
            select(c.id, *fixed.c).select_from(onboarding_cases.join(fixed, true())).where(c.id.in_(ids[i : i + CHUNK]))
        )
        conn.execute(insert(onboarding_case_steps).from_select(["case_id", *cols], rows))


def _fixed(position: int, step: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """A later step's values in the column order of ``onboarding_case_steps`` after ``case_id``, typed (a
    NULL in a ``UNION`` needs its type on PostgreSQL)."""
    row = step_row("", position, step, (None, None))
    return [
        (c.name, row[c.name], TYPES.get(c.name, Float() if c.name.endswith("_at") else String())) for c in _columns()
    ]


TYPES = {"position": Integer(), "hours": Float(), "phone": Boolean(), "done_by_id": Integer()}


def _columns() -> list[Any]:
    return [c for c in onboarding_case_steps.columns if c.name != "case_id"]

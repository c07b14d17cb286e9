"""The work calendar the server publishes (public holidays and make-up working days, 调休).

The server starts from the calendar bundled with the application
(``resources/calendar/cn_workdays.json``). Years kept in the ``calendar_days`` table replace the
bundled year as a whole; other years stay as bundled. ``calendar import FILE`` (the bundled
file's format) replaces every year the file names; ``calendar set DAY KIND`` changes one day,
copying the bundled year into the table first if the table does not have that year yet.

``GET /api/v1/calendar`` serves the merged calendar with a ``version``: the first 16 hex digits
of the SHA-256 of its content, so a client fetches it again only when something changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, extract, insert, select
from sqlalchemy.engine import Connection

from app.models.workdays import WorkCalendar
from server.db import Tx
from server.schema import calendar_days

KINDS = ("holiday", "workday")


class CalendarError(Exception):
    """A refused calendar change; the message says why."""


def _bundled() -> dict[int, dict[str, set[dt.date]]]:
    cal = WorkCalendar.load()
    years: dict[int, dict[str, set[dt.date]]] = {y: {"holiday": set(), "workday": set()} for y in cal.years}
    for d in cal.holidays:
        years.setdefault(d.year, {"holiday": set(), "workday": set()})["holiday"].add(d)
    for d in cal.workdays:
        years.setdefault(d.year, {"holiday": set(), "workday": set()})["workday"].add(d)
    return years


def merged(conn: Connection) -> dict[int, dict[str, set[dt.date]]]:
    years = _bundled()
    stored: dict[int, dict[str, set[dt.date]]] = {}
    for r in conn.execute(select(calendar_days.c.day, calendar_days.c.kind)):
        stored.setdefault(r.day.year, {"holiday": set(), "workday": set()})[r.kind].add(r.day)
    years.update(stored)
    return years


def calendar_json(conn: Connection) -> dict[str, Any]:
    years = merged(conn)
    body = {
        "years": sorted(years),
        "holidays": sorted(d.isoformat() for y in years.values() for d in y["holiday"]),
        "workdays": sorted(d.isoformat() for y in years.values() for d in y["workday"]),
    }
    body["version"] = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return body


def server_calendar(conn: Connection) -> WorkCalendar:
    years = merged(conn)
    return WorkCalendar(
        frozenset(d for y in years.values() for d in y["holiday"]),
        frozenset(d for y in years.values() for d in y["workday"]),
        frozenset(years),
    )


def _store_year(tx: Tx, year: int, holidays: set[dt.date], workdays: set[dt.date]) -> None:
    both = holidays & workdays
    if both:
        raise CalendarError(f"{min(both)} is both a holiday and a working day")
    for d in holidays | workdays:
        if d.year != year:
            raise CalendarError(f"{d} is listed under the year {year}")
    tx.conn.execute(delete(calendar_days).where(extract("year", calendar_days.c.day) == year))
    now = time.time()
    rows = [{"day": d, "kind": "holiday", "updated_at": now} for d in sorted(holidays)]
    rows += [{"day": d, "kind": "workday", "updated_at": now} for d in sorted(workdays)]
    if rows:
        tx.conn.execute(insert(calendar_days), rows)


def import_file(tx: Tx, path: Path) -> list[int]:
    """Replace every year the file names; returns the years."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalendarError(f"{path}: file not found") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CalendarError(f"{path}: not a JSON file ({exc})") from None
    return import_data(tx, data, str(path))


def import_data(tx: Tx, data: Any, path: str = "the calendar") -> list[int]:
    """Replace every year ``data`` (the bundled file's shape) names; returns the years. The command
    line's file and the admin API's body both come here."""
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("holidays", {}), dict)
        or not isinstance(data.get("workdays", {}), dict)
    ):
        raise CalendarError(f'{path}: expected {{"holidays": {{YEAR: [DATES]}}, "workdays": {{YEAR: [DATES]}}}}')
    parsed: dict[int, dict[str, set[dt.date]]] = {}
    for section, kind in (("holidays", "holiday"), ("workdays", "workday")):
        for year, days in (data.get(section) or {}).items():
            try:
                y = int(year)
                dates = {dt.date.fromisoformat(str(d)) for d in days}
            except (TypeError, ValueError) as exc:
                raise CalendarError(f"{path}: {section} {year}: {exc}") from None
            parsed.setdefault(y, {"holiday": set(), "workday": set()})[kind] |= dates
    if not parsed:
        raise CalendarError(f"{path}: the file names no year")
    for y, kinds in sorted(parsed.items()):
        for d in kinds["workday"]:
            if d.weekday() < 5:
                raise CalendarError(f"{path}: {d} is a weekday; make-up working days are Saturdays or Sundays")
        _store_year(tx, y, kinds["holiday"], kinds["workday"])
    return sorted(parsed)


def set_day(tx: Tx, day: dt.date, kind: str) -> None:
    """Make ``day`` a holiday, a make-up working day, or ``normal`` (the weekday rule)."""
    if kind not in (*KINDS, "normal"):
        raise CalendarError("the kind is holiday, workday or normal")
    if kind == "workday" and day.weekday() < 5:
        raise CalendarError(f"{day} is a weekday; a make-up working day is a Saturday or a Sunday")
    year = merged(tx.conn)[day.year] if day.year in merged(tx.conn) else {"holiday": set(), "workday": set()}
    holidays, workdays = set(year["holiday"]) - {day}, set(year["workday"]) - {day}
    if kind == "holiday":
        holidays.add(day)
    elif kind == "workday":
        workdays.add(day)
    _store_year(tx, day.year, holidays, workdays)

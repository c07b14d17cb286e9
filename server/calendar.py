"""The work calendar the server publishes (public holidays and make-up working days, 调休).

The server starts from the calendar bundled with the application
(``resources/calendar/cn_workdays.json``). Years kept in the ``calendar_days`` table replace the
bundled year as a whole; other years stay as bundled. ``calendar import FILE`` (the bundled
file's format) replaces every year the file names; ``calendar set DAY KIND`` changes one day,
copying the bundled year into the table first if the table does not have that year yet.

The draft stage: with ``draft=True`` an import or a day change goes to the admin's draft
(``calendar_draft_years``/``calendar_draft_days``), which starts as a copy of the published year and
which no client sees; ``draft_json`` lists the days the draft would change, ``publish`` replaces the
published years with the draft's in one transaction (one new version for the clients), ``discard``
drops it. Without ``draft`` a change is published at once, as scripts have always used it.

``GET /api/v1/calendar`` serves the merged calendar with a ``version``: the first 16 hex digits
of the SHA-256 of its content, so a client fetches it again only when something changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, extract, insert, select
from sqlalchemy.engine import Connection

from app.models.workdays import WorkCalendar
from server.db import Tx
from server.schema_admin import calendar_days, calendar_draft_days, calendar_draft_years

KINDS = ("holiday", "workday")


class CalendarError(Exception):
    """A refused calendar change; the message says why."""


@functools.cache
def _bundled_calendar() -> WorkCalendar:
    """The calendar bundled with the application, read once per process (a file that does not change while
    it runs; every push that opens cases asked for it, issue 21)."""
    return WorkCalendar.load()


def _bundled() -> dict[int, dict[str, set[dt.date]]]:
    cal = _bundled_calendar()
    years: dict[int, dict[str, set[dt.date]]] = {y: {"holiday": set(), "workday": set()} for y in cal.years}
    for d in cal.holidays:
        years.setdefault(d.year, {"holiday": set(), "workday": set()})["holiday"].add(d)
    for d in cal.workdays:
        years.setdefault(d.year, {"holiday": set(), "workday": set()})["workday"].add(d)
    return years


_DAYS = select(calendar_days.c.day, calendar_days.c.kind)  # built once: read at every push of a new customer


def merged(conn: Connection) -> dict[int, dict[str, set[dt.date]]]:
    years = _bundled()
    stored: dict[int, dict[str, set[dt.date]]] = {}
    for r in conn.execute(_DAYS):
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


def draft(conn: Connection) -> dict[int, dict[str, set[dt.date]]]:
    """The years of the admin's draft, each whole (an empty dict: no draft)."""
    years: dict[int, dict[str, set[dt.date]]] = {
        r.year: {"holiday": set(), "workday": set()} for r in conn.execute(select(calendar_draft_years.c.year))
    }
    for r in conn.execute(select(calendar_draft_days.c.day, calendar_draft_days.c.kind)):
        years.setdefault(r.day.year, {"holiday": set(), "workday": set()})[r.kind].add(r.day)
    return years


def _store_year(tx: Tx, year: int, holidays: set[dt.date], workdays: set[dt.date], in_draft: bool = False) -> None:
    both = holidays & workdays
    if both:
        raise CalendarError(f"{min(both)} is both a holiday and a working day")
    for d in holidays | workdays:
        if d.year != year:
            raise CalendarError(f"{d} is listed under the year {year}")
    table = calendar_draft_days if in_draft else calendar_days
    tx.conn.execute(delete(table).where(extract("year", table.c.day) == year))
    now = time.time()
    rows = [{"day": d, "kind": "holiday", "updated_at": now} for d in sorted(holidays)]
    rows += [{"day": d, "kind": "workday", "updated_at": now} for d in sorted(workdays)]
    if rows:
        tx.conn.execute(insert(table), rows)
    if in_draft:
        tx.conn.execute(delete(calendar_draft_years).where(calendar_draft_years.c.year == year))
        tx.conn.execute(insert(calendar_draft_years), [{"year": year, "updated_at": now}])


def import_file(tx: Tx, path: Path) -> list[int]:
    """Replace every year the file names; returns the years."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalendarError(f"{path}: file not found") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CalendarError(f"{path}: not a JSON file ({exc})") from None
    return import_data(tx, data, str(path))


def import_data(tx: Tx, data: Any, path: str = "the calendar", in_draft: bool = False) -> list[int]:
    """Replace every year ``data`` (the bundled file's shape) names, published or in the draft; returns
    the years. The command line's file and the admin API's body both come here."""
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
        _store_year(tx, y, kinds["holiday"], kinds["workday"], in_draft)
    return sorted(parsed)


def set_day(tx: Tx, day: dt.date, kind: str, in_draft: bool = False) -> None:
    """Make ``day`` a holiday, a make-up working day, or ``normal`` (the weekday rule), published or in
    the draft (whose year starts as a copy of the published one)."""
    if kind not in (*KINDS, "normal"):
        raise CalendarError("the kind is holiday, workday or normal")
    if kind == "workday" and day.weekday() < 5:
        raise CalendarError(f"{day} is a weekday; a make-up working day is a Saturday or a Sunday")
    years = draft(tx.conn) if in_draft else {}
    if day.year not in years:
        years = merged(tx.conn)
    year = years.get(day.year) or {"holiday": set(), "workday": set()}
    holidays, workdays = set(year["holiday"]) - {day}, set(year["workday"]) - {day}
    if kind == "holiday":
        holidays.add(day)
    elif kind == "workday":
        workdays.add(day)
    _store_year(tx, day.year, holidays, workdays, in_draft)


def _kind(year: dict[str, set[dt.date]] | None, day: dt.date) -> str:
    if year is None:
        return "normal"
    return "holiday" if day in year["holiday"] else "workday" if day in year["workday"] else "normal"


def draft_json(conn: Connection) -> dict[str, Any]:
    """The draft's years and every day it would change (``published`` → ``draft`` kind), by date."""
    drafted, published = draft(conn), merged(conn)
    changes = []
    for y, kinds in sorted(drafted.items()):
        before = published.get(y)
        days = kinds["holiday"] | kinds["workday"] | (before["holiday"] | before["workday"] if before else set())
        for d in sorted(days):
            old, new = _kind(before, d), _kind(kinds, d)
            if old != new:
                changes.append({"day": d.isoformat(), "published": old, "draft": new})
    return {"years": sorted(drafted), "changes": changes, "published_version": calendar_json(conn)["version"]}


def _clear_draft(tx: Tx) -> None:
    tx.conn.execute(delete(calendar_draft_days))
    tx.conn.execute(delete(calendar_draft_years))


def publish(tx: Tx) -> list[int]:
    """The draft's years replace the published ones, all in this transaction; the draft is emptied."""
    drafted = draft(tx.conn)
    if not drafted:
        raise CalendarError("there is no draft to publish: change a day or import a file into the draft first")
    for y, kinds in sorted(drafted.items()):
        _store_year(tx, y, kinds["holiday"], kinds["workday"])
    _clear_draft(tx)
    return sorted(drafted)


def discard(tx: Tx) -> list[int]:
    """Drop the draft; the published calendar is unchanged. Returns the years the draft held."""
    years = sorted(draft(tx.conn))
    _clear_draft(tx)
    return years

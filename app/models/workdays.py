"""Working days (工作日) with the Chinese public holidays and make-up working days (调休).

The documents count deadlines in working days (a new customer's archive is complete within
5 working days of binding, a change request within 2.5 or 3). A calendar is a plain JSON file;
the built-in one covers the years the State Council has announced, and the server can publish
a newer one. Years the calendar does not cover fall back to Monday–Friday.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.paths import resource_dir

#: The archive's meta key holding the server's calendar (JSON as served), kept by sync.
SERVER_CALENDAR_META = "server_calendar"


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # weekend days that are working days
    years: frozenset[int]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkCalendar:
        def dates(section: str) -> frozenset[dt.date]:
            return frozenset(dt.date.fromisoformat(d) for days in (data.get(section) or {}).values() for d in days)

        years = {int(y) for y in (data.get("holidays") or {})} | {int(y) for y in (data.get("workdays") or {})}
        return cls(dates("holidays"), dates("workdays"), frozenset(years))

    @classmethod
    def from_server(cls, data: Mapping[str, Any]) -> WorkCalendar:
        """The calendar as ``GET /api/v1/calendar`` serves it: flat date lists and the years covered."""
        return cls(
            frozenset(dt.date.fromisoformat(d) for d in data.get("holidays") or []),
            frozenset(dt.date.fromisoformat(d) for d in data.get("workdays") or []),
            frozenset(int(y) for y in data.get("years") or []),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> WorkCalendar:
        if path is None:
            path = resource_dir() / "calendar" / "cn_workdays.json"
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The date ``n`` working days after ``start`` (``n`` may be negative)."""
        step = 1 if n >= 0 else -1
        day, left = start, abs(n)
        while left:
            day += dt.timedelta(days=step)
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def half_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 1 if day.month <= 6 else 7, 1)

"""Working days (工作日) with the Chinese public holidays and make-up working days (调休).

The documents count deadlines in working days (a new customer's archive is complete within
5 working days of binding, a change request within 2.5 or 3). A calendar is a plain JSON file;
the built-in one covers the years the State Council has announced, and the server can publish
a newer one. Years the calendar does not cover fall back to Monday–Friday.
"""

from __future__ import annotations

import datetime as dt
import json
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
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
        """Working days after ``start`` up to and including ``end`` (0 if end <= start).

        Counted, not walked: the Mondays to Fridays of the span, less its holidays on those days, plus its
        make-up working days at weekends (a report asks this of due dates years back, issue 21)."""
        if end <= start:
            return 0
        days = (end - start).days
        count = days // 7 * 5
        first = start.weekday() + 1  # the weekday of the day after start, counted from Monday = 0 (mod 7)
        count += sum((first + k) % 7 < 5 for k in range(days % 7))
        minus, plus = self._exceptions
        return (
            count
            - (bisect_right(minus, end) - bisect_right(minus, start))
            + (bisect_right(plus, end) - bisect_right(plus, start))
        )

    @cached_property
    def _exceptions(self) -> tuple[list[dt.date], list[dt.date]]:
        """The holidays that fall on Monday to Friday (and are not also working days), and the working days
        that fall at a weekend, each sorted."""
        minus = sorted(d for d in self.holidays if d.weekday() < 5 and d not in self.workdays)
        plus = sorted(d for d in self.workdays if d.weekday() >= 5)
        return minus, plus


#: The working hours of a working day, for the deadlines the documents give in half days (0.5 个工作日, F3
#: L383): a working day is 09:00–17:00 China time (8 hours), half a day 4 hours (the documents are silent;
#: docs/domain.md "Onboarding").
DAY_START = dt.time(9)
DAY_HOURS = 8
MAX_DAYS = 3660  # a clock never runs further than ten years (bounded loops)


def _day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, DAY_START, tz)
    return start, start + dt.timedelta(hours=DAY_HOURS)


def add_work_hours(cal: WorkCalendar, start: dt.datetime, hours: float) -> dt.datetime:
    """The moment ``hours`` working hours after ``start`` (an aware time), counted only within the working
    hours of working days: a clock started in the evening, at a weekend or on a holiday starts at 09:00 of
    the next working day."""
    tz = start.tzinfo or dt.UTC
    left = dt.timedelta(hours=hours)
    t = start
    for _ in range(MAX_DAYS):
        day = t.astimezone(tz).date()
        open_, close = _day_bounds(day, tz)
        if cal.is_workday(day) and t < close:
            t = max(t, open_)
            if t + left <= close:
                return t + left
            left -= close - t
        t = _day_bounds(day + dt.timedelta(days=1), tz)[0]
    raise ValueError("the deadline lies more than ten years ahead")


def work_hours_between(cal: WorkCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Working hours from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    if end < start:
        return -work_hours_between(cal, end, start)
    tz = start.tzinfo or dt.UTC
    total = dt.timedelta()
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        if day > last:
            break
        if cal.is_workday(day):
            open_, close = _day_bounds(day, tz)
            lo, hi = max(open_, start), min(close, end)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def half_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 1 if day.month <= 6 else 7, 1)

"""``WorkCalendar.workdays_between`` counts (weeks, holidays and make-up days by bisection) and gives the
same answer as walking the days one by one with ``is_workday``, on the bundled calendar and on odd ones."""

from __future__ import annotations

import datetime as dt
import random

from app.models.workdays import WorkCalendar


def walked(cal: WorkCalendar, start: dt.date, end: dt.date) -> int:
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += cal.is_workday(day)
    return count


def test_the_count_equals_the_walk_on_the_bundled_calendar():
    cal = WorkCalendar.load()
    rng = random.Random(21)
    lo = dt.date(min(cal.years) - 1, 1, 1)
    for _ in range(2000):
        start = lo + dt.timedelta(days=rng.randrange(0, 365 * (len(cal.years) + 2)))
        end = start + dt.timedelta(days=rng.randrange(-10, 800))
        assert cal.workdays_between(start, end) == walked(cal, start, end), (start, end)


def test_the_count_equals_the_walk_on_odd_calendars():
    rng = random.Random(7)
    base = dt.date(2024, 1, 1)
    for _ in range(200):
        days = [base + dt.timedelta(days=rng.randrange(0, 400)) for _ in range(40)]
        holidays = frozenset(days[:25])
        workdays = frozenset(days[15:])  # ten days in both (a working day wins), some on weekdays
        cal = WorkCalendar(holidays, workdays, frozenset({2024, 2025}))
        start = base + dt.timedelta(days=rng.randrange(-20, 400))
        end = start + dt.timedelta(days=rng.randrange(0, 420))
        assert cal.workdays_between(start, end) == walked(cal, start, end), (start, end)


def test_edges():
    cal = WorkCalendar(frozenset({dt.date(2026, 10, 1)}), frozenset({dt.date(2026, 10, 10)}), frozenset({2026}))
    thu, sat = dt.date(2026, 10, 1), dt.date(2026, 10, 10)
    assert cal.workdays_between(thu, thu) == 0 and cal.workdays_between(thu, thu - dt.timedelta(days=3)) == 0
    assert cal.workdays_between(thu - dt.timedelta(days=1), thu) == 0  # the holiday itself
    assert cal.workdays_between(sat - dt.timedelta(days=1), sat) == 1  # the make-up Saturday
    assert cal.workdays_between(dt.date(2026, 9, 30), dt.date(2026, 10, 11)) == 7  # 7 weekdays - holiday + Saturday

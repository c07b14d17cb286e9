"""Deadlines in working hours on the work calendar (issue 17: half days as hours, N2): the clock runs only
from 09:00 to 17:00 China time on working days, skips weekends and holidays, counts make-up working days."""

from __future__ import annotations

import datetime as dt

from app.models.workdays import WorkCalendar, add_work_hours, work_hours_between

CST = dt.timezone(dt.timedelta(hours=8))
CAL = WorkCalendar.load()


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def test_half_a_day_within_the_day_and_over_the_evening() -> None:
    assert add_work_hours(CAL, t("2026-11-18T09:00"), 4) == t("2026-11-18T13:00")
    assert add_work_hours(CAL, t("2026-11-18T15:00"), 4) == t("2026-11-19T11:00")
    assert add_work_hours(CAL, t("2026-11-18T20:00"), 8) == t("2026-11-19T17:00")  # starts the next morning
    assert add_work_hours(CAL, t("2026-11-18T07:00"), 0.5) == t("2026-11-18T09:30")


def test_weekends_holidays_and_make_up_days() -> None:
    assert add_work_hours(CAL, t("2026-11-20T16:00"), 4) == t("2026-11-23T12:00")  # Friday → Monday
    assert add_work_hours(CAL, t("2026-09-30T14:00"), 4) == t("2026-10-08T10:00")  # National Day, Oct 1–7
    assert add_work_hours(CAL, t("2026-10-09T16:00"), 4) == t("2026-10-10T12:00")  # Saturday Oct 10 is worked
    assert add_work_hours(CAL, t("2026-10-01T10:00"), 8) == t("2026-10-08T17:00")  # arrived on the holiday
    one_more = WorkCalendar(CAL.holidays | {dt.date(2026, 10, 8)}, CAL.workdays, CAL.years)
    assert add_work_hours(one_more, t("2026-09-30T14:00"), 4) == t("2026-10-09T10:00")


def test_the_five_working_days_of_the_city_procedure() -> None:
    start, t_ = t("2026-09-29T09:00"), t("2026-09-29T09:00")
    for hours in (4, 8, 4, 8, 4, 8, 4):  # F3 L383–397
        t_ = add_work_hours(CAL, t_, hours)
    assert t_ == t("2026-10-10T17:00")  # Sept 29, 30, Oct 8, 9 and the make-up Saturday Oct 10
    assert work_hours_between(CAL, start, t_) == 40


def test_hours_between_both_ways() -> None:
    assert work_hours_between(CAL, t("2026-09-30T14:00"), t("2026-10-08T10:00")) == 4
    assert work_hours_between(CAL, t("2026-10-08T10:00"), t("2026-09-30T14:00")) == -4
    assert work_hours_between(CAL, t("2026-11-21T10:00"), t("2026-11-22T10:00")) == 0  # a weekend

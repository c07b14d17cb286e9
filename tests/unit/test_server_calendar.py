"""The server's work calendar kept in a real archive: session.calendar_for() prefers it to the built-in one,
and falls back when there is none or it cannot be read; the session's calendar is the one deadlines count with."""

from __future__ import annotations

import datetime as dt
import json

from app.models.workdays import SERVER_CALENDAR_META, WorkCalendar
from app.services import listing
from app.services.events import CalendarChanged
from app.services.session import calendar_for


def test_from_server_reads_the_served_shape():
    cal = WorkCalendar.from_server(
        {"years": [2031], "holidays": ["2031-06-02"], "workdays": ["2031-06-07"], "version": "x"}
    )
    assert not cal.is_workday(dt.date(2031, 6, 2))  # a Monday off
    assert cal.is_workday(dt.date(2031, 6, 7))  # a Saturday worked
    assert cal.years == frozenset({2031})


def test_listing_prefers_the_kept_server_calendar(session):
    arc = session._archive
    bundled = WorkCalendar.load()
    assert calendar_for(arc) == bundled  # nothing kept yet
    monday = dt.date(2031, 6, 2)
    arc.meta.set(
        SERVER_CALENDAR_META,
        json.dumps({"years": [2031], "holidays": [monday.isoformat(), "2031-06-05"], "workdays": [], "version": "v1"}),
    )
    cal = calendar_for(arc)
    assert not cal.is_workday(monday)
    heard: list[CalendarChanged] = []
    session.events.subscribe(CalendarChanged, heard.append)
    session.set_calendar(cal)
    assert session.calendar is cal and heard == [CalendarChanged(cal)]  # the session's, announced
    assert listing.overdue_rule(dt.date(2031, 6, 10), cal) != listing.overdue_rule(dt.date(2031, 6, 10), bundled)
    arc.meta.set(SERVER_CALENDAR_META, "{not json")
    assert calendar_for(arc) == bundled  # unreadable: the built-in one

"""The server's work calendar kept in a real archive: listing.calendar() prefers it to the built-in one,
and falls back when there is none or it cannot be read; the review queue counts with it."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from app.models.workdays import SERVER_CALENDAR_META, WorkCalendar
from app.services import listing


@pytest.fixture(autouse=True)
def _own_calendar(monkeypatch):
    monkeypatch.setattr(listing, "_server_calendar", None)


def test_from_server_reads_the_served_shape():
    cal = WorkCalendar.from_server({"years": [2031], "holidays": ["2031-06-02"], "workdays": ["2031-06-07"],
                                    "version": "x"})
    assert not cal.is_workday(dt.date(2031, 6, 2))      # a Monday off
    assert cal.is_workday(dt.date(2031, 6, 7))          # a Saturday worked
    assert cal.years == frozenset({2031})


def test_listing_prefers_the_kept_server_calendar(session):
    arc = session.archive
    bundled = WorkCalendar.load()
    assert listing.calendar(arc) == bundled             # nothing kept yet
    monday = dt.date(2031, 6, 2)
    arc.meta.set(SERVER_CALENDAR_META, json.dumps({"years": [2031], "holidays": [monday.isoformat(), "2031-06-05"],
                                                   "workdays": [], "version": "v1"}))
    cal = listing.calendar(arc)
    assert not cal.is_workday(monday)
    assert listing.calendar() is cal                    # remembered for callers without the archive
    assert listing.overdue_rule(dt.date(2031, 6, 10), cal) != listing.overdue_rule(dt.date(2031, 6, 10), bundled)
    arc.meta.set(SERVER_CALENDAR_META, "{not json")
    assert listing.calendar(arc) == bundled             # unreadable: the built-in one

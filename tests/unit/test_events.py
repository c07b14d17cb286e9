"""The session's event bus: a listener hears the events of its kind until it unsubscribes, a failing
listener does not stop the others, and the session announces only a newer form."""

from __future__ import annotations

import dataclasses

from app.services.events import CalendarChanged, EventBus, FormChanged
from app.services.session import builtin_calendar


def test_listeners_hear_their_kind_until_they_leave() -> None:
    bus, heard, calendars = EventBus(), [], []

    def broken(_event: object) -> None:
        raise RuntimeError("a listener bug")

    bus.subscribe(FormChanged, broken)
    leave = bus.subscribe(FormChanged, heard.append)
    bus.subscribe(CalendarChanged, calendars.append)
    cal = CalendarChanged(builtin_calendar())
    bus.publish(cal)
    bus.publish(FormChanged(None))  # type: ignore[arg-type]
    assert heard == [FormChanged(None)] and calendars == [cal]  # type: ignore[arg-type]
    leave()
    bus.publish(FormChanged(None))  # type: ignore[arg-type]
    assert len(heard) == 1


def test_the_session_announces_a_newer_form_only(session) -> None:
    heard: list[FormChanged] = []
    session.events.subscribe(FormChanged, heard.append)
    same = session.form
    assert not session.set_form(dataclasses.replace(same, _by_key={}, _by_role={}))  # same version
    newer = dataclasses.replace(same, version=same.version + 1, _by_key={}, _by_role={})
    assert session.set_form(newer) and session.form is newer and heard == [FormChanged(newer)]
    assert not session.set_form(same) and session.form is newer  # an older one never replaces it
    session.set_calendar(session.calendar)  # unchanged: nothing announced
    assert len(heard) == 1

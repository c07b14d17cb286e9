"""The one time zone every time is shown in: China Standard Time (Asia/Shanghai, UTC+8).

The archive and the server store instants in UTC (ISO 8601 with ``Z`` or an offset); the bureau, its
working days and the documents' dates are Chinese, so the history, the list, the review screen,
visits and the sync status all show times in China time, whatever the computer's own zone is
(README, "Using the desktop app"). China has kept UTC+8 without daylight saving time since 1991,
so a fixed offset is exact and needs no time-zone database (which Windows does not ship).
"""

from __future__ import annotations

import datetime as dt

ZONE = dt.timezone(dt.timedelta(hours=8), "CST")
ZONE_NAME = "Asia/Shanghai"


def parse(text: str | None) -> dt.datetime | None:
    """An ISO instant; one without an offset is taken as UTC (how the archive stores its times)."""
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def shown(value: str | dt.datetime | None, seconds: bool = False, year: bool = True) -> str:
    """``2026-12-06 18:30`` in China time (``seconds``: with them; ``year=False``: ``12-06 18:30``);
    a text that is not a time is shown as it is, nothing as ""."""
    t = value if isinstance(value, dt.datetime) else parse(value)
    if t is None:
        return "" if value is None else str(value)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    fmt = ("%Y-%m-%d " if year else "%m-%d ") + ("%H:%M:%S" if seconds else "%H:%M")
    return t.astimezone(ZONE).strftime(fmt)


def now() -> dt.datetime:
    return dt.datetime.now(ZONE)


def today() -> dt.date:
    """The bureau's day: the date in China, whatever the computer's zone (the server dates everything
    so too). A dialog, a validation ("not in the future") and the server's check then agree on a laptop
    left in UTC between 16:00 and 24:00, when the computer's own date is still yesterday in China."""
    return now().date()

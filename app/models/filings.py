"""The monthly filings as the server answers them (``/filings/mine``, ``/filings/{kind}/{month}``;
server/filings.py): frozen values only. A filing's content is the JSON the server froze when it was filed
(or would freeze now, for a draft), read by app/services/filings.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: A filing's states: not filed and its day not past, not filed past its day, filed by its day, after it.
STATES = ("due", "overdue", "filed", "late")


@dataclass(frozen=True)
class Filing:
    """One filing owed by one person for one month: its kind and name, the day it is due, its state,
    whether the reminder is on, and who filed it when (None until filed)."""

    kind: str
    name: str
    month: str
    owner: str
    owner_display: str
    due: str
    remind_from: str
    state: str
    remind: bool
    filed_at: str | None
    filed_by: str | None
    note: str
    content: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FilingsOwed:
    """What the signed-in user owes: the month just ended, and the earlier filings still not filed."""

    month: str
    remind_workdays: int
    current: tuple[Filing, ...]
    overdue: tuple[Filing, ...]

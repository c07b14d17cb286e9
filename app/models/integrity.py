"""The integrity archive as the client holds it (诚信档案): entries and complaints of one outlet.

Frozen data. ``state`` is the client's own: ``pending`` (made here, not answered by the server yet),
``synced`` (as the server has it) or ``refused`` (the server refused it; ``error`` says why).
The rules are in app.validation.integrity, shared with the server.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.validation.integrity import is_overdue, mask_name, mask_phone


@dataclass(frozen=True)
class IntegrityEntry:
    id: str
    customer_id: str
    kind: str  # app.validation.integrity.KINDS
    source: str  # app.validation.integrity.SOURCES
    occurred_on: str
    text: str
    handling: str = ""
    photos: tuple[str, ...] = ()
    recorded_by: str = ""
    recorded_at: str = ""
    state: str = "pending"
    error: str = ""


@dataclass(frozen=True)
class Complaint:
    id: str
    customer_id: str
    channel: str  # app.validation.integrity.CHANNELS
    received_on: str
    content: str
    complainant_name: str = ""  # kept apart from the outlet's values; lists show it masked
    complainant_phone: str = ""
    status: str = "received"  # app.validation.integrity.STATUSES
    assignee: str = ""
    deadline: str = ""
    handling: str = ""
    answer: str = ""
    response: str = ""
    closed_on: str = ""
    revision: int = 1
    created_by: str = ""
    state: str = "pending"
    error: str = ""

    @property
    def masked_name(self) -> str:
        return mask_name(self.complainant_name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.complainant_phone)

    def overdue(self, today: dt.date) -> bool:
        return is_overdue(self.status, self.deadline, today)


@dataclass(frozen=True)
class OverdueComplaint:
    """A complaint past its deadline, for the to-do list: the outlet named, the complainant masked."""

    complaint: Complaint
    shop_name: str
    code: str

"""The service records as the client holds them (客户服务记录): visit plans, care dates, surveys, observations.

Frozen data. ``on_date`` is the plan's visit day, the care date, the survey's or the observation's day;
``body`` the kind's values (app.validation.service). ``state`` is the client's own: ``pending`` (not
answered by the server yet), ``synced`` or ``refused`` (``error`` says why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.validation.service import is_overdue, upcoming


@dataclass(frozen=True)
class ServiceRecord:
    id: str
    customer_id: str
    kind: str  # app.validation.service.KINDS
    on_date: str
    body: Mapping[str, Any] = field(default_factory=dict)
    status: str = ""
    revision: int = 1
    recorded_by: str = ""
    recorded_at: str = ""
    state: str = "pending"
    error: str = ""

    def overdue(self, today: dt.date) -> bool:
        return is_overdue(self.kind, self.status, self.on_date, today)

    def coming_up(self, today: dt.date) -> dt.date | None:
        """A care date's day within the coming week (None: not coming up, or not a care date)."""
        if self.kind != "care" or self.status != "active":
            return None
        return upcoming(self.on_date, bool(self.body.get("yearly")), today)


@dataclass(frozen=True)
class ServiceItem:
    """A service record with its outlet named (the to-do and reminder lists, the export)."""

    record: ServiceRecord
    shop_name: str
    code: str
    owner: str = ""

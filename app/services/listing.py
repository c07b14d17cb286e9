"""The customer list: overdue rules (§3.5, in working days) and the status-bar summary."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.i18n import N_
from app.models.record import CustomerRow, CustomerStatus, ListQuery, OverdueRule
from app.models.workdays import SERVER_CALENDAR_META, WorkCalendar, half_year_start, quarter_start
from app.services.session import Session

NEW_CUSTOMER_WORKDAYS = 5
REASONS = {
    "new": N_("New customer not complete within 5 working days of binding"),
    "quarterly": N_("Quarterly check due"),
    "static": N_("Half-yearly review of the static information due"),
}


_server_calendar: WorkCalendar | None = None


@lru_cache(maxsize=1)
def _bundled() -> WorkCalendar:
    return WorkCalendar.load()


@lru_cache(maxsize=4)
def _parse(raw: str) -> WorkCalendar | None:
    try:
        return WorkCalendar.from_server(json.loads(raw))
    except (ValueError, TypeError, AttributeError):
        return None


def calendar(archive: Any = None) -> WorkCalendar:
    """The work calendar: the server's (kept in the archive by sync) if there is one, else the built-in.

    With an archive, its stored calendar is read and remembered; without one, the calendar last
    read from the open archive is used (the UI thread does not read the archive itself).
    """
    global _server_calendar
    if archive is not None:
        raw = archive.meta.get(SERVER_CALENDAR_META)
        _server_calendar = _parse(raw) if raw else None
    return _server_calendar or _bundled()


def overdue_rule(today: dt.date, cal: WorkCalendar | None = None) -> OverdueRule:
    """A customer bound on or before ``bound_by`` has had its 5 working days by ``today``."""
    cal = cal or calendar()
    # bound on day B: due B + 5 working days; overdue once today is later than that
    bound_by = today - dt.timedelta(days=1)
    while cal.add_workdays(bound_by, NEW_CUSTOMER_WORKDAYS) >= today:
        bound_by -= dt.timedelta(days=1)
    return OverdueRule(bound_by.isoformat(), quarter_start(today).isoformat(), half_year_start(today).isoformat())


def overdue_reasons(row: CustomerRow, rule: OverdueRule) -> list[str]:
    """Keys of REASONS that apply to ``row``."""
    created = row.created_at[:10]
    reasons = []
    if row.binding_date and row.binding_date <= rule.bound_by and (row.missing_count or row.error_count):
        reasons.append("new")
    if (row.last_quarterly_check or created) < rule.quarter_start:
        reasons.append("quarterly")
    if (row.last_static_review or created) < rule.half_year_start:
        reasons.append("static")
    return reasons


@dataclass(frozen=True)
class Summary:
    total: int
    drafts: int
    pending: int
    returned: int
    overdue: int


def summary(session: Session) -> Summary:
    arc = session.archive
    counts = arc.customers.status_counts()
    overdue = len(arc.customers.list_pks(ListQuery(overdue=overdue_rule(session.today(), calendar(arc)))))
    return Summary(sum(counts.values()), counts[CustomerStatus.DRAFT], counts[CustomerStatus.PENDING],
                   counts[CustomerStatus.RETURNED], overdue)

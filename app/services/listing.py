"""The customer list: overdue rules (§3.5, in working days) and the status-bar summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.i18n import N_
from app.models.record import CustomerRow, CustomerStatus, ListQuery, OverdueRule
from app.models.workdays import WorkCalendar, half_year_start, quarter_start
from app.services.session import Session
from app.validation.completeness import new_customer_due, new_customer_late

REASONS = {
    "new": N_("New customer not complete within 5 working days of binding"),
    "quarterly": N_("Quarterly check due"),
    "static": N_("Half-yearly review of the static information due"),
    "complaint": N_("A complaint of yours not answered by its deadline"),
    "plan": N_("A planned visit not made by its day"),
}


def overdue_rule(today: dt.date, cal: WorkCalendar) -> OverdueRule:
    """A customer bound on or before ``bound_by`` has had its 5 working days by ``today`` (working days
    of ``cal``: the session's calendar)."""
    # bound on day B: due B + 5 working days; overdue once today is later than that
    bound_by = today - dt.timedelta(days=1)
    while new_customer_due(bound_by, cal) >= today:
        bound_by -= dt.timedelta(days=1)
    return OverdueRule(
        bound_by.isoformat(), quarter_start(today).isoformat(), half_year_start(today).isoformat(), today.isoformat()
    )


def overdue_reasons(row: CustomerRow, rule: OverdueRule) -> list[str]:
    """Keys of REASONS that apply to ``row``. "new": the server's rule too (``new_customer_late``): the
    5 working days are over and the customer is not both approved and complete. (The storage's list
    filter, ``ListQuery.overdue``, says the same in SQL.) "complaint": a complaint of the user's (assigned
    to them, or unassigned on a customer they keep) is past its deadline without an answer. "plan": a visit
    plan of a customer they keep is still open after its day."""
    created = row.created_at[:10]
    reasons = []
    if row.binding_date and new_customer_late(
        row.binding_date <= rule.bound_by,
        row.status is CustomerStatus.APPROVED,
        not (row.missing_count or row.error_count),
    ):
        reasons.append("new")
    if (row.last_quarterly_check or created) < rule.quarter_start:
        reasons.append("quarterly")
    if (row.last_static_review or created) < rule.half_year_start:
        reasons.append("static")
    if row.complaint_due and rule.today and row.complaint_due < rule.today:  # app.validation.integrity.is_overdue
        reasons.append("complaint")
    if row.plan_due and rule.today and row.plan_due < rule.today:  # app.validation.service.is_overdue
        reasons.append("plan")
    return reasons


@dataclass(frozen=True)
class Summary:
    total: int
    drafts: int
    pending: int
    returned: int
    overdue: int
    closed: int = 0  # closed outlets (销户): not in the working counts above


def summary(session: Session) -> Summary:
    arc = session._archive
    counts = arc.customers.status_counts()
    overdue = len(arc.customers.list_pks(ListQuery(overdue=overdue_rule(session.today(), session.calendar))))
    return Summary(
        sum(counts.values()),
        counts[CustomerStatus.DRAFT],
        counts[CustomerStatus.PENDING],
        counts[CustomerStatus.RETURNED],
        overdue,
        arc.customers.closed_count(),
    )


def pks(session: Session, query: ListQuery, limit: int | None = None) -> list[int]:
    """The row keys of the customers ``query`` selects, in its order; a search text is logged
    (``archive.access``, once per distinct text in a row)."""
    found = session._archive.customers.list_pks(query, limit)
    searched(session, query.text, len(found))
    return found


@dataclass(frozen=True)
class FirstPage:
    """A query's first answer for the list: its first keys and their rows; the rest of its keys follow
    (``pks``) unless ``complete``."""

    keys: list[int]
    rows: list[CustomerRow]
    complete: bool


def first_page(session: Session, query: ListQuery, size: int) -> FirstPage:
    """The first ``size`` keys ``query`` selects and their rows, asked with a limit: the list paints them
    before the rest of the keys is known (on 100k customers the whole ordered list takes some 300 ms,
    its first page a few). Not logged: the search is logged when the whole answer is known (``pks``,
    ``searched``)."""
    found = session._archive.customers.list_pks(query, size + 1)
    keys = found[:size]
    return FirstPage(keys, rows(session, keys), len(found) <= size)


def searched(session: Session, text: str, results: int) -> None:
    """Log a search of the list (``archive.access``, once per distinct text in a row)."""
    if text.strip():
        session._archive.access.searched(text, results, session.user)


def rows(session: Session, keys: Sequence[int]) -> list[CustomerRow]:
    """The list rows of ``keys``, in that order, each naming its customer manager by display name."""
    arc = session._archive
    found = arc.customers.rows(keys)
    if not any(r.owner for r in found):
        return found
    people = arc.outbox.people()
    return [replace(r, owner=people.get(r.owner, r.owner)) if r.owner else r for r in found]


def search(
    session: Session,
    text: str = "",
    status: CustomerStatus | None = None,
    incomplete: bool = False,
    limit: int | None = None,
) -> list[CustomerRow]:
    """The rows whose text matches ``text`` (the command line's ``list``); the search is logged."""
    found = session._archive.customers.search_pks(text, status, incomplete, limit=limit)
    if text.strip():
        session._archive.access.searched(text, len(found), session.user)
    return rows(session, found)

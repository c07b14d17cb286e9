"""Closing an outlet (销户) and reopening it, from this computer (docs/domain.md, "The archive's lifecycle").

The responsible market manager or an admin decides it, with the date the licence was cancelled and a
reason (a collector reports a cancellation through the customer's status, which is reviewed). It is shown
at once and sent at the next sync as ``customer.close``; the server checks the same rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from app.errors import UserFacingError
from app.i18n import N_
from app.models.record import Provenance, Source
from app.models.wire import UserRole
from app.services.events import Changes
from app.services.session import Session


def close_outlets(session: Session, ids: Sequence[str], action: str, day: str, reason: str) -> Changes:
    """Close (``close``) or reopen (``reopen``) the customers ``ids``; all are checked before any changes."""
    if session.role not in (UserRole.SUPERVISOR, UserRole.ADMIN):
        raise UserFacingError(N_("Only a market manager or an admin can close or reopen an outlet."))
    if action not in ("close", "reopen"):
        raise UserFacingError(N_("An outlet is closed or reopened."))
    if not reason.strip():
        raise UserFacingError(N_("Say why the outlet is closed or reopened."))
    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        raise UserFacingError(N_("The date must be a date (YYYY-MM-DD), not {value}."), value=day) from None
    if when > session.today():
        raise UserFacingError(N_("The date of a closure cannot be in the future."))
    arc = session._archive
    found = arc.customers.many(list(ids))
    for cid in ids:
        c = found.get(cid)
        if c is None or c.deleted:
            raise UserFacingError(N_("There is no customer with the id {id}."), id=cid)
        name = str(c.values.get("shop_name") or c.code or cid)
        if action == "close" and c.closed:
            raise UserFacingError(N_("{name} is closed already."), name=name)
        if action == "reopen" and not c.closed:
            raise UserFacingError(N_("{name} is not closed."), name=name)
        if action == "close" and c.status.value == "pending":
            raise UserFacingError(N_("{name} is waiting for review: decide the submission first."), name=name)
    prov = Provenance(session.user, Source.MANUAL, info_date=when.isoformat())
    for cid in ids:
        arc.lifecycle.record_closure(cid, {"action": action, "day": when.isoformat(), "reason": reason.strip()}, prov)
    return Changes.of(arc.customers.many(list(ids)).values(), waiting=arc.outbox.outbox_count())

"""Review by the market manager (市场经理): decisions taken offline, queued like every change."""
from __future__ import annotations

from typing import Sequence

from app.errors import UserFacingError
from app.i18n import N_
from app.models.record import CustomerStatus, Provenance, Source
from app.services.session import Session


def decide(session: Session, ids: Sequence[str], action: str, reason: str = "", fields: Sequence[str] = ()) -> int:
    """Approve or return pending submissions; only a supervisor or an admin may."""
    if session.role not in ("supervisor", "admin"):
        raise UserFacingError(N_("Only a market manager can approve or return customers."))
    if action not in ("approve", "return"):
        raise UserFacingError(N_("A decision is approve or return."))
    if action == "return" and not reason.strip():
        raise UserFacingError(N_("Say why the customer is returned."))
    unknown = [f for f in fields if f not in session.form]
    if unknown:
        raise UserFacingError(N_("Not fields of the form: {fields}."), fields=", ".join(unknown))
    decided = 0
    customers = session.archive.customers(list(ids))
    for cid in ids:
        c = customers.get(cid)
        if c is None or c.deleted:
            raise UserFacingError(N_("There is no customer with the id {id}."), id=cid)
        if c.status is not CustomerStatus.PENDING:
            continue
        session.archive.record_decision(cid, {"action": action, "reason": reason.strip(), "fields": list(fields)},
                                        Provenance(session.user, Source.REVIEW))
        decided += 1
    return decided

"""Export requests (导出申请) from the desktop app and the command line (docs/domain.md "Access to
personal data"): ask for one (target, purpose, reason, whether ID and bank numbers are shown in full),
list them as the server has them (one's own; a market manager's also the team's; an admin's all) and
keep that list in the archive, approve or refuse one (the applicant's market manager or an admin,
never the applicant: the server refuses it, and ``may_decide`` says why before anyone tries).

The calls take a signed-in ``SyncClient`` (``app.services.syncing.client_for``); what is kept in the
archive is what ``app.services.exporting.approved_request`` checks an export against, offline too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.errors import UserFacingError
from app.i18n import N_
from app.models.remote import ExportRequest
from app.models.wire import UserRole
from app.services.exporting import account, usable_requests
from app.services.session import Session
from app.sync.client import SyncClient

#: The server's limits (server/access.py ``ExportRequestIn``, ``ExportDecisionIn``).
MAX_TARGET, MAX_PURPOSE, MAX_REASON = 400, 400, 2000


@dataclass(frozen=True, slots=True)
class RequestList:
    """The requests as listed, and who is looking at them (to tell which ones they may decide)."""

    me: str
    role: UserRole
    requests: tuple[ExportRequest, ...]


@dataclass(frozen=True, slots=True)
class ExportAccess:
    """What the export dialog needs: the user's role and their approved, unexpired requests."""

    role: UserRole
    usable: tuple[ExportRequest, ...]


#: Each part of a request: what to say when it is missing, and when it is too long.
PARTS = (
    (
        MAX_TARGET,
        N_("Give the target (which customers): an export request names its target, purpose and reason."),
        N_("The target is too long: at most {limit} characters ({n} given)."),
    ),
    (
        MAX_PURPOSE,
        N_("Give the purpose (what the file is for): an export request names its target, purpose and reason."),
        N_("The purpose is too long: at most {limit} characters ({n} given)."),
    ),
    (
        MAX_REASON,
        N_("Give the reason (why it is needed): an export request names its target, purpose and reason."),
        N_("The reason is too long: at most {limit} characters ({n} given)."),
    ),
)


def request_problem(target: str, purpose: str, reason: str) -> UserFacingError | None:
    """What is wrong with a request before it is sent (every part is required), or None."""
    for value, (limit, missing, too_long) in zip((target, purpose, reason), PARTS, strict=True):
        if not value.strip():
            return UserFacingError(missing)
        if len(value.strip()) > limit:
            return UserFacingError(too_long, limit=limit, n=len(value.strip()))
    return None


def ask(client: SyncClient, target: str, purpose: str, reason: str, unmasked: bool) -> ExportRequest:
    """Send a new request; it waits for the applicant's market manager or an admin."""
    problem = request_problem(target, purpose, reason)
    if problem is not None:
        raise problem
    return client.request_export(target.strip(), purpose.strip(), reason.strip(), unmasked)


def decide(client: SyncClient, request_id: str, approve: bool, note: str = "") -> ExportRequest:
    """Approve, or refuse with a reason (required: the applicant reads it)."""
    if not approve and not note.strip():
        raise UserFacingError(N_("Give the reason for refusing: the applicant reads it."))
    return client.decide_export(request_id, approve, note.strip())


def listed(client: SyncClient) -> list[ExportRequest]:
    return client.export_requests()


def keep(session: Session, requests: Sequence[ExportRequest]) -> RequestList:
    """Keep the server's list in the archive (an approval can be used at once, without waiting for a
    sync); returns it with who is looking."""
    session._archive.access.keep_requests(requests)
    return RequestList(account(session), session.role, tuple(requests))


def export_access(session: Session) -> ExportAccess:
    return ExportAccess(session.role, tuple(usable_requests(session)))


def may_decide(item: ExportRequest, me: str, role: UserRole) -> str | None:
    """Why ``me`` cannot approve or refuse ``item`` (a message id), or None. The server decides in the
    end (another team's request is not listed to a market manager at all)."""
    if item.applicant == me:
        return N_("Your own request is decided by your market manager or an admin, not by you.")
    if role not in (UserRole.SUPERVISOR, UserRole.ADMIN):
        return N_("Only market managers and admins decide export requests.")
    if item.state != "pending":
        return N_("This request has been decided already.")
    return None

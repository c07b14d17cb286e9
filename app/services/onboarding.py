"""The to-do list of onboarding steps (待办, issue 17): the steps the server says wait for the signed-in
user, their deadlines in working days and hours, and doing one with its phone notice where the step records
one (server/onboarding.py). The list is asked when shown; the last one fetched is kept in the encrypted
archive (its ``meta`` table, key :data:`KEPT`, for the server and user it was fetched as), so that without a
connection the window shows it "as of" then, read-only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.i18n import N_, _
from app.models import times
from app.models.onboarding import CaseStep, WaitingStep
from app.models.times import ZONE
from app.models.workdays import DAY_HOURS
from app.services import syncing
from app.services.changes import Notice
from app.services.session import Session
from app.sync.client import SyncClient

KEPT = "todo.onboarding"  # the archive's meta key of the last list fetched (JSON)

#: the server's refusals of a step, said in the user's language
REFUSALS = {
    "onboarding.out_of_order": N_("This step is not the one the case waits for now; refresh the list."),
    "onboarding.wrong_role": N_("This step belongs to another department or person."),
    "onboarding.stale": N_("Someone else moved this case on meanwhile; refresh the list."),
    "onboarding.closed": N_("This onboarding case is already finished."),
    "onboarding.not_found": N_("This onboarding case is not yours to see."),
    "onboarding.phone_required": N_("This step records its phone notice: who was called, the number and the outcome."),
    "onboarding.notice_future": N_("A call or notice cannot be in the future."),
    "onboarding.notice_incomplete": N_("Say who was called or told, and the outcome."),
}
ROLES = {"role:collector": N_("Customer manager"), "role:supervisor": N_("Market manager")}
SOURCES = {"collector": N_("Customer manager"), "import": N_("Import"), "office": N_("Monopoly office")}


def waiting(client: SyncClient) -> list[WaitingStep]:
    """The steps waiting for the user."""
    return client.onboarding_waiting()


@dataclasses.dataclass(frozen=True)
class KeptList:
    """The list as last fetched from the server, kept in the archive: when, and its steps."""

    at: str  # ISO time of the fetch
    steps: list[WaitingStep]


def keep(session: Session, items: list[WaitingStep]) -> None:
    """Keep ``items`` in the archive as the list fetched now, for the server and user signed in."""
    bound = syncing.binding(session)
    if not bound:
        return
    value = {
        "server": bound[0],
        "user": bound[1],
        "at": dt.datetime.now(ZONE).isoformat(timespec="seconds"),
        "steps": [dataclasses.asdict(w) for w in items],
    }
    session._archive.meta.set(KEPT, json.dumps(value, ensure_ascii=False))


def kept(session: Session) -> KeptList | None:
    """The list last fetched for the server and user signed in now (None: none, or another sign-in's)."""
    raw = session._archive.meta.get(KEPT)
    bound = syncing.binding(session)
    if not raw or not bound:
        return None
    try:
        value: dict[str, Any] = json.loads(raw)
        if (value.get("server"), value.get("user")) != tuple(bound):
            return None
        steps = [WaitingStep(**(w | {"step": CaseStep(**w["step"])})) for w in value["steps"]]
        return KeptList(str(value["at"]), steps)
    except (ValueError, TypeError, KeyError):  # written by another version: not shown rather than wrong
        return None


def overdue_now(step: CaseStep, now: dt.datetime | None = None) -> bool:
    """Whether the step is overdue now (a kept list's flag is as of its fetch; its deadline still counts)."""
    if step.overdue:
        return True
    due = times.parse(step.deadline) if step.deadline and not step.done_at else None
    if due is None:
        return False
    if due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    return (now or dt.datetime.now(ZONE)) > due


def do_step(client: SyncClient, item: WaitingStep, note: str, phone: Notice | None = None) -> int:
    """Do ``item``'s step with ``note`` and its phone notice (said before the server is asked when the step
    records one and none is given); the case's new revision, or a UserFacingError saying why not."""
    if item.step.phone and phone is None:
        raise UserFacingError(REFUSALS["onboarding.phone_required"])
    problem = phone.problem() if phone is not None else None
    if problem:
        raise UserFacingError(problem)
    try:
        wire = phone.wire() if phone is not None else None
        return client.onboarding_step(item.case_id, item.step.code, item.revision, note.strip(), wire)
    except SyncError as exc:
        code = getattr(exc, "code", None)
        if exc.kind is SyncErrorKind.REFUSED and code in REFUSALS:
            raise UserFacingError(REFUSALS[str(code)]) from None
        raise


def owner_text(step: CaseStep) -> str:
    if step.owner in ROLES:
        return _(ROLES[step.owner])
    return step.owner_name or step.owner.split(":", 1)[-1]


def source_text(source: str) -> str:
    if source.startswith("integration:"):
        return _("Licence system ({name})").format(name=source.split(":", 1)[1])
    return _(SOURCES[source]) if source in SOURCES else source


def origin_text(item: WaitingStep) -> str:
    """Where the case came from, and whether the licence system forwarded it late (more than 0.5 working
    day after the licence was issued, F3 L382–383)."""
    text = source_text(item.source)
    return _("{source}, forwarded late").format(source=text) if item.late_feed else text


def left_text(step: CaseStep) -> str:
    """The time left on the step's clock in working days and hours (a working day is ``DAY_HOURS``), or how
    long it is overdue."""
    if step.hours_left is None:
        return ""
    hours = round(abs(step.hours_left) * 2) / 2  # to the half hour
    days, rest = divmod(hours, DAY_HOURS)
    span = (
        _("{days:g} working days {hours:g} h").format(days=days, hours=rest)
        if days
        else _("{hours:g} h").format(hours=rest)
    )
    if step.overdue:
        return _("Overdue by {span}").format(span=span)
    if overdue_now(step):  # a list kept offline, or fetched before the deadline passed: red, so not "left"
        return _("Overdue (the deadline has passed)")
    return _("{span} left").format(span=span)

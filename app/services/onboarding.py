"""The to-do list of onboarding steps (待办, issue 17): the steps the server says wait for the signed-in
user, their deadlines in working days and hours, and doing one (server/onboarding.py). Nothing of it is
kept in the archive: the list is asked when shown, and says so when the server cannot be reached."""

from __future__ import annotations

from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.i18n import N_, _
from app.models.onboarding import CaseStep, WaitingStep
from app.models.workdays import DAY_HOURS
from app.sync.client import SyncClient

#: the server's refusals of a step, said in the user's language
REFUSALS = {
    "onboarding.out_of_order": N_("This step is not the one the case waits for now; refresh the list."),
    "onboarding.wrong_role": N_("This step belongs to another department or person."),
    "onboarding.stale": N_("Someone else moved this case on meanwhile; refresh the list."),
    "onboarding.closed": N_("This onboarding case is already finished."),
    "onboarding.not_found": N_("This onboarding case is not yours to see."),
}
ROLES = {"role:collector": N_("Customer manager"), "role:supervisor": N_("Market manager")}
SOURCES = {"collector": N_("Customer manager"), "import": N_("Import"), "office": N_("Monopoly office")}


def waiting(client: SyncClient) -> list[WaitingStep]:
    """The steps waiting for the user."""
    return client.onboarding_waiting()


def do_step(client: SyncClient, item: WaitingStep, note: str) -> int:
    """Do ``item``'s step with ``note``; the case's new revision, or a UserFacingError saying why not."""
    try:
        return client.onboarding_step(item.case_id, item.step.code, item.revision, note.strip())
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
    return _("{span} left").format(span=span)

"""The market manager's monthly check and the customer-service department's spot audits (issue 17;
server/checks.py; docs/domain.md "Monthly check and spot audits"): recorded and listed on the server, nothing
kept in the archive. What a simple rule refuses is said before anything is sent (the month, the day, the
findings when something is deficient, the sample and the score); the server's refusals are said in the
user's language."""

from __future__ import annotations

import datetime as dt
import re

from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.i18n import N_, translate
from app.models.checks import RATINGS, MaintenanceCheck
from app.sync.checks_client import CheckCalls
from app.sync.client import SyncClient

#: the server's refusals of a check, said in the user's language
REFUSALS = {
    "check.not_supervisor": N_("Only the customer manager's own market manager records their monthly check."),
    "check.not_service": N_("Spot audits are recorded by the customer-service department (客服部) or an admin."),
    "check.no_collector": N_("The server knows no customer manager of that account name."),
    "check.already": N_("This customer manager has been checked for that month already."),
    "check.day": N_("The day of the check is on or after the month's first day and not in the future."),
    "check.findings": N_("Say what was found when something is deficient."),
}
RATING_TEXT = {"ok": N_("Satisfactory"), "deficient": N_("Not satisfactory")}
POINTS = ("timeliness", "objectivity", "accuracy")


def _refused(exc: SyncError) -> None:
    code = getattr(exc, "code", None)
    if exc.kind is SyncErrorKind.REFUSED and code in REFUSALS:
        raise UserFacingError(REFUSALS[str(code)]) from None


def precheck(collector: str, month: str, checked_on: str, today: dt.date) -> tuple[str, str, str]:
    """The customer manager, the month and the day, checked as the server will: a UserFacingError if wrong."""
    who = collector.strip()
    if not who:
        raise UserFacingError(N_("Enter the customer manager's account name."))
    month = month_of(month)
    try:
        day = dt.date.fromisoformat(checked_on.strip())
    except ValueError:
        raise UserFacingError(N_("The day of the check is a date written YYYY-MM-DD.")) from None
    y, m = map(int, month.split("-"))
    if day > today or day < dt.date(y, m, 1):
        raise UserFacingError(REFUSALS["check.day"])
    return who, month, day.isoformat()


def monthly(
    client: SyncClient,
    collector: str,
    month: str,
    checked_on: str,
    ratings: dict[str, str],
    findings: str,
    today: dt.date,
) -> MaintenanceCheck:
    """Record the monthly check; the check as recorded, or a UserFacingError saying why not."""
    who, month, day = precheck(collector, month, checked_on, today)
    if set(ratings) != set(POINTS) or not set(ratings.values()) <= set(RATINGS):
        raise UserFacingError(N_("Rate the timeliness, the objectivity and the accuracy."))
    if "deficient" in ratings.values() and not findings.strip():
        raise UserFacingError(REFUSALS["check.findings"])
    try:
        return CheckCalls(client).monthly(who, month, day, ratings, findings.strip())
    except SyncError as exc:
        _refused(exc)
        raise


def spot(
    client: SyncClient,
    collector: str,
    month: str,
    checked_on: str,
    sample: int,
    score: int,
    findings: str,
    today: dt.date,
) -> MaintenanceCheck:
    """Record a spot audit; the audit as recorded, or a UserFacingError saying why not."""
    who, month, day = precheck(collector, month, checked_on, today)
    if not 1 <= sample <= 100_000:
        raise UserFacingError(N_("The number of archives sampled is at least 1."))
    if not 0 <= score <= 100:
        raise UserFacingError(N_("The score is from 0 to 100."))
    try:
        return CheckCalls(client).spot(who, month, day, sample, score, findings.strip())
    except SyncError as exc:
        _refused(exc)
        raise


def month_of(text: str) -> str:
    """``text`` as a month YYYY-MM, or a UserFacingError."""
    if not re.fullmatch(r"20[0-9]{2}-(0[1-9]|1[0-2])", text.strip()):
        raise UserFacingError(N_("The month is written YYYY-MM, e.g. 2026-11."))
    return text.strip()


def listing(client: SyncClient, month: str) -> list[MaintenanceCheck]:
    """The checks of ``month`` the user may see."""
    return CheckCalls(client).listing(month_of(month))


def result_text(c: MaintenanceCheck) -> str:
    """The check's result in one line: the three ratings, or the sample and the score."""
    if c.kind == "monthly":
        names = {"timeliness": N_("Timeliness"), "objectivity": N_("Objectivity"), "accuracy": N_("Accuracy")}
        ratings = {"timeliness": c.timeliness, "objectivity": c.objectivity, "accuracy": c.accuracy}
        return " · ".join(
            f"{translate(names[k])} {translate(RATING_TEXT.get(v or '', v or ''))}" for k, v in ratings.items()
        )
    return translate(N_("{sample} archives sampled, score {score}")).format(sample=c.sample, score=c.score)

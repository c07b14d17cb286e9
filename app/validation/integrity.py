"""The integrity archive's rules (诚信档案, F3 L165–181) and the complaint procedure (投诉, F3 L40, L186),
shared by the client's entry paths and the server's ``integrity.add`` / ``complaint.*`` mutations.

Pure functions over plain values: each returns the problems as ``(field, code)``; ``MESSAGES`` gives each
code's message id (English source, zh_CN in the catalogue). docs/domain.md lists each rule with its line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.i18n import N_

#: What an entry records (F3 L167: 经营许可信息、日常监督检查记录、违法违规行为及处理情况、
#: 消费者投诉及处理情况、表彰奖励情况).
KINDS = ("licence", "inspection", "violation", "complaint", "commendation")
KIND_LABELS = {
    "licence": N_("Licensing"),
    "inspection": N_("Routine inspection"),
    "violation": N_("Violation"),
    "complaint": N_("Consumer complaint"),
    "commendation": N_("Commendation or honour"),
}
#: The integrity grades as the documents define them (F3 L171–174), shown wherever a grade is shown.
GRADE_DEFINITIONS = {
    "A": N_("A: lawful business, honest self-discipline, high consumer satisfaction, no violation."),
    "B": N_("B: lawful business, keeps the rules on the whole, no serious violation, good consumer satisfaction."),
    "C": N_("C: some violations, minor, corrected promptly after education."),
    "D": N_("D: serious violations or repeated ones despite education, harming the tobacco market's order."),
}
#: Who the information comes from (F3 L168: the monopoly office's supervision and complaint handling; the
#: customer service department; the customer manager who keeps the file).
SOURCES = ("monopoly", "service", "collector")
SOURCE_LABELS = {
    "monopoly": N_("Monopoly office"),
    "service": N_("Customer service"),
    "collector": N_("Customer manager"),
}
#: How a complaint came in.
CHANNELS = ("phone", "visit", "letter", "online", "monopoly")
CHANNEL_LABELS = {
    "phone": N_("Phone (hotline)"),
    "visit": N_("In person"),
    "letter": N_("Letter"),
    "online": N_("Online"),
    "monopoly": N_("Passed on by the monopoly office"),
}
#: The complaint's states and the step that leads out of each (assign again while assigned: a handover).
STATUSES = ("received", "assigned", "handled", "answered", "closed")
STATUS_LABELS = {
    "received": N_("Awaiting assignment"),
    "assigned": N_("Assigned"),
    "handled": N_("Handled"),
    "answered": N_("Answered"),
    "closed": N_("Concluded"),
}
ACTIONS = {"assign": "assigned", "handle": "handled", "answer": "answered", "close": "closed"}
ALLOWED_FROM = {
    "assign": ("received", "assigned"),
    "handle": ("assigned",),
    "answer": ("handled",),
    "close": ("answered",),
}
#: The documents give no deadline for a complaint (requirements §3.8 [GAP]); the default is the manual's own
#: term for finishing a piece of archive work, 5 working days (F3 L146), counted from the day it came in.
DEADLINE_WORKDAYS = 5
#: Statuses in which a complaint still waits for its answer (overdue after its deadline).
OPEN_STATUSES = ("received", "assigned", "handled")

TEXT_MAX = 2000
NAME_MAX = 50
PHOTOS_MAX = 20
_PHONE = re.compile(r"\+?[0-9][0-9 \-]{4,19}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

MESSAGES: dict[str, str] = {
    "integrity.kind": N_("Choose what the entry records (licensing, inspection, violation, complaint, commendation)."),
    "integrity.source": N_("Choose where the information comes from (monopoly office, customer service, collector)."),
    "integrity.date": N_("Enter the date as YYYY-MM-DD, not in the future."),
    "integrity.text": N_("Describe what happened (at most 2000 characters)."),
    "integrity.too_long": N_("The text is too long (at most 2000 characters)."),
    "integrity.photos": N_("At most 20 attachments, each a stored photo."),
    "integrity.id": N_("The entry's id is not valid."),
    "complaint.channel": N_("Choose how the complaint came in."),
    "complaint.date": N_("Enter the day the complaint came in as YYYY-MM-DD, not in the future."),
    "complaint.content": N_("Write down what the complaint is about (at most 2000 characters)."),
    "complaint.name": N_("The complainant's name is at most 50 characters."),
    "complaint.phone": N_("The complainant's phone: digits, spaces, + and - only (5 to 20)."),
    "complaint.action": N_("This step does not exist."),
    "complaint.transition": N_("This step cannot follow the complaint's present state ({status})."),
    "complaint.assignee": N_("Name the person who handles the complaint."),
    "complaint.deadline": N_("The deadline is a date (YYYY-MM-DD) not before the day the complaint came in."),
    "complaint.text": N_("Say what was done (at most 2000 characters)."),
    "complaint.response": N_("A complaint is closed with the outlet's or the complainant's response."),
}


def past_day(text: Any, today: dt.date, slack_days: int = 0) -> dt.date | None:
    """A YYYY-MM-DD date not after ``today`` (+ ``slack_days``: a client's clock may run a little ahead)."""
    try:
        day = dt.date.fromisoformat(str(text))
    except ValueError:
        return None
    return None if day > today + dt.timedelta(days=slack_days) or day.year < 1900 else day


def _text(value: Any, required: bool, limit: int = TEXT_MAX) -> bool:
    """Whether ``value`` is an acceptable text."""
    if value is None:
        return not required
    if not isinstance(value, str):
        return False
    return len(value) <= limit and (bool(value.strip()) or not required)


def entry_problems(e: Mapping[str, Any], today: dt.date, slack_days: int = 0) -> list[tuple[str, str]]:
    """An integrity entry's problems: the kind and the source from their closed lists, a past date, a
    description, an optional account of the handling, at most ``PHOTOS_MAX`` attachments."""
    out: list[tuple[str, str]] = []
    if not isinstance(e.get("id"), str) or not _UUID.fullmatch(e["id"]):
        out.append(("id", "integrity.id"))
    if e.get("kind") not in KINDS:
        out.append(("kind", "integrity.kind"))
    if e.get("source") not in SOURCES:
        out.append(("source", "integrity.source"))
    if past_day(e.get("occurred_on"), today, slack_days) is None:
        out.append(("occurred_on", "integrity.date"))
    if not _text(e.get("text"), True):
        out.append(("text", "integrity.text"))
    if not _text(e.get("handling"), False):
        out.append(("handling", "integrity.too_long"))
    photos = e.get("photos") or []
    if not isinstance(photos, Sequence) or len(photos) > PHOTOS_MAX or not all(isinstance(p, str) for p in photos):
        out.append(("photos", "integrity.photos"))
    return out


def complaint_problems(c: Mapping[str, Any], today: dt.date, slack_days: int = 0) -> list[tuple[str, str]]:
    """A new complaint's problems. The complainant's name and phone are optional (a complaint may be
    anonymous) and are kept apart from the outlet's own values."""
    out: list[tuple[str, str]] = []
    if not isinstance(c.get("id"), str) or not _UUID.fullmatch(c["id"]):
        out.append(("id", "integrity.id"))
    if c.get("channel") not in CHANNELS:
        out.append(("channel", "complaint.channel"))
    if past_day(c.get("received_on"), today, slack_days) is None:
        out.append(("received_on", "complaint.date"))
    if not _text(c.get("content"), True):
        out.append(("content", "complaint.content"))
    if not _text(c.get("complainant_name"), False, NAME_MAX):
        out.append(("complainant_name", "complaint.name"))
    phone = c.get("complainant_phone") or ""
    if not isinstance(phone, str) or (phone and not _PHONE.fullmatch(phone.strip())):
        out.append(("complainant_phone", "complaint.phone"))
    return out


def step_problems(status: str, received_on: str, step: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A complaint step's problems against the complaint's present ``status``: the transitions of
    ``ALLOWED_FROM``; an assignment names its person and may set a deadline; handling, answering and
    closing say what was done; the close carries the response."""
    action = step.get("action")
    if action not in ACTIONS:
        return [("action", "complaint.action")]
    if status not in ALLOWED_FROM[action]:
        return [("action", "complaint.transition")]
    out: list[tuple[str, str]] = []
    if action == "assign":
        who = step.get("assignee")
        if not isinstance(who, str) or not who.strip() or len(who) > 64:
            out.append(("assignee", "complaint.assignee"))
        deadline = step.get("deadline")
        if deadline not in (None, ""):
            try:
                day = dt.date.fromisoformat(str(deadline))
            except ValueError:
                day = None
            if day is None or day < dt.date.fromisoformat(received_on):
                out.append(("deadline", "complaint.deadline"))
    else:
        code = "complaint.response" if action == "close" else "complaint.text"
        if not _text(step.get("text"), True):
            out.append(("text", code))
    return out


def default_deadline(received_on: dt.date, add_workdays: Any) -> dt.date:
    """The answer is due ``DEADLINE_WORKDAYS`` working days after the day it came in (``add_workdays``:
    the work calendar's ``add_workdays``, so holidays and make-up days count as the calendar says)."""
    day: dt.date = add_workdays(received_on, DEADLINE_WORKDAYS)
    return day


def is_overdue(status: str, deadline: str | None, today: dt.date) -> bool:
    """A complaint not answered yet after its deadline day."""
    return status in OPEN_STATUSES and bool(deadline) and str(deadline) < today.isoformat()


def mask_name(name: str | None) -> str:
    """The complainant's name as lists show it: the first character, the rest as *."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def mask_phone(phone: str | None) -> str:
    """The complainant's phone as lists show it: the first 3 and the last 4 digits."""
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    return digits[:3] + "****" + digits[-4:] if len(digits) > 7 else "*" * len(digits)

"""The administration area's work (app/ui/admin): each function takes a signed-in ``SyncClient`` and runs on
the network pool (``UiContext.ask_server``), never touching the archive. What the admin types or picks is
checked here first, with a message in the person's language; the server checks again, logs the call and
answers with its own reason when it refuses.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from app.errors import UserFacingError
from app.i18n import N_
from app.models.admin import (
    AdminDevice,
    AdminUser,
    AuditEntry,
    CalendarChange,
    CalendarDraft,
    ClassifyRun,
    Destroyed,
    DueRecord,
    Handover,
    Incident,
    IncidentRow,
    LogEntry,
    OneTimeCode,
    PurchaseImport,
    Territories,
    Verification,
)
from app.models.owners import CODE_RE
from app.services import syncing
from app.sync.admin_client import AdminCalls
from app.sync.client import MemoryTokens, SyncClient

ROLE_LABELS = {
    "collector": N_("Customer manager"),
    "supervisor": N_("Market manager"),
    "admin": N_("Administrator"),
    "viewer": N_("Territory viewer (reports only)"),  # city, county or province: docs/domain.md
}
DAY_KINDS = {"holiday": N_("Holiday"), "workday": N_("Make-up working day"), "normal": N_("Ordinary day")}
PERIOD_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])")
NAME_RE = re.compile(r"[^\s/\\]{1,64}")
MAX_SHEET = 50 * 1024 * 1024
SHEETS = (".xlsx", ".xlsm", ".xls", ".et", ".ods", ".csv")  # the server tells the format by content


def _calls(client: Any) -> AdminCalls:
    return AdminCalls(client)


def users(client: Any) -> list[AdminUser]:
    return _calls(client).users()


def add_user(
    client: Any, name: str, role: str, display_name: str, supervisor: str, department: str = ""
) -> OneTimeCode:
    """A new user (``department``: placed in it at once, a department user); their one-time code."""
    name = name.strip()
    if not NAME_RE.fullmatch(name):
        raise UserFacingError(N_("A user name has 1 to 64 characters, without spaces or slashes."))
    return _calls(client).add_user(name, role, display_name.strip() or None, supervisor or None, department or None)


def set_disabled(client: Any, name: str, disabled: bool) -> None:
    _calls(client).set_disabled(name, disabled)


def reset_password(client: Any, name: str) -> OneTimeCode:
    return _calls(client).reset(name)


def set_role(client: Any, name: str, role: str) -> int:
    return _calls(client).set_role(name, role)


def set_team(client: Any, name: str, supervisor: str | None) -> int:
    return _calls(client).set_team(name, supervisor or None)


LEVEL_LABELS = {"province": N_("Province"), "city": N_("City"), "county": N_("County"), "team": N_("Team")}
#: the level of a node's children (a team has none)
CHILD_LEVEL = {"province": "city", "city": "county", "county": "team"}


def node_name(text: str) -> str:
    """A node's or department's name as the server will take it, or the reason it will not."""
    text = unicodedata.normalize("NFC", text.strip())
    if not text:
        raise UserFacingError(N_("Enter a name."))
    if len(text) > 100:
        raise UserFacingError(N_("A name has at most 100 characters."))
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in text):
        raise UserFacingError(N_("The name holds a line break or another invisible character; type it again."))
    return text


def territories(client: Any) -> Territories:
    return _calls(client).territories()


def add_node(client: Any, name: str, level: str, parent: int | None, supervisor: str = "") -> int:
    if level == "team" and parent is None:
        raise UserFacingError(N_("A team belongs to a county: choose its county in the tree first."))
    return _calls(client).add_node(node_name(name), level, parent, supervisor or None)


def rename_node(client: Any, node: int, name: str) -> None:
    _calls(client).rename_node(node, node_name(name))


def move_node(client: Any, node: int, parent: int | None) -> None:
    if parent == node:
        raise UserFacingError(N_("A node cannot move under itself."))
    _calls(client).move_node(node, parent)


def set_node_supervisor(client: Any, node: int, supervisor: str) -> int:
    return _calls(client).set_node_supervisor(node, supervisor or None)


def remove_node(client: Any, node: int) -> None:
    _calls(client).remove_node(node)


def add_department(client: Any, code: str, name: str) -> None:
    code = code.strip()
    if not CODE_RE.fullmatch(code):
        raise UserFacingError(
            N_("A department's code has 1 to 32 lower-case letters, digits, _ or -, beginning with a letter.")
        )
    _calls(client).add_department(code, node_name(name))


def rename_department(client: Any, code: str, name: str) -> None:
    _calls(client).rename_department(code, node_name(name))


def remove_department(client: Any, code: str) -> None:
    _calls(client).remove_department(code)


def place_user(client: Any, name: str, territory: int | None, department: str, manager: bool = False) -> int:
    """Place ``name`` at a node and in a department; ``manager``: as that department's manager."""
    if not name:
        raise UserFacingError(N_("Choose a user first."))
    if manager and not department:
        raise UserFacingError(N_("A department's manager belongs to that department: choose the department."))
    return _calls(client).place_user(name, territory, department or None, manager)


def devices(client: Any) -> list[AdminDevice]:
    return _calls(client).devices()


def revoke(client: Any, user: str, device_id: str) -> None:
    _calls(client).revoke(user, device_id)


def customer_refs(text: str) -> list[str]:
    """Customer codes or ids typed one per line or separated by commas or spaces."""
    return [t for t in re.split(r"[\s,，、;；]+", text) if t]


def handover(client: Any, to: str, customers: str, from_user: str, note: str) -> Handover:
    refs = customer_refs(customers)
    if not to:
        raise UserFacingError(N_("Choose who receives the customers."))
    if not refs and not from_user:
        raise UserFacingError(N_("Name the customers to hand over, or the user whose customers they are."))
    if from_user and from_user == to:
        raise UserFacingError(N_("The customers would stay with the same person."))
    return _calls(client).handover(to, refs, from_user or None, note.strip())


def handovers(client: Any) -> list[LogEntry]:
    return _calls(client).handovers()


def admin_log(client: Any) -> list[LogEntry]:
    return _calls(client).log()


def calendar(client: Any) -> dict[str, Any]:
    return _calls(client).calendar()


def import_calendar(client: Any, path: Path, draft: bool = False) -> CalendarChange:
    """A calendar file in the bundled format ({"holidays": {YEAR: [DATES]}, "workdays": {…}}), published at
    once or into the draft."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        raise UserFacingError(N_("{file} is not a calendar file (JSON)."), file=path.name) from None
    if not isinstance(data, dict) or not ({"holidays", "workdays"} & data.keys()):
        raise UserFacingError(N_("{file} is not a calendar file (JSON)."), file=path.name)
    return _calls(client).import_calendar({k: data[k] for k in ("holidays", "workdays") if k in data}, draft)


def set_day(client: Any, day: dt.date, kind: str, draft: bool = False) -> CalendarChange:
    if kind == "workday" and day.weekday() < 5:
        raise UserFacingError(N_("A make-up working day is a Saturday or a Sunday."))
    return _calls(client).set_day(day, kind, draft)


def calendar_draft(client: Any) -> CalendarDraft:
    """The admin's draft (no years, no changes: there is none)."""
    return _calls(client).calendar_draft()


def publish_calendar(client: Any) -> CalendarChange:
    """The draft becomes the calendar every client fetches at its next sync."""
    return _calls(client).publish_calendar()


def discard_calendar(client: Any) -> CalendarChange:
    return _calls(client).discard_calendar()


def check_period(text: str) -> str:
    text = text.strip().upper()
    if not PERIOD_RE.fullmatch(text):
        raise UserFacingError(N_("The period is a month (2026-07) or a quarter (2026-Q3)."))
    return text


def import_purchases(client: Any, path: Path, period: str, dry_run: bool) -> PurchaseImport:
    """Purchase figures from a spreadsheet; a dry run checks every row and writes nothing."""
    if path.suffix.lower() not in SHEETS:
        raise UserFacingError(N_("The purchase figures are a spreadsheet (.xlsx, .xls, .et, .ods or .csv)."))
    try:
        data = path.read_bytes()
    except OSError:
        raise UserFacingError(N_("{file} cannot be read."), file=path.name) from None
    if len(data) > MAX_SHEET:
        raise UserFacingError(N_("{file} is too large to send."), file=path.name)
    return _calls(client).import_purchases(data, check_period(period) if period.strip() else None, dry_run)


def classify(client: Any, period: str, dry_run: bool) -> ClassifyRun:
    return _calls(client).classify(check_period(period), dry_run)


def audit(client: Any, device: str = "", user: str = "") -> list[AuditEntry]:
    return _calls(client).audit(device.strip() or None, user.strip() or None)


def verify_audit(client: Any) -> Verification:
    return _calls(client).verify()


def export_audit(client: Any, target: Path) -> int:
    return _calls(client).export_audit(target)


RECORD_CLASSES = {"closed": N_("Closed outlet"), "deleted": N_("Deleted record")}


def retention_due(client: Any) -> list[DueRecord]:
    """The records past their retention (docs/domain.md, "The archive's lifecycle")."""
    return _calls(client).retention_due()


def destroy_records(client: Any, record_ids: list[str], reason: str) -> list[Destroyed]:
    """Destroy the records on the server, approved by the signed-in admin; all or none, not undone."""
    if not record_ids:
        raise UserFacingError(N_("Choose the records to destroy."))
    if not reason.strip():
        raise UserFacingError(N_("Say why the records are destroyed (the decision or its reference)."))
    return _calls(client).destroy(list(record_ids), reason.strip())


INCIDENT_KINDS = {
    "leak": N_("Data leak"),
    "lost_device": N_("Lost or stolen device"),
    "disclosure": N_("Disclosure to someone not entitled"),
    "other": N_("Other incident"),
}
INCIDENT_STEPS = {
    "opened": N_("Recorded"),
    "revoked": N_("Device revoked"),
    "remedy": N_("Remedy recorded"),
    "notified": N_("Notice recorded"),
    "closed": N_("Ended"),
}


def incidents(client: Any) -> list[IncidentRow]:
    """Every incident, newest first (docs/domain.md, "Incident records")."""
    return _calls(client).incidents()


def incident(client: Any, incident_id: int) -> Incident:
    return _calls(client).incident(incident_id)


def open_incident(client: Any, kind: str, day: str, summary: str, customers: str) -> Incident:
    """Record an incident: its kind, the day, what happened and the affected customers (codes or ids,
    separated by commas, spaces or new lines)."""
    if kind not in INCIDENT_KINDS:
        raise UserFacingError(N_("Choose what kind of incident it is."))
    try:
        happened = dt.date.fromisoformat(day)
    except ValueError:
        raise UserFacingError(N_("Enter the day it happened.")) from None
    if happened > dt.date.today() + dt.timedelta(days=1):
        raise UserFacingError(N_("The day it happened cannot be in the future."))
    if not summary.strip():
        raise UserFacingError(N_("Say what happened."))
    refs = [r for r in re.split(r"[\s,，、;；]+", customers) if r]
    return _calls(client).open_incident(kind, happened.isoformat(), summary.strip(), refs)


def revoke_for_incident(client: Any, incident_id: int, user: str, device_id: str) -> Incident:
    """Revoke the lost or exposed device of ``user`` as a step of the incident."""
    if not user.strip() or not device_id.strip():
        raise UserFacingError(N_("Name the user and the device to revoke."))
    return _calls(client).revoke_for_incident(incident_id, user.strip(), device_id.strip())


def record_incident(client: Any, incident_id: int, what: str, text: str) -> Incident:
    """The remedy taken (``remedy``) or who was told (``notified``)."""
    if not text.strip():
        raise UserFacingError(N_("Say what was done.") if what == "remedy" else N_("Say who was told, and when."))
    return _calls(client).record_incident(incident_id, what, text.strip())


def close_incident(client: Any, current: Incident) -> Incident:
    """Close the incident: refused here, saying what is missing, until the remedy and who was told are recorded."""
    if current.state == "closed":
        raise UserFacingError(N_("This incident is closed already."))
    if not current.remedy and not current.notified:
        raise UserFacingError(N_("Record the remedy and who was told before closing the incident."))
    if not current.remedy:
        raise UserFacingError(N_("Record the remedy before closing the incident."))
    if not current.notified:
        raise UserFacingError(N_("Record who was told before closing the incident."))
    return _calls(client).close_incident(current.id)


def redeem_code(server: str, user: str, code: str, password: str, repeat: str) -> None:
    """Set one's own password with the one-time code an admin gave (no sign-in needed; the server then
    ends every session of the user, who signs in with the new password)."""
    server, user, code = server.strip().rstrip("/"), user.strip(), code.strip()
    problem = syncing.server_problem(server)
    if problem is not None:
        raise problem
    if not user or not code:
        raise UserFacingError(N_("Enter your user name and the code you were given."))
    if password != repeat:
        raise UserFacingError(N_("The two passwords are not the same."))
    if len(password) < 8:
        raise UserFacingError(N_("The password must have at least 8 characters."))
    client = SyncClient(server, MemoryTokens(), "", allow_insecure=syncing.insecure_allowed())
    try:
        resp = client._send(
            "POST", "/auth/reset", auth=False, body={"username": user, "code": code, "new_password": password}
        )
        if resp.status_code == 401:
            raise UserFacingError(N_("The code is wrong, used or expired: ask an administrator for a new one."))
        client._check(resp)
    finally:
        client.close()

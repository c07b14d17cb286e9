"""The access guards from the desktop app (issue 18): AB posts (an admin or A's market manager sets who covers
a customer manager on leave, for which days and why; ends one early; reads its handover records) and the alerts
to admins (listed, acknowledged). Each call goes to the server this archive is signed in to, which checks and
logs it (server/covers.py, server/alerts.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.errors import UserFacingError
from app.i18n import N_
from app.models.guards import Alert, Cover
from app.sync import guard_protocol as gp
from app.sync.decoding import decode

#: what each alert is, in the user's language (the server's kinds)
ALERT_KINDS = {
    "failed_logins_user": N_("Failed sign-ins on one account"),
    "failed_logins_address": N_("Failed sign-ins from one address"),
    "refused_tokens": N_("Refused tokens"),
    "export_volume": N_("Customers exported in a day"),
}
COVER_STATES = {"planned": N_("Planned"), "active": N_("In force"), "ended": N_("Ended")}
HANDOVER_EVENTS = {"start": N_("Start"), "end": N_("End")}


def covers(client: Any) -> list[Cover]:
    return decode(gp.covers, client._call("GET", "/covers"), "covers")


def cover(client: Any, cover_id: int) -> Cover:
    return decode(gp.cover, client._call("GET", f"/covers/{int(cover_id)}"), "cover")


def set_cover(client: Any, absent: str, cover_by: str, starts: dt.date, ends: dt.date, reason: str) -> Cover:
    """Set a cover for whole days in China (from the first day's start to the last day's end)."""
    absent, cover_by, reason = absent.strip(), cover_by.strip(), reason.strip()
    if not absent or not cover_by:
        raise UserFacingError(N_("Name the customer manager on leave and who covers them."))
    if ends < starts:
        raise UserFacingError(N_("The last day cannot be before the first."))
    if not reason:
        raise UserFacingError(N_("Say why (the leave)."))
    body = {
        "absent": absent,
        "cover": cover_by,
        "starts": starts.isoformat(),
        "ends": ends.isoformat(),
        "reason": reason,
    }
    return decode(gp.cover, client._call("POST", "/covers", body=body), "cover")


def end_cover(client: Any, cover_id: int) -> Cover:
    return decode(gp.cover, client._call("POST", f"/covers/{int(cover_id)}/end"), "cover")


def alerts(client: Any, unacknowledged: bool = False) -> list[Alert]:
    params = {"unacknowledged": "true"} if unacknowledged else {}
    return decode(gp.alerts, client._call("GET", "/admin/alerts", params=params), "alerts")


def alerts_waiting(client: Any) -> int:
    """How many alerts wait for an acknowledgement (not written to the admin log, unlike the list)."""
    return decode(gp.waiting, client._call("GET", "/admin/alerts/waiting"), "alerts.waiting")


def acknowledge(client: Any, alert_id: int) -> Alert:
    return decode(gp.alert, client._call("POST", f"/admin/alerts/{int(alert_id)}/acknowledge"), "alert")

"""The admin API's calls (under /api/v1/admin, docs/server.md) over a signed-in ``SyncClient``: the same
transport, tokens, TLS and error kinds; each answer decoded by app.sync.admin_protocol. The server
refuses every call to anyone but an admin (403, a REFUSED SyncError)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

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
from app.sync import admin_protocol as ap
from app.sync.client import SyncClient
from app.sync.decoding import decode

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AdminCalls:
    def __init__(self, client: SyncClient) -> None:
        self.client = client

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        return self.client._call(method, "/admin" + path, **kw)

    # ---- users ---------------------------------------------------------------------------------
    def users(self) -> list[AdminUser]:
        return decode(ap.users, self._call("GET", "/users"), "users")

    def add_user(
        self, name: str, role: str, display_name: str | None, supervisor: str | None, department: str | None = None
    ) -> OneTimeCode:
        body = {"name": name, "role": role, "display_name": display_name or None, "supervisor": supervisor or None}
        if department:
            body["department"] = department
        return decode(ap.code, self._call("POST", "/users", body=body), "user")

    def set_disabled(self, name: str, disabled: bool) -> None:
        self._call("POST", f"/users/{name}/{'disable' if disabled else 'enable'}")

    def reset(self, name: str) -> OneTimeCode:
        return decode(ap.code, self._call("POST", f"/users/{name}/reset"), "reset")

    def set_role(self, name: str, role: str) -> int:
        return decode(ap.changed, self._call("PUT", f"/users/{name}/role", body={"role": role}), "role")

    def set_team(self, name: str, supervisor: str | None) -> int:
        return decode(ap.changed, self._call("PUT", f"/users/{name}/team", body={"supervisor": supervisor}), "team")

    # ---- territory tree, departments, where users stand -------------------------------------------
    def territories(self) -> Territories:
        return decode(ap.territories, self._call("GET", "/territories"), "territories")

    def add_node(self, name: str, level: str, parent: int | None, supervisor: str | None) -> int:
        body = {"name": name, "level": level, "parent": parent, "supervisor": supervisor or None}
        return decode(ap.node_id, self._call("POST", "/territories", body=body), "territory")

    def rename_node(self, node: int, name: str) -> None:
        self._call("PUT", f"/territories/{node}/name", body={"name": name})

    def move_node(self, node: int, parent: int | None) -> None:
        self._call("PUT", f"/territories/{node}/parent", body={"parent": parent})

    def set_node_supervisor(self, node: int, supervisor: str | None) -> int:
        answer = self._call("PUT", f"/territories/{node}/supervisor", body={"supervisor": supervisor or None})
        return decode(ap.changed, answer, "territory")

    def remove_node(self, node: int) -> None:
        self._call("DELETE", f"/territories/{node}")

    def add_department(self, code: str, name: str) -> None:
        self._call("POST", "/departments", body={"code": code, "name": name})

    def rename_department(self, code: str, name: str) -> None:
        self._call("PUT", f"/departments/{code}/name", body={"name": name})

    def remove_department(self, code: str) -> None:
        self._call("DELETE", f"/departments/{code}")

    def place_user(self, name: str, territory: int | None, department: str | None, manager: bool = False) -> int:
        body = {"territory": territory, "department": department or None, "manager": manager}
        return decode(ap.changed, self._call("PUT", f"/users/{name}/place", body=body), "place")

    # ---- devices, handovers --------------------------------------------------------------------
    def devices(self, user: str | None = None) -> list[AdminDevice]:
        return decode(ap.devices, self._call("GET", "/devices", params={"user": user} if user else None), "devices")

    def revoke(self, user: str, device_id: str) -> None:
        self._call("POST", "/devices/revoke", body={"user": user, "device_id": device_id})

    def handover(self, to: str, customers: list[str], from_user: str | None, note: str) -> Handover:
        body = {"to": to, "customers": customers, "from_user": from_user or None, "note": note}
        return decode(ap.handover, self._call("POST", "/handovers", body=body), "handover")

    def handovers(self) -> list[LogEntry]:
        return decode(ap.log, self._call("GET", "/handovers"), "handovers")

    def log(self, limit: int = 200) -> list[LogEntry]:
        return decode(ap.log, self._call("GET", "/log", params={"limit": limit}), "log")

    # ---- calendar --------------------------------------------------------------------------------
    def calendar(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("GET", "/calendar")
        return answer

    def import_calendar(self, data: dict[str, Any], draft: bool = False) -> CalendarChange:
        answer = self._call("PUT", "/calendar", body=data, params={"draft": "true"} if draft else None)
        return decode(ap.calendar_change, answer, "calendar")

    def set_day(self, day: dt.date, kind: str, draft: bool = False) -> CalendarChange:
        params = {"draft": "true"} if draft else None
        answer = self._call("PUT", f"/calendar/days/{day.isoformat()}", body={"kind": kind}, params=params)
        return decode(ap.calendar_change, answer, "calendar")

    def calendar_draft(self) -> CalendarDraft:
        return decode(ap.calendar_draft, self._call("GET", "/calendar/draft"), "calendar draft")

    def publish_calendar(self) -> CalendarChange:
        return decode(ap.calendar_change, self._call("POST", "/calendar/draft/publish"), "calendar publish")

    def discard_calendar(self) -> CalendarChange:
        return decode(ap.calendar_change, self._call("DELETE", "/calendar/draft"), "calendar discard")

    # ---- purchases, classification ----------------------------------------------------------------
    def import_purchases(self, data: bytes, period: str | None, dry_run: bool) -> PurchaseImport:
        params: dict[str, Any] = {"dry_run": "true" if dry_run else "false"}
        if period:
            params["period"] = period
        answer = self._call("POST", "/purchases", raw=data, headers={"Content-Type": XLSX}, params=params)
        return decode(ap.purchases, answer, "purchases")

    def classify(self, period: str, dry_run: bool) -> ClassifyRun:
        answer = self._call("POST", "/classify", body={"period": period, "dry_run": dry_run})
        return decode(ap.classify, answer, "classify")

    # ---- retention, destruction ------------------------------------------------------------------
    def retention_due(self) -> list[DueRecord]:
        return decode(ap.due, self._call("GET", "/retention/due"), "retention")

    def destroy(self, records: list[str], reason: str) -> list[Destroyed]:
        answer = self._call("POST", "/retention/destroy", body={"records": records, "reason": reason})
        return decode(ap.destroyed, answer, "destroy")

    # ---- incidents (安全事件) ---------------------------------------------------------------------------
    def incidents(self, state: str | None = None) -> list[IncidentRow]:
        params = {"state": state} if state else None
        return decode(ap.incident_rows, self._call("GET", "/incidents", params=params), "incidents")

    def incident(self, incident_id: int) -> Incident:
        return decode(ap.incident, self._call("GET", f"/incidents/{incident_id}"), "incident")

    def open_incident(self, kind: str, occurred_on: str, summary: str, customers: list[str]) -> Incident:
        body = {"kind": kind, "occurred_on": occurred_on, "summary": summary, "customers": customers}
        return decode(ap.incident, self._call("POST", "/incidents", body=body), "incident")

    def revoke_for_incident(self, incident_id: int, user: str, device_id: str) -> Incident:
        body = {"user": user, "device_id": device_id}
        return decode(ap.incident, self._call("POST", f"/incidents/{incident_id}/revoke", body=body), "incident")

    def record_incident(self, incident_id: int, what: str, text: str) -> Incident:
        answer = self._call("PUT", f"/incidents/{incident_id}/{what}", body={"text": text})
        return decode(ap.incident, answer, "incident")

    def close_incident(self, incident_id: int) -> Incident:
        return decode(ap.incident, self._call("POST", f"/incidents/{incident_id}/close"), "incident")

    # ---- audit copy ---------------------------------------------------------------------------------
    def audit(self, device: str | None = None, user: str | None = None, limit: int = 500) -> list[AuditEntry]:
        params: dict[str, Any] = {"limit": limit}
        if device:
            params["device"] = device
        if user:
            params["user"] = user
        return decode(ap.audit, self._call("GET", "/audit", params=params), "audit")

    def verify(self) -> Verification:
        return decode(ap.verification, self._call("POST", "/audit/verify"), "verify")

    def export_audit(self, target: Path) -> int:
        """The audit copy (JSON lines) written to ``target`` through a temporary file; returns the entries."""
        resp = self.client._send("GET", "/admin/audit/export")
        if resp.status_code == 401:
            self.client.refresh()
            resp = self.client._send("GET", "/admin/audit/export")
        if not 200 <= resp.status_code < 300:
            self.client._check(resp)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(resp.content)
        tmp.replace(target)
        return resp.content.count(b"\n")

"""The admin API's answers as the client holds them (docs/server.md, "Admin API"): frozen values made once
from the JSON by app.sync.admin_protocol and shown by the administration area (app/ui/admin).

Plain data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.models.wire import UserRole


@dataclass(frozen=True, slots=True)
class AdminUser:
    name: str
    display_name: str
    role: UserRole
    supervisor: str | None
    disabled: bool
    created_at: float
    customers: int  # customers the user holds
    devices: int  # devices not revoked


@dataclass(frozen=True, slots=True)
class OneTimeCode:
    """The code a user sets their password with; shown once to the admin, never kept."""

    name: str
    code: str | None
    expires_at: float | None


@dataclass(frozen=True, slots=True)
class AdminDevice:
    user: str
    device_id: str
    device_name: str
    last_login_at: float | None
    revoked: bool


@dataclass(frozen=True, slots=True)
class Moved:
    record_id: str
    code: str | None
    shop: str
    old_owner: str | None


@dataclass(frozen=True, slots=True)
class Handover:
    to: str
    from_user: str | None
    note: str
    moved: tuple[Moved, ...]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One row of the server's admin log (a handover's record is one too)."""

    at: float
    actor: str
    via: str  # api | cli
    action: str
    target: str
    outcome: str  # ok | refused | failed
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CalendarChange:
    years: tuple[int, ...]
    version: str  # the published version
    draft_changes: int | None = None  # a change to the draft: how many days the draft now changes
    changed_days: int | None = None  # a published draft: how many days it changed


@dataclass(frozen=True, slots=True)
class DraftDay:
    day: str
    published: str  # holiday | workday | normal
    draft: str


@dataclass(frozen=True, slots=True)
class CalendarDraft:
    """The admin's draft of the work calendar: no client sees it until it is published."""

    years: tuple[int, ...]
    changes: tuple[DraftDay, ...]
    published_version: str


@dataclass(frozen=True, slots=True)
class PurchaseImport:
    imported: int
    replaced: int
    periods: tuple[str, ...]
    figures_updated: int
    dry_run: bool


@dataclass(frozen=True, slots=True)
class ClassChange:
    """One row of a classification run's table of changes."""

    record_id: str
    code: str
    shop: str
    retail_format: str
    score: float | None
    old_scale: str | None
    new_scale: str | None
    old_class: str | None
    new_class: str | None


@dataclass(frozen=True, slots=True)
class ClassifyRun:
    period: str
    applied: bool
    ranked: int
    unchanged: int
    no_figures: int
    changes: tuple[ClassChange, ...]
    no_format: tuple[str, ...] = ()
    no_code_letter: tuple[str, ...] = ()
    formats_without_purchases: tuple[str, ...] = ()
    changed: int = 0  # customers changed (would change): ``changes`` lists the first 10,000 of them

    @property
    def count(self) -> int:
        return max(self.changed, len(self.changes))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    device: str
    seq: int
    at: str
    actor: str
    entity: str
    entity_id: str
    action: str
    field: str | None
    old: str | None
    new: str | None
    uploaded_by: str


@dataclass(frozen=True, slots=True)
class Verification:
    intact: bool
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DueRecord:
    """A record past its retention (``GET /admin/retention/due``): ids and dates, no personal value."""

    record_id: str
    code: str | None
    record_class: str  # closed | deleted
    since: str  # ISO time it was closed or deleted
    retention_days: int
    due_since: str


@dataclass(frozen=True, slots=True)
class Destroyed:
    """One record destroyed (``POST /admin/retention/destroy``): what went, as counts."""

    record_id: str
    record_class: str
    removed: dict[str, int] = field(default_factory=dict)
    kept_in_backups: tuple[str, ...] = ()  # the backups made before it, which hold it until their rotation


@dataclass(frozen=True, slots=True)
class TerritoryNode:
    """A node of the territory tree (province → city → county → team), as the server lists it."""

    id: int
    parent: int | None
    level: str  # province | city | county | team
    name: str
    supervisor: str | None  # a team's market manager
    users: tuple[str, ...]  # the users placed at this node


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    users: int
    fields: int  # fields of the form in force that it owns


@dataclass(frozen=True, slots=True)
class Place:
    """Where a user stands: a territory node and a department (None: none), and whether they manage it."""

    user: str
    territory: int | None
    department: str | None
    manager: bool = False  # the department's manager (市场部's signs bulk maintenance)


@dataclass(frozen=True, slots=True)
class Territories:
    nodes: tuple[TerritoryNode, ...]  # depth first, siblings by name
    departments: tuple[Department, ...]
    places: tuple[Place, ...]


@dataclass(frozen=True, slots=True)
class IncidentStep:
    """One step of an incident (opened, revoked, remedy, notified, closed): what, its details, who, when."""

    action: str
    detail: dict[str, Any]
    by: str
    at: float  # server time, epoch seconds


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """An incident as ``GET /admin/incidents`` lists it: the number of affected customers, no steps."""

    id: int
    kind: str  # leak | lost_device | disclosure | other
    occurred_on: str
    summary: str
    customers: int
    state: str  # open | closed
    remedy: str | None
    notified: str | None


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident with the affected customers' ids and its steps, oldest first."""

    id: int
    kind: str
    occurred_on: str
    summary: str
    customers: tuple[str, ...]
    remedy: str | None
    notified: str | None
    state: str
    created_by: str
    created_at: float
    closed_at: float | None
    steps: tuple[IncidentStep, ...]

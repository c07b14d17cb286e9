"""Request and response shapes of the admin API (server/admin_api.py, docs/server.md) as Pydantic models,
in the manner of server/wiremodels.py: strict requests (unknown keys refused, no NUL), declared answers."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from server.wiremodels import NO_NUL, Strict

Role = Literal["collector", "supervisor", "admin", "viewer"]
NAME = Field(min_length=1, max_length=64, pattern=NO_NUL)


class AdminUser(BaseModel):
    name: str
    display_name: str
    role: Role
    supervisor: str | None
    disabled: bool
    created_at: float
    customers: int  # customers the user holds
    devices: int  # devices not revoked


class NewUser(Strict):
    name: str = NAME
    role: Role
    display_name: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    supervisor: str | None = Field(default=None, max_length=64, pattern=NO_NUL)
    department: str | None = Field(default=None, max_length=32, pattern=NO_NUL)  # placed in it at once


class OneTimeCode(BaseModel):
    """A code the user sets their password with (POST /auth/reset): shown once, never stored in clear."""

    name: str
    code: str | None
    code_expires_at: float | None


class RoleChange(Strict):
    role: Role


class TeamChange(Strict):
    supervisor: str | None = Field(default=None, max_length=64, pattern=NO_NUL)  # null: no team


class Changed(BaseModel):
    customers: int  # customers whose visibility changed (role) or who moved with the user (team)


class AdminDevice(BaseModel):
    user: str
    device_id: str
    device_name: str
    last_login_at: float | None
    revoked: bool


class DeviceRef(Strict):
    user: str = NAME
    device_id: str = Field(min_length=1, max_length=128, pattern=NO_NUL)


class HandoverIn(Strict):
    to: str = NAME
    customers: list[str] = Field(default=[], max_length=10_000)  # ids or official codes
    from_user: str | None = Field(default=None, max_length=64, pattern=NO_NUL)  # every customer they hold
    note: str = Field(default="", max_length=1000, pattern=NO_NUL)


class MovedOut(BaseModel):
    record_id: str
    code: str | None
    shop: str
    old_owner: str | None


class HandoverOut(BaseModel):
    to: str
    from_user: str | None
    note: str
    moved: list[MovedOut]


class LogEntry(BaseModel):
    at: float
    actor: str
    via: Literal["api", "cli"]
    action: str
    target: str
    outcome: Literal["ok", "refused", "failed"]
    detail: dict[str, Any]


class CalendarIn(Strict):
    """The bundled file's shape: the years named are replaced as a whole."""

    holidays: dict[str, list[dt.date]] = Field(default={}, max_length=50)
    workdays: dict[str, list[dt.date]] = Field(default={}, max_length=50)


class DayIn(Strict):
    kind: Literal["holiday", "workday", "normal"]


class CalendarChanged(BaseModel):
    years: list[int]
    version: str  # the published version (unchanged by a change to the draft)
    draft_changes: int | None = None  # a change to the draft: the days the draft now changes


class DraftDay(BaseModel):
    day: str
    published: Literal["holiday", "workday", "normal"]
    draft: Literal["holiday", "workday", "normal"]


class CalendarDraftOut(BaseModel):
    """The admin's draft: its years and every day it would change; clients see none of it."""

    years: list[int]
    changes: list[DraftDay]
    published_version: str


class CalendarPublished(BaseModel):
    years: list[int]
    version: str
    changed_days: int = 0


class PurchasesOut(BaseModel):
    imported: int
    replaced: int
    periods: list[str]
    figures_updated: int
    dry_run: bool


class ClassifyIn(Strict):
    period: str = Field(min_length=1, max_length=16, pattern=NO_NUL)
    dry_run: bool = True


class ChangeRow(BaseModel):
    record_id: str
    code: str
    shop: str
    retail_format: str
    score: float | None
    old_scale: str | None
    new_scale: str | None
    old_class: str | None
    new_class: str | None


class ClassifyOut(BaseModel):
    period: str
    applied: bool
    ranked: int
    unchanged: int
    no_figures: int
    no_format: list[str]
    no_code_letter: list[str]
    formats_without_purchases: list[str]
    first_quarter: list[str] = []  # new customers still in their first quarter: their first estimate kept
    reassessed: list[str] = []  # new customers whose first quarter ended in the period: re-assessed now
    changed: int  # customers changed (would change); ``changes`` lists the first 10,000
    changes: list[ChangeRow]


class AuditEntryOut(BaseModel):
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
    source: str
    source_ref: str
    info_date: str | None
    forked: bool
    uploaded_by: str


class VerifyOut(BaseModel):
    intact: bool
    problems: list[str]


class ResetIn(Strict):
    username: str = NAME
    code: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    new_password: str = Field(min_length=1, max_length=1024)


class DueOut(BaseModel):
    """A record past its retention (server/lifecycle.py ``Due``): ids and dates only, no personal value."""

    record_id: str
    code: str | None
    record_class: Literal["closed", "deleted"] = Field(alias="class")
    since: str
    retention_days: int
    due_since: str

    model_config = {"populate_by_name": True}


class DestroyIn(Strict):
    """Destroy these records (all or none); the calling admin approves, with the procedure's reason."""

    records: list[str] = Field(min_length=1, max_length=1000)
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


class DestroyedOut(BaseModel):
    record_id: str
    record_class: Literal["closed", "deleted"] = Field(alias="class")
    removed: dict[str, int]
    kept_in_backups: list[str] = []  # the backups made before, which still hold it until their rotation

    model_config = {"populate_by_name": True}

"""The modification ledger's answers (``GET /reports/ledger`` and ``…/summary``) as Pydantic models, for
FastAPI's response validation and the OpenAPI schema (server/ledger.py computes them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Path = Literal["own_save", "review", "bulk", "system", "other", "county", "city", "emergency"]


class LedgerPerson(BaseModel):
    name: str
    display_name: str


class LedgerScope(BaseModel):
    user: str
    display_name: str
    role: str
    collectors: list[LedgerPerson] = Field(description="the customer managers whose customers the caller sees")


class LedgerRow(BaseModel):
    """One changed field of one completed modification."""

    completed_at: str = Field(description="when the change took effect (UTC, ISO 8601)")
    path: Path
    record_id: str
    code: str | None
    shop_name: str | None
    collector: str | None = Field(description="the customer's manager (客户经理), login name")
    collector_name: str | None
    field: str
    field_label_zh: str
    field_label_en: str
    group: str | None = Field(description="the field's group in the catalogue (None: the customer's manager)")
    old: Any = None
    new: Any = None
    changed_by: str | None
    changed_by_name: str | None
    approved_by: str | None = Field(description="who approved it (review and approved bulk changes)")
    approved_by_name: str | None
    source: str | None = Field(description="the provenance of the change: visit, phone, import, manual, …")


class LedgerPage(BaseModel):
    """A page of the ledger, oldest first; ``next_cursor`` asks for the next one (None: the last page)."""

    start: str
    end: str
    generated_at: str
    collector: str | None
    scope: LedgerScope
    masked: bool = Field(description="personal numbers (resident ID, bank account) masked to 6 + 4 characters")
    rows: list[LedgerRow]
    next_cursor: str | None


class LedgerGroupCount(BaseModel):
    group: str | None
    label_zh: str
    label_en: str
    count: int


class LedgerCollectorCount(BaseModel):
    collector: str | None
    display_name: str | None
    count: int
    by_path: dict[str, int]


class LedgerDepartmentCount(BaseModel):
    department: str = Field(description="the code of the department that owns the changed fields")
    name: str
    count: int


class LedgerSummary(BaseModel):
    """The period's counts: per field group, per customer manager (with their paths), per path, per owning
    department."""

    start: str
    end: str
    generated_at: str
    collector: str | None
    scope: LedgerScope
    total: int
    customers: int
    by_group: list[LedgerGroupCount]
    by_collector: list[LedgerCollectorCount]
    by_path: dict[str, int]
    by_department: list[LedgerDepartmentCount]

"""Request and response shapes of the protocol (docs/sync-protocol.md) as Pydantic models.

They give FastAPI its validation (every malformed request is a 4xx with per-field reasons) and
the OpenAPI schema that schemathesis checks the real responses against.
"""
from __future__ import annotations

import re
from typing import Any, Literal

from typing_extensions import TypedDict

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.models.wire import MAX_BATCH, ChangeKind, MutationKind, ResultStatus

UUID_RE = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
SHA_RE = r"^[0-9a-f]{64}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorField(BaseModel):
    field: str
    code: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[ErrorField] = []
    horizon: int | None = None
    offset: int | None = None


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL characters


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=1024)
    device_id: str = Field(min_length=1, max_length=128, pattern=NO_NUL)
    device_name: str = Field(default="", max_length=200, pattern=NO_NUL)


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    device_id: str = Field(min_length=1, max_length=128, pattern=NO_NUL)


class UserOut(BaseModel):
    name: str
    display_name: str
    role: Literal["collector", "supervisor", "admin"]
    supervisor: str | None


class TokenResponse(BaseModel):
    access_token: str
    access_expires_in: int
    refresh_token: str
    user: UserOut
    server_time: str


class OkResponse(BaseModel):
    ok: bool


class InfoResponse(BaseModel):
    protocol: int
    min_protocol: int
    server_version: str
    form_version: int


class FieldChange(TypedDict, total=False):
    """A field's old and new value. A TypedDict, not a model: a push carries thousands of them, and
    validating dicts costs a fraction of building and dumping model objects."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    old: Any
    new: Any


class VisitIn(Strict):
    id: str = Field(pattern=UUID_RE)
    visited_on: str = Field(max_length=32)
    purpose: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=4000)
    sales_anomaly: str = Field(default="", max_length=1000)
    photos: list[str] = Field(default=[], max_length=50)

    @field_validator("photos")
    @classmethod
    def _hashes(cls, v: list[str]) -> list[str]:
        if any(not re.fullmatch(SHA_RE, h) for h in v):
            raise ValueError("photos are SHA-256 hex digests in lower case")
        return v

    @field_validator("id")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class CheckIn(Strict):
    kind: Literal["quarterly", "static"]
    day: str = Field(max_length=32)


class DecisionIn(Strict):
    action: Literal["approve", "return"]
    reason: str = Field(default="", max_length=2000)
    fields: list[str] = Field(default=[], max_length=200)


class ProvenanceIn(Strict):
    source: Literal["visit", "phone", "import", "manual"] = "manual"
    source_ref: str = Field(default="", max_length=200)
    info_date: str | None = Field(default=None, max_length=32)
    at: str | None = Field(default=None, max_length=64)


class MutationIn(Strict):
    mutation_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    kind: MutationKind
    record_id: str = Field(pattern=UUID_RE)
    base_version: int = Field(ge=0, le=2**31 - 1)
    form_version: int | None = Field(default=None, ge=0, le=2**31 - 1)
    changes: dict[str, FieldChange] | None = Field(default=None, max_length=300)
    visit: VisitIn | None = None
    decision: DecisionIn | None = None
    check: CheckIn | None = None
    note: str | None = Field(default=None, max_length=2000)
    urgent: bool = False  # customer.submit: an emergency change (应急维护), decided within hours
    provenance: ProvenanceIn | None = None

    @field_validator("record_id")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class PushRequest(Strict):
    mutations: list[MutationIn] = Field(max_length=MAX_BATCH)


class ReviewOut(BaseModel):
    """The current review round: its submission, and the decision once there is one."""
    submitted_at: str | None = None
    submitted_by: str | None = None
    note: str = ""
    urgent: bool = False
    action: str | None = None
    reason: str = ""
    fields: list[str] = []
    by: str | None = None
    at: str | None = None


class RecordOut(BaseModel):
    id: str
    version: int
    status: Literal["draft", "pending", "approved", "returned"]
    code: str | None
    code_official: bool
    values: dict[str, Any]
    approved_values: dict[str, Any] | None
    owner: str | None
    created_by: str | None
    updated_at: str
    review: ReviewOut | None
    missing_photos: list[str]
    deleted: bool


class ConflictOut(BaseModel):
    field: str
    base: Any
    mine: Any
    server: Any


class ResultError(BaseModel):
    field: str | None
    code: str
    message: str
    params: dict[str, Any] = {}


class ResultOut(BaseModel):
    mutation_id: str
    status: ResultStatus
    record: RecordOut | None
    conflicts: list[ConflictOut]
    errors: list[ResultError]


class PushResponse(BaseModel):
    results: list[ResultOut]
    server_time: str


class ChangeOut(BaseModel):
    seq: int
    kind: ChangeKind
    record: RecordOut | None
    record_id: str | None
    form: dict[str, Any] | None


class PullResponse(BaseModel):
    changes: list[ChangeOut]
    cursor: int
    more: bool
    server_time: str


class PhotoStatus(BaseModel):
    complete: bool
    offset: int


class ReportScope(BaseModel):
    user: str
    display_name: str
    role: str
    collectors: list[str]


class CategoryAdjustment(BaseModel):
    record_id: str
    code: str | None
    shop_name: str | None
    owner: str | None
    field: str
    field_label_zh: str
    old: Any = None
    new: Any = None
    changed_on: str
    by: str | None


class MissingField(BaseModel):
    field: str
    label_zh: str
    count: int


class CompletenessRow(BaseModel):
    collector: str
    display_name: str
    customers: int
    complete: int
    incomplete: int
    missing_total: int
    missing_by_field: list[MissingField]


class OverdueRow(BaseModel):
    record_id: str
    code: str | None
    shop_name: str | None
    owner: str | None
    kind: Literal["new", "quarterly", "static"]
    due: str
    workdays_overdue: int


class VisitRow(BaseModel):
    collector: str
    display_name: str
    visits: int
    customers_visited: int
    customers: int
    with_anomaly: int


class MonthlyReport(BaseModel):
    """The monthly reports (due by the 3rd): category adjustments, completeness, overdue, visits."""
    month: str
    as_of: str
    generated_at: str
    scope: ReportScope
    category_adjustments: list[CategoryAdjustment]
    completeness: list[CompletenessRow]
    overdue: list[OverdueRow]
    visits: list[VisitRow]


class CreditRatingOut(BaseModel):
    """One integrity-grading procedure: initial rating, public notice, appeal, final decision."""

    id: int
    customer_code: str | None
    grade: str
    status: str = Field(description="notice | appealed | decided")
    rated_on: str
    notice_start: str
    notice_end: str = Field(description="last working day of the public notice")
    notice_workdays: int
    appeal_on: str | None
    appeal_text: str | None
    decided_on: str | None
    final_grade: str | None
    decision_note: str | None
    rated_by: str
    decided_by: str | None


class CreditHistory(BaseModel):
    record_id: str
    ratings: list[CreditRatingOut]


class CalendarOut(BaseModel):
    """Public holidays and make-up working days (调休) for the years listed; other days follow Monday-Friday."""

    years: list[int]
    holidays: list[str]
    workdays: list[str]
    version: str


class PurchaseImportOut(BaseModel):
    imported: int
    replaced: int
    periods: list[str]

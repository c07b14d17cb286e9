"""Request and response shapes of the protocol (docs/sync-protocol.md) as Pydantic models.

They give FastAPI its validation (every malformed request is a 4xx with per-field reasons) and
the OpenAPI schema that schemathesis checks the real responses against.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

from app.models.wire import MAX_AUDIT, MAX_BATCH, ChangeKind, MutationKind, ResultStatus
from server.integrity_models import ComplaintIn, EntryIn, IntegrityFileOut, StepIn
from server.service_models import ServiceIn, ServiceOut, ServiceStepIn
from server.signature_models import SignatureIn, SignatureOut
from server.wirecheck import PROVISIONAL_RE, SHA_RE, UUID_RE, plain_mutations, screen


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
    role: Literal["collector", "supervisor", "admin", "viewer"]
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
    client_version: str | None = None  # the newest desktop client, when the server is told
    min_client_version: str | None = None  # older clients are answered 426
    download_url: str | None = None  # where to get the client
    epoch: str | None = None  # the database's identity; a restore changes it (docs/sync-protocol.md)
    features: list[str] = []  # additions a client may use (``provisional_code``); absent from older servers


class FieldChange(TypedDict, total=False):
    """A field's old and new value. A TypedDict, not a model: a push carries thousands of them, and
    validating dicts costs a fraction of building and dumping model objects."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]  # pydantic reads it; a TypedDict body may hold only keys
    old: Any
    new: Any


class VisitIn(Strict):
    id: str = Field(pattern=UUID_RE)
    visited_on: str = Field(max_length=32)
    purpose: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=4000)
    sales_anomaly: str = Field(default="", max_length=1000)
    photos: list[str] = Field(default=[], max_length=50)
    # order collection on the visit (订单采集, F3 L291–292): the orders taken, the cartons (条) ordered and
    # their amount in yuan as a decimal text with at most 2 places; absent: no order was collected
    orders: int | None = Field(default=None, ge=0, le=1000)
    order_quantity: int | None = Field(default=None, ge=0, le=1_000_000)
    order_amount: str | None = Field(default=None, pattern=r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")

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
    # an approval sent again after a server restore: the official code the client holds (server.codes.keep_code)
    code: str | None = Field(default=None, pattern=r"^[0-9]{12}$")


class ClosureIn(Strict):
    """``customer.close``: closing an outlet (销户) or reopening it."""

    action: Literal["close", "reopen"]
    day: str | None = Field(default=None, max_length=32)  # the licence's cancellation date (reopen: today)
    reason: str = Field(default="", max_length=2000)


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
    entry: EntryIn | None = None  # integrity.add
    complaint: ComplaintIn | None = None  # complaint.open
    step: StepIn | None = None  # complaint.step
    closure: ClosureIn | None = None
    signature: SignatureIn | None = None  # signature.add
    service: ServiceIn | None = None  # service.add
    service_step: ServiceStepIn | None = None  # service.step
    note: str | None = Field(default=None, max_length=2000)
    urgent: bool = False  # customer.submit: an emergency change (应急维护), decided within hours
    provenance: ProvenanceIn | None = None
    #: customer.save: the code the client shows until the official one (kept while there is none)
    provisional_code: str | None = Field(default=None, max_length=40, pattern=PROVISIONAL_RE)

    @field_validator("record_id")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class PushRequest(Strict):
    mutations: list[MutationIn] = Field(max_length=MAX_BATCH)

    _plain: list[dict[str, Any]] | None = PrivateAttr(default=None)
    _refused: dict[int, dict[str, Any]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _fast(cls, data: Any, handler: ModelWrapValidatorHandler[PushRequest]) -> PushRequest:
        """A batch that is plainly well-formed is taken without building a model object per mutation (a push of
        200 customers spends most of its parsing time there); anything else goes the normal way, so
        the answers, and the 422s with their reasons, are the model's own."""
        plain = plain_mutations(data)
        if plain is None:
            data, refused = screen(data)
            request = handler(data)
            request._refused = refused
            return request
        request = cls.model_construct(mutations=[])
        request._plain = plain
        return request

    def batch(self) -> list[dict[str, Any]]:
        """The mutations as plain dicts, as ``model_dump(mode="json", exclude_unset=True)`` gives them; a
        mutation refused for its content (``screen``) is ``{"mutation_id", REFUSED: [errors]}`` in its place."""
        if self._plain is not None:
            return self._plain
        out: list[dict[str, Any]] = self.model_dump(mode="json", exclude_unset=True)["mutations"]
        for i, placeholder in self._refused.items():
            out[i] = placeholder
        return out


class ReviewOut(BaseModel):
    """The current review round: its submission, and the decision once there is one."""

    submitted_at: str | None = None
    submitted_by: str | None = None
    submitted_by_name: str | None = None  # display names: added later, absent from older records
    note: str = ""
    urgent: bool = False
    action: str | None = None
    reason: str = ""
    fields: list[str] = []
    by: str | None = None
    by_name: str | None = None
    at: str | None = None


class ClosureOut(BaseModel):
    """The last close or reopen of an outlet (销户); ``state`` closed means the record is read-only."""

    state: Literal["closed", "reopened"]
    day: str
    reason: str
    by: str
    by_name: str | None = None
    at: str


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
    updated_by: str | None = None  # who made this version (None: not known to this answer)
    provisional_code: str | None = None  # the collector's code until the official one
    people: dict[str, str] = {}  # login name -> display name of the accounts the record names
    integrity: IntegrityFileOut | None = None  # the customer's integrity file, in the feed (server.integrity)
    closure: ClosureOut | None = None  # added later (issue 18): absent from older servers' records
    signatures: list[SignatureOut] | None = None  # the customer's signatures, in the feed (server.signatures)
    service: list[ServiceOut] | None = None  # the customer's service records, in the feed (server.service)


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
    epoch: str | None = None  # as in /info: a page of another epoch than the client's means a restore


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
    # the month's checks of the collector's maintenance (server/checks.py): spot audits and their mean score,
    # the market manager's monthly check (ok | deficient; None: not checked)
    spot_audits: int = 0
    spot_audit_score: float | None = None
    monthly_check: str | None = None


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


class ComplaintFigures(BaseModel):
    """Complaints of the month: received, closed, closed within their deadline, overdue (in total)."""

    received: int
    closed: int
    closed_in_time: int
    overdue: int


class ComplaintRow(ComplaintFigures):
    """The complaints of one collector's customers in the month."""

    collector: str
    display_name: str


class MonthlyReport(BaseModel):
    """The monthly reports (due by the 3rd): category adjustments, completeness, overdue, visits,
    complaints (per collector and in total)."""

    month: str
    as_of: str
    generated_at: str
    scope: ReportScope
    category_adjustments: list[CategoryAdjustment]
    completeness: list[CompletenessRow]
    overdue: list[OverdueRow]
    visits: list[VisitRow]
    complaints: list[ComplaintRow]
    complaints_total: ComplaintFigures


class ReportJob(BaseModel):
    """A monthly report produced in the background: its progress (customers gone through of the total)."""

    id: str
    month: str
    state: Literal["running", "done", "failed"]
    done: int
    total: int
    error: str | None = None


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
    basis: dict[str, Any] | None = None  # the integrity entries the rating was based on (server.integrity.basis)


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
    figures_updated: int = Field(description="customers whose monthly purchase fields (latest month) changed")


AUDIT_TEXT = r"^[^\x00]*$"


class AuditEntryIn(Strict):
    """One entry of a client's audit trail, exactly as the client hashed it (app.models.audit_chain)."""

    seq: int = Field(ge=1, le=2**62)
    at: str = Field(min_length=1, max_length=40, pattern=AUDIT_TEXT)
    actor: str = Field(max_length=200, pattern=AUDIT_TEXT)
    device: str = Field(min_length=1, max_length=128, pattern=AUDIT_TEXT)
    entity: str = Field(min_length=1, max_length=40, pattern=AUDIT_TEXT)
    entity_id: str = Field(min_length=1, max_length=100, pattern=AUDIT_TEXT)
    action: str = Field(min_length=1, max_length=40, pattern=AUDIT_TEXT)
    field: str | None = Field(None, max_length=200, pattern=AUDIT_TEXT)
    old: str | None = Field(None, max_length=1_000_000, pattern=AUDIT_TEXT)
    new: str | None = Field(None, max_length=1_000_000, pattern=AUDIT_TEXT)
    source: str = Field(min_length=1, max_length=16, pattern=AUDIT_TEXT)
    source_ref: str = Field(max_length=4000, pattern=AUDIT_TEXT)
    info_date: str | None = Field(None, max_length=32, pattern=AUDIT_TEXT)
    prev_hash: str = Field(pattern=SHA_RE)
    hash: str = Field(pattern=SHA_RE)
    # chain version 2 (app.models.audit_chain): the salt (gone once redacted) and the values' digest
    salt: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")
    vd: str | None = Field(None, pattern=r"^([0-9a-f]{64}|legacy-redacted)$")


class AuditUpload(Strict):
    entries: list[AuditEntryIn] = Field(min_length=1, max_length=MAX_AUDIT)


class AuditUploadOut(BaseModel):
    stored: int
    known: int
    forked: int
    head: int

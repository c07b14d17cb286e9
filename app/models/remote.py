"""The server's answers as the client holds them: frozen values built on the wire enums of
app.models.wire, made once from the JSON by app.sync.protocol (the only place that reads the
server's dicts) and read by the sync engine, app.storage and the conflict dialog.

Plain data: no I/O. The field names are those of docs/sync-protocol.md.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from app.models.wire import ChangeKind, ResultStatus, UserRole
from app.models.workdays import WorkCalendar


@dataclass(frozen=True, slots=True)
class RemoteUser:
    name: str
    display_name: str
    role: UserRole
    supervisor: str | None = None


@dataclass(frozen=True, slots=True)
class SignIn:
    """A login's answer: the token pair (kept by the token store) and who signed in."""

    access_token: str
    refresh_token: str
    user: RemoteUser


@dataclass(frozen=True, slots=True)
class RemoteRecord:
    """A customer as the server has it (``Record`` of the protocol)."""

    id: str
    version: int
    status: str  # draft | pending | approved | returned
    values: dict[str, Any]
    code: str | None = None
    code_official: bool = False
    approved_values: dict[str, Any] | None = None
    review: dict[str, Any] | None = None  # the last decision: action, by, at, reason, fields
    owner: str | None = None
    deleted: bool = False
    created_by: str | None = None
    updated_by: str | None = None  # who made this version (``system``: the server itself); None: not said
    people: dict[str, str] = field(default_factory=dict)  # login name -> display name, of those named here
    provisional_code: str | None = None  # the creator's TMP-… code, while there is no official one
    # the customer's integrity file (entries, complaints) as the feed sends it; None: not sent (push answers)
    integrity: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    closure: dict[str, Any] | None = None  # the last close or reopen (销户): state, day, reason, by, at
    # the customer's signatures as the feed sends them (each a dict with a text ``id``); None: not sent
    signatures: tuple[dict[str, Any], ...] | None = field(default=None, compare=False, repr=False)
    # the customer's service records as the feed sends them (each a dict with a text ``id``); None: not sent
    service: tuple[dict[str, Any], ...] | None = field(default=None, compare=False, repr=False)
    wire: dict[str, Any] | None = field(default=None, compare=False, repr=False)  # as it came (kept with a conflict)


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """One field changed here and on the server since the version we started from."""

    field: str
    base: Any
    mine: Any
    server: Any

    def as_wire(self) -> dict[str, Any]:
        return {"field": self.field, "base": self.base, "mine": self.mine, "server": self.server}


@dataclass(frozen=True, slots=True)
class FieldError:
    """Why the server refused a mutation (a field, or None for the whole record)."""

    field: str | None
    code: str
    message: str = ""
    params: dict[str, Any] | None = None

    def as_wire(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message, "params": self.params or {}}


@dataclass(frozen=True, slots=True)
class PushResult:
    """The server's answer to one mutation."""

    mutation_id: str
    status: ResultStatus
    record: RemoteRecord | None = None
    conflicts: tuple[FieldConflict, ...] = ()
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedChange:
    """One entry of the feed: a record's newest state, a record that left our scope, or a new form."""

    seq: int
    kind: ChangeKind
    record: RemoteRecord | None = None
    record_id: str | None = None
    form: dict[str, Any] | None = None

    @property
    def rid(self) -> str | None:
        """The record this change is about (None for a form)."""
        return self.record_id or (self.record.id if self.record is not None else None)


@dataclass(frozen=True, slots=True)
class FeedPage:
    changes: tuple[FeedChange, ...]
    cursor: int
    more: bool


@dataclass(frozen=True, slots=True)
class PhotoProgress:
    """How much of a photo the server holds."""

    complete: bool
    offset: int


@dataclass(frozen=True, slots=True)
class RemoteCalendar:
    """The work calendar the server publishes (``GET /calendar``): public holidays and make-up
    working days (调休) for the years listed; ``version`` is also its ETag."""

    version: str
    years: frozenset[int]
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    def work_calendar(self) -> WorkCalendar:
        return WorkCalendar(self.holidays, self.workdays, self.years)

    def as_wire(self) -> dict[str, Any]:
        """As the server sent it (kept in the archive's meta table, read back by WorkCalendar.from_server)."""
        return {
            "years": sorted(self.years),
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """``GET /info``: the protocol and server versions, the desktop client the server offers, the
    database's epoch and the protocol's additions the server takes."""

    protocol: int
    min_protocol: int
    server_version: str
    form_version: int
    client_version: str | None = None  # the newest desktop client, when the server is told
    min_client_version: str | None = None
    download_url: str | None = None
    epoch: str | None = None  # the server database's identity; a restore changes it (older servers: None)
    features: frozenset[str] = frozenset()  # additions a client may use (``provisional_code``); older: none


@dataclass(frozen=True, slots=True)
class CreditRating:
    """One integrity-grading procedure: initial rating, public notice, appeal, final decision."""

    id: int
    grade: str
    status: str  # notice | appealed | decided
    rated_on: str
    notice_start: str
    notice_end: str  # the last working day of the public notice
    notice_workdays: int
    customer_code: str | None = None
    appeal_on: str | None = None
    appeal_text: str | None = None
    decided_on: str | None = None
    final_grade: str | None = None
    decision_note: str | None = None
    rated_by: str | None = None
    decided_by: str | None = None


@dataclass(frozen=True, slots=True)
class CreditHistory:
    """``GET /records/{id}/credit``: a customer's grading procedures."""

    record_id: str
    ratings: tuple[CreditRating, ...]


@dataclass(frozen=True, slots=True)
class Notice:
    """One outlet on the public notice list (公示, F3 L177): its initial grade and the notice's dates."""

    record_id: str
    code: str | None
    shop_name: str | None
    owner: str | None
    grade: str
    status: str  # notice | appealed
    rated_on: str
    notice_start: str
    notice_end: str
    appeal_on: str | None = None


@dataclass(frozen=True, slots=True)
class NoticeList:
    """``GET /credit/notices``: the outlets under notice on ``on`` that the caller may see."""

    on: str
    notices: tuple[Notice, ...]


@dataclass(frozen=True, slots=True)
class ReportScope:
    user: str
    display_name: str
    role: str
    collectors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CategoryAdjustment:
    """A change of a category field (a row of 客户类别调整情况表)."""

    record_id: str
    field: str
    field_label_zh: str
    changed_on: str
    old: Any = None
    new: Any = None
    code: str | None = None
    shop_name: str | None = None
    owner: str | None = None
    by: str | None = None


@dataclass(frozen=True, slots=True)
class MissingField:
    field: str
    label_zh: str
    count: int


@dataclass(frozen=True, slots=True)
class CompletenessRow:
    """Archive completeness of one collector's customers."""

    collector: str
    display_name: str
    customers: int
    complete: int
    incomplete: int
    missing_total: int
    missing_by_field: tuple[MissingField, ...] = ()
    # the month's checks of the maintenance (server/checks.py): the spot audits (抽查) and their mean score, the
    # market manager's monthly check: "ok", "deficient", or None when not checked
    spot_audits: int = 0
    spot_audit_score: float | None = None
    monthly_check: str | None = None


@dataclass(frozen=True, slots=True)
class OverdueRow:
    """Maintenance not done in time: kind is new | quarterly | static."""

    record_id: str
    kind: str
    due: str
    workdays_overdue: int
    code: str | None = None
    shop_name: str | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class VisitRow:
    collector: str
    display_name: str
    visits: int
    customers_visited: int
    customers: int
    with_anomaly: int


@dataclass(frozen=True, slots=True)
class ComplaintFigures:
    """Complaints of the month (投诉处理情况): received, closed, closed within their deadline, overdue."""

    received: int
    closed: int
    closed_in_time: int
    overdue: int


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    """The complaints of one collector's customers in the month."""

    collector: str
    display_name: str
    figures: ComplaintFigures


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """``GET /reports/monthly`` (or a report job's result): the figures of the monthly reports."""

    month: str
    as_of: str
    generated_at: str
    scope: ReportScope
    category_adjustments: tuple[CategoryAdjustment, ...]
    completeness: tuple[CompletenessRow, ...]
    overdue: tuple[OverdueRow, ...]
    visits: tuple[VisitRow, ...]
    complaints: tuple[ComplaintRow, ...]
    complaints_total: ComplaintFigures


class JobState(str, enum.Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ReportJob:
    """A monthly report the server produces in the background: customers gone through of the total."""

    id: str
    month: str
    state: JobState
    done: int
    total: int
    error: str | None = None


class LedgerPath(str, enum.Enum):
    """How a completed modification came about (server/ledger.py says what each covers)."""

    OWN_SAVE = "own_save"
    REVIEW = "review"
    BULK = "bulk"
    SYSTEM = "system"
    OTHER = "other"
    COUNTY = "county"  # a county-initiated change request (server/changes.py)
    CITY = "city"  # a city-initiated task order
    EMERGENCY = "emergency"  # an emergency change


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One changed field of one completed modification (a row of 客户信息修改台帐). ``old``/``new`` are the
    stored values (personal numbers masked by the server where the caller's role calls for it)."""

    completed_at: str
    path: LedgerPath
    record_id: str
    field: str
    field_label_zh: str
    field_label_en: str
    old: Any = None
    new: Any = None
    code: str | None = None
    shop_name: str | None = None
    collector: str | None = None
    collector_name: str | None = None
    group: str | None = None
    changed_by: str | None = None
    changed_by_name: str | None = None
    approved_by: str | None = None
    approved_by_name: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerPerson:
    name: str
    display_name: str


@dataclass(frozen=True, slots=True)
class LedgerGroupCount:
    group: str | None
    label_zh: str
    label_en: str
    count: int


@dataclass(frozen=True, slots=True)
class LedgerDepartmentCount:
    """The changed fields a department owns (the catalogue's field owners; docs/domain.md)."""

    department: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class LedgerCollectorCount:
    collector: str | None
    display_name: str | None
    count: int
    by_path: tuple[tuple[LedgerPath, int], ...] = ()


@dataclass(frozen=True, slots=True)
class LedgerSummary:
    """``GET /reports/ledger/summary``: the period's counts per field group, collector, path and department."""

    total: int
    customers: int
    by_group: tuple[LedgerGroupCount, ...] = ()
    by_collector: tuple[LedgerCollectorCount, ...] = ()
    by_path: tuple[tuple[LedgerPath, int], ...] = ()
    by_department: tuple[LedgerDepartmentCount, ...] = ()  # () from a server older than the field owners


@dataclass(frozen=True, slots=True)
class LedgerPage:
    """``GET /reports/ledger``: one page of rows, and the cursor of the next one (None: the last)."""

    start: str
    end: str
    generated_at: str
    collector: str | None
    user: str
    display_name: str
    collectors: tuple[LedgerPerson, ...]
    masked: bool
    rows: tuple[LedgerRow, ...]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Ledger:
    """The whole ledger of a period as the client shows and exports it: every page's rows and the summary."""

    start: str
    end: str
    generated_at: str
    collector: str | None
    user: str
    display_name: str
    collectors: tuple[LedgerPerson, ...]
    masked: bool
    rows: tuple[LedgerRow, ...]
    summary: LedgerSummary


@dataclass(frozen=True, slots=True)
class AccessView:
    """One time someone opened or printed a customer (``GET /records/{id}/access``)."""

    at: str
    kind: str  # app.models.wire.AccessKind's value
    actor: str
    user: str
    display_name: str
    device: str
    via: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerAccess:
    """``GET /records/{id}/access``: who looked at a customer, oldest first."""

    record_id: str
    entries: tuple[AccessView, ...]


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """A request to export personal fields beyond one's team or ID and bank numbers unmasked, and its
    decision (server/access.py); times in seconds since the epoch."""

    id: str
    applicant: str
    applicant_name: str
    target: str
    purpose: str
    reason: str
    unmasked: bool
    state: str  # pending | approved | refused
    created_at: float
    approver: str | None = None
    approver_name: str | None = None
    note: str = ""
    decided_at: float | None = None
    valid_until: float | None = None

    def usable(self, user: str, now: float) -> bool:
        """Approved, for ``user``, and still valid at ``now``."""
        return (
            self.state == "approved"
            and self.applicant == user
            and self.valid_until is not None
            and now <= self.valid_until
        )

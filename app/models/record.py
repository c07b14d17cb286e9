"""Records as plain frozen dataclasses: what crosses the storage boundary (never ORM rows)."""

from __future__ import annotations

import enum
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

from app.i18n import N_


class CustomerStatus(str, enum.Enum):
    DRAFT = "draft"
    PENDING = "pending"  # pending review
    APPROVED = "approved"
    RETURNED = "returned"

    @property
    def msgid(self) -> str:
        return STATUS_MSGIDS[self]


STATUS_MSGIDS = {
    CustomerStatus.DRAFT: N_("Draft"),
    CustomerStatus.PENDING: N_("Pending review"),
    CustomerStatus.APPROVED: N_("Approved"),
    CustomerStatus.RETURNED: N_("Returned"),
}


class Source(str, enum.Enum):
    """Where a piece of collected information came from (recorded in the audit trail)."""

    VISIT = "visit"
    PHONE = "phone"
    IMPORT = "import"
    MANUAL = "manual"
    SYNC = "sync"
    SYSTEM = "system"
    REVIEW = "review"


SOURCE_MSGIDS = {
    Source.VISIT: N_("Visit"),
    Source.PHONE: N_("Phone call"),
    Source.IMPORT: N_("Import file"),
    Source.MANUAL: N_("Entered"),
    Source.SYNC: N_("Server"),
    Source.SYSTEM: N_("System"),
    Source.REVIEW: N_("Review"),
}


@dataclass(frozen=True)
class Provenance:
    """Who changed something, and the date and source of the collected information."""

    actor: str
    source: Source = Source.MANUAL
    source_ref: str = ""
    info_date: str | None = None  # ISO date the information was collected


@dataclass(frozen=True)
class Customer:
    id: str
    code: str | None
    code_official: bool
    status: CustomerStatus
    form_id: str
    form_version: int
    values: dict[str, Any]
    completeness: float
    missing_count: int
    error_count: int
    warning_count: int
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    version: int = 0
    last_visit: str | None = None
    deleted: bool = False
    sync_state: str = "local"  # local | pending | synced | conflict | rejected | revoked
    # the current review round: submitted_at/by, note, urgent; then action, reason, fields, by, at
    review: dict[str, Any] | None = None
    sync_errors: tuple[dict[str, Any], ...] = ()  # why the server refused the last change
    approved_values: dict[str, Any] | None = None
    owner: str | None = None  # the collector responsible (from the server)
    closure: dict[str, Any] | None = None  # the last close or reopen (销户): state, day, reason, by, at

    @property
    def closed(self) -> bool:
        return bool(self.closure and self.closure.get("state") == "closed")

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


@dataclass(frozen=True)
class CustomerRow:
    """The columns of the customer list (no full values)."""

    rowid: int
    id: str
    code: str | None
    code_official: bool
    shop_name: str | None
    contact_name: str | None
    phone: str | None
    address: str | None
    status: CustomerStatus
    completeness: float
    last_visit: str | None
    updated_at: str
    missing_count: int = 0
    error_count: int = 0
    binding_date: str | None = None
    last_quarterly_check: str | None = None
    last_static_review: str | None = None
    created_at: str = ""
    sync_state: str = "local"
    owner: str | None = None  # the customer manager it is assigned to (display name in the list; None: this user)
    closed: bool = False  # closed outlet (销户): listed only with "include closed", shown greyed
    complaint_due: str | None = None  # the earliest deadline of the user's complaints still waiting for an answer
    plan_due: str | None = None  # the earliest day of the customer's open visit plans (app.validation.service)


@dataclass(frozen=True)
class Visit:
    id: str
    customer_id: str
    visited_on: str
    purpose: str
    notes: str
    sales_anomaly: str
    photos: tuple[str, ...] = ()
    created_at: str = ""
    created_by: str = ""
    # order collection on the visit (订单采集, F3 L291–292; schema v6): the orders taken, the cartons (条) and
    # the amount in yuan as a decimal text; ``orders`` None: no order was collected on this visit
    orders: int | None = None
    order_quantity: int | None = None
    order_amount: str | None = None

    def order_fields(self) -> dict[str, Any]:
        """The order collection as the protocol's visit carries it (nothing when none was collected)."""
        if self.orders is None:
            return {}
        return {
            "orders": self.orders,
            "order_quantity": self.order_quantity or 0,
            "order_amount": self.order_amount or "0",
        }


@dataclass(frozen=True)
class PhotoInfo:
    sha256: str
    mime: str
    width: int
    height: int
    size: int


#: Who the server's own changes (customer codes, classification, credit grades) name as their maker.
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    entity: str
    entity_id: str
    action: str
    field: str | None
    old: Any
    new: Any
    source: str
    source_ref: str
    info_date: str | None
    intact: bool = True  # False: the record no longer matches what its trail says it was created with
    by: str = ""  # who did it, as shown (display name, or "system"); set by services.records.history


@dataclass(frozen=True)
class Duplicate:
    field: str
    customer_id: str
    code: str | None
    name: str | None


@dataclass(frozen=True)
class Quality:
    """What validation said of a record's values, stored beside them for lists and filters."""

    completeness: float = 0.0
    missing_count: int = 0
    error_count: int = 0
    warning_count: int = 0


@dataclass(frozen=True)
class NewCustomer:
    id: str
    values: dict[str, Any]
    quality: Quality
    status: CustomerStatus = CustomerStatus.DRAFT


@dataclass(frozen=True)
class CustomerUpdate:
    id: str
    values: dict[str, Any]  # the complete new values
    quality: Quality
    status: CustomerStatus | None = None


def new_id() -> str:
    """A UUIDv7 (time-ordered, random): generated on the device, unique without asking the server."""

    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | (rand & ((1 << 62) - 1))
    )
    return str(uuid.UUID(int=value))


@dataclass(frozen=True)
class OverdueRule:
    """The dates that make a customer overdue (computed from the working-day calendar):
    a new customer bound on or before ``bound_by`` and still incomplete; no quarterly check since
    ``quarter_start``; no review of the static information since ``half_year_start``; a complaint of
    the user's not answered by its deadline, or an open visit plan of theirs, a day before ``today`` ("":
    complaints and plans not counted)."""

    bound_by: str
    quarter_start: str
    half_year_start: str
    today: str = ""


@dataclass(frozen=True)
class ListQuery:
    text: str = ""
    status: CustomerStatus | None = None
    incomplete: bool = False
    overdue: OverdueRule | None = None
    sync_problems: bool = False  # in conflict with the server, or refused by it
    sort: str = "updated_at"
    descending: bool = True
    include_closed: bool = False  # closed outlets (销户) too: the working lists leave them out

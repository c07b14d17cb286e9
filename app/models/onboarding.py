"""Onboarding cases as the server answers them (``/onboarding/waiting``, ``/onboarding/cases/{id}``;
server/onboarding.py) and change requests' steps (``/changes/waiting``, server/changes.py): frozen values only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseStep:
    """One step of a case: who owns it (``role:collector``, ``department:market`` …), its clock in working
    hours, when it started waiting, its deadline, and who did it when (None while it waits)."""

    position: int
    code: str
    name: str
    owner: str
    owner_name: str | None  # a department's name as the server has it (None for a role)
    hours: float | None  # None: the documents give the step no limit (a change path's step)
    started_at: str | None
    deadline: str | None
    done_at: str | None
    done_by: str | None
    done_by_display: str | None
    note: str
    overdue: bool
    hours_left: float | None  # working hours to the deadline (negative: past it); None once done
    phone: bool = False  # the step records its phone notice (F3 L379–380): who was called, when, the outcome


@dataclass(frozen=True)
class WaitingStep:
    """A step waiting for the signed-in user, with its case and customer."""

    case_id: str
    record_id: str
    customer_code: str | None
    shop_name: str | None
    customer_manager: str | None
    revision: int
    source: str
    step: CaseStep
    late_feed: bool = False  # the licence system forwarded the licensee more than 0.5 working day late


@dataclass(frozen=True)
class ChangeItem:
    """One customer of a change request and its fields' new values."""

    record_id: str
    customer_code: str | None
    shop_name: str | None
    changes: dict[str, object]


@dataclass(frozen=True)
class WaitingChange:
    """A change request's step waiting for the signed-in user (server/changes.py): its path (own, county,
    city, emergency, bulk), customers and new values; ``flags``: ``phone`` (the step records its phone call),
    ``apply`` (doing it writes the change); ``notify_customer``: the change needs the customer told."""

    case_id: str
    path: str
    revision: int
    items: tuple[ChangeItem, ...]
    step: CaseStep
    flags: frozenset[str]
    notify_customer: bool


@dataclass(frozen=True)
class OpenedChange:
    """A change request as the server opened it (``POST /changes``): its id, path, status and revision, its
    steps (the applying one given to the department owning the fields) and its customers' new values."""

    case_id: str
    path: str
    status: str
    revision: int
    steps: tuple[CaseStep, ...]
    items: tuple[ChangeItem, ...]


@dataclass(frozen=True)
class CaseNotice:
    """A phone call made at a change step, or how the customer was told (server/changes.py)."""

    position: int
    kind: str  # "phone" or "customer"
    party: str
    number: str
    at: str
    outcome: str
    recorded_by: str | None


@dataclass(frozen=True)
class Case:
    """An onboarding case or a change request with every step (``GET /onboarding/cases/{id}``,
    ``GET /changes/{id}``): what the request's printed form (app.services.case_forms) is filled from.
    ``kind``: ``onboarding`` or the change's path; ``items`` and ``notices``: a change request's."""

    id: str
    kind: str
    record_id: str
    customer_code: str | None
    shop_name: str | None
    customer_manager: str | None
    status: str
    source: str
    opened_at: str
    closed_at: str | None
    steps: tuple[CaseStep, ...]
    items: tuple[ChangeItem, ...] = ()
    notices: tuple[CaseNotice, ...] = ()

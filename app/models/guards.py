"""The access guards' answers as the client holds them (issue 18, docs/server.md): AB posts (covers) with their
handover records, and the alerts to admins. Frozen values made once from the JSON by app.sync.guard_protocol.

Plain data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A customer A left open (not approved) when the cover started or ended."""

    record_id: str
    code: str | None
    shop: str
    status: str


@dataclass(frozen=True, slots=True)
class HandoverRecord:
    event: str  # start | end
    at: float
    customers: int
    open: tuple[OpenItem, ...]


@dataclass(frozen=True, slots=True)
class Cover:
    """B (``cover``) keeps A's (``absent``) customers from ``starts_at`` to ``ends_at``."""

    id: int
    absent: str
    cover: str
    starts_at: float
    ends_at: float
    reason: str
    set_by: str
    cut_by: str | None
    state: str  # planned | active | ended
    handover: tuple[HandoverRecord, ...]


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    kind: str  # failed_logins_user | failed_logins_address | refused_tokens | export_volume
    subject: str
    count: int
    threshold: int
    raised_at: float
    last_at: float
    acknowledged_by: str | None
    acknowledged_at: float | None

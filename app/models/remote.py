"""The server's answers as the client holds them: frozen values built on the wire enums of
app.models.wire, made once from the JSON by app.sync.protocol (the only place that reads the
server's dicts) and read by the sync engine, app.storage and the conflict dialog.

Plain data: no I/O. The field names are those of docs/sync-protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.models.wire import ChangeKind, ResultStatus, UserRole


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

"""What the sync engine needs from the local archive: six small ports, one per concern, and the one
hop that runs each call on the archive's thread; app.sync itself never imports the storage package.

- ``Outbox`` (push: the queued rows) and ``Photos`` (photo bytes and their upload marks) and
  ``AuditTrail`` (the entries the server has not acknowledged) and ``ExportRequests`` (the user's
  export requests) are implemented by the archive's parts themselves (``archive.outbox``,
  ``archive.media``, ``archive.audit``, ``archive.access``): no adapter between.
- ``Answers`` (the server's answers applied: push results, feed pages, downloaded photos) and
  ``FormAndCalendar`` need the session (its form, completeness rules, calendar), so
  app.services.sync_store implements them, and ``Recovery`` (after a server restore) over
  ``archive.recovery``, whose end needs the session's form.

The server's answers cross them as the typed values of app.models.remote (decoded once, in
app.sync.protocol), never as the server's dicts. ``SyncStore.db`` decides on which thread each call
runs (the desktop app: the DB thread; elsewhere the caller's); the engine calls every port through it
(``store.db(store.outbox.outbox_heads, batch)``), so the hop is typed and visible where it happens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

from app.models.record import Quality
from app.models.remote import ExportRequest, FeedChange, PushResult, RemoteCalendar
from app.models.sync_state import LocalRecord, OutboxRow

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FormFacts:
    """What the push needs of the current form: its version (sent with each mutation) and the keys
    of its photo fields (whose photos go up before the record)."""

    version: int
    photo_fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class PreparedPage:
    """The completeness of a feed page's records, worked out off the archive's thread against form
    ``form_version`` (used only while that form is still the session's)."""

    form_version: int
    quality: Mapping[str, Quality]


class Outbox(Protocol):
    """Push: the rows queued here (``archive.outbox``)."""

    def outbox_count(self) -> int: ...
    def unsettled(self) -> int: ...  # outbox rows + records in conflict or refused by the server
    def outbox_heads(self, limit: int) -> list[tuple[OutboxRow, LocalRecord | None]]: ...
    # fix the bodies of rows about to be sent (marked sent), and drop the rows with nothing to send
    def freeze(self, bodies: Sequence[tuple[int, dict[str, Any]]], drop: Sequence[int] = ()) -> None: ...
    def forget_unseen(self, seen: set[str]) -> int: ...  # after a rebuild: records the server no longer shows


class Answers(Protocol):
    """The server's answers applied with the session's form (app.services.sync_store)."""

    def apply_push_results(self, results: Sequence[tuple[OutboxRow, PushResult]]) -> None: ...
    def cursor(self) -> int: ...
    # A pure function (no archive access; safe on any thread) that works out, ahead of time, what
    # applying a page's records will need (their completeness); its result goes to apply_feed_page.
    def page_preparer(self) -> Callable[[Sequence[FeedChange]], PreparedPage]: ...
    def apply_feed_page(
        self, changes: Sequence[FeedChange], cursor: int, seen: set[str] | None, prepared: PreparedPage | None = None
    ) -> int: ...
    def keep_photo(self, sha: str, data: bytes) -> bool: ...  # a downloaded photo, checked against its hash


class FormAndCalendar(Protocol):
    """The session's form (as the push needs it) and the server's work calendar (app.services.sync_store)."""

    def form_facts(self) -> FormFacts: ...
    def server_features(self) -> frozenset[str]: ...  # what the server's /info last listed
    def calendar_version(self) -> str | None: ...  # of the server calendar kept, if any
    def store_calendar(self, calendar: RemoteCalendar) -> None: ...


class Photos(Protocol):
    """Photo bytes and whether the server has them (``archive.media``)."""

    def photos_not_uploaded(self, shas: Sequence[str]) -> list[str]: ...
    def photo_data(self, sha: str) -> bytes | None: ...
    def mark_uploaded(self, sha: str) -> None: ...
    def known_photos(self, shas: Iterable[str]) -> set[str]: ...


class AuditTrail(Protocol):
    """The audit trail's entries the server has not acknowledged (``archive.audit``): sent as the
    archive hashed them (the server checks their chain), so they stay the archive's plain rows."""

    def pending(self, limit: int) -> list[dict[str, Any]]: ...
    def mark_sent(self, seq: int) -> None: ...


class ExportRequests(Protocol):
    """The user's export requests as the server last listed them (``archive.access``): an export
    checks its approval there, offline too."""

    def keep_requests(self, requests: Sequence[ExportRequest]) -> None: ...


class Recovery(Protocol):
    """After a server restore (docs/sync-protocol.md): the epoch of the server's database this copy
    follows, and what the server lost sent again (app.services.sync_store over ``archive.recovery``)."""

    def epoch(self) -> str | None: ...
    def set_epoch(self, epoch: str) -> None: ...
    # another epoch: the cursor goes back to 0, photos and the audit trail are offered again
    def begin(self, epoch: str) -> None: ...
    def pending(self) -> bool: ...  # a recovery begun and not finished (an interrupted sync)
    # after the feed was read from 0: queue the records and visits the server lost; end the recovery
    def finish(self, seen: set[str]) -> int: ...
    # how many records the feed showed at a lower version than acknowledged here since last asked
    # (their lost changes were queued again: the server was restored); resets the count
    def take_rebased(self) -> int: ...


class OnDb(Protocol):
    """Runs ``fn(*args, **kwargs)`` on the archive's thread and hands back its result."""

    def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...


def here(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``OnDb`` for a caller that owns the archive's thread itself (the command line, tests)."""
    return fn(*args, **kwargs)


@dataclass(frozen=True, slots=True)
class SyncStore:
    """The local side of one sync, as the engine reaches it."""

    outbox: Outbox
    answers: Answers
    form: FormAndCalendar
    photos: Photos
    audit: AuditTrail
    recovery: Recovery
    requests: ExportRequests
    db: OnDb = here

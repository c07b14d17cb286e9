"""The local side of a sync (app.sync.ports.SyncStore) over a session.

The archive's parts implement three of its ports themselves (``archive.outbox``, ``archive.media``,
``archive.audit``); this module adds those that need the session: applying the server's answers
with its form and completeness rules (``SessionAnswers``), the form, work calendar and server
features it owns (``SessionForm``), and the recovery after a server restore over
``archive.recovery`` (``SessionRecovery``). Every call reaches them through ``SyncStore.db``: from a
network thread, ``on_db`` runs it on the DB thread and waits for it; without it, everything runs on
the caller's.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from PIL import Image

from app.models.catalogue import FieldType
from app.models.record import Quality
from app.models.remote import FeedChange, PushResult, RemoteCalendar, ServerInfo
from app.models.sync_state import OutboxRow
from app.models.wire import ChangeKind
from app.models.workdays import SERVER_CALENDAR_META
from app.services.records import quality
from app.services.session import Session, form_for
from app.sync.ports import FormFacts, OnDb, PreparedPage, SyncStore, here
from app.validation import validate_values

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


FEATURES = "server_features"  # meta key: what the server's /info listed last (JSON list)


def record_quality(session: Session, values: dict[str, Any]) -> Quality:
    return quality(validate_values(session.form, values, today=session.today(), role=session.role))


def server_features(session: Session) -> frozenset[str]:
    text = session._archive.meta.get(FEATURES)
    try:
        found = json.loads(text) if text else []
    except ValueError:
        found = []
    return frozenset(f for f in found if isinstance(f, str)) if isinstance(found, list) else frozenset()


def remember_features(session: Session, info: ServerInfo) -> None:
    """Keep the additions the server lists in /info (``features``), for the next pushes."""
    if info.features != server_features(session):
        session._archive.meta.set(FEATURES, json.dumps(sorted(info.features)))


class SessionAnswers:
    """The server's answers applied with the session's form (``app.sync.ports.Answers``)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.arc = session._archive

    def _quality(self, values: dict[str, Any]) -> Quality:
        return record_quality(self.session, values)

    def apply_push_results(self, results: Sequence[tuple[OutboxRow, PushResult]]) -> None:
        self.arc.outbox.apply_push_results(self.session.form, results, self._quality)

    def cursor(self) -> int:
        return int(self.arc.meta.get("sync_cursor") or 0)

    def page_preparer(self) -> Callable[[Sequence[FeedChange]], PreparedPage]:
        form, today, role = self.session.form, self.session.today(), self.session.role

        def prepare(changes: Sequence[FeedChange]) -> PreparedPage:
            out = {}
            for c in changes:
                record = c.record
                if c.kind is ChangeKind.RECORD and record is not None and not record.deleted:
                    values = {k: v for k, v in record.values.items() if v not in (None, "", [])}
                    out[record.id] = quality(validate_values(form, values, today=today, role=role))
            return PreparedPage(form.version, out)

        return prepare

    def apply_feed_page(
        self, changes: Sequence[FeedChange], cursor: int, seen: set[str] | None, prepared: PreparedPage | None = None
    ) -> int:
        known = dict(prepared.quality) if prepared and prepared.form_version == self.session.form.version else {}
        received = self.arc.outbox.apply_feed_page(self.session.form, changes, cursor, self._quality, seen, known)
        if any(c.kind is ChangeKind.FORM for c in changes):
            self.session.set_form(form_for(self.arc))  # announced to the open screens
        return received

    def keep_photo(self, sha: str, data: bytes) -> bool:
        """A photo downloaded for a pulled record, kept when its bytes match its hash."""
        if hashlib.sha256(data).hexdigest() != sha:
            log.warning("downloaded photo %s does not match its hash", sha[:12])
            return False
        try:
            with Image.open(io.BytesIO(data)) as img:
                width, height, mime = img.width, img.height, Image.MIME.get(img.format or "", "image/jpeg")
        except Exception:
            width = height = 0
            mime = "application/octet-stream"
        self.arc.media.put_photo(data, mime, width, height)
        self.arc.media.mark_uploaded(sha)  # it came from the server: nothing to send back
        return True


class SessionForm:
    """The session's form and work calendar (``app.sync.ports.FormAndCalendar``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def form_facts(self) -> FormFacts:
        form = self.session.form
        return FormFacts(form.version, frozenset(f.key for f in form.fields if f.type is FieldType.PHOTO))

    def server_features(self) -> frozenset[str]:
        return server_features(self.session)

    def calendar_version(self) -> str | None:
        raw = self.session._archive.meta.get(SERVER_CALENDAR_META)
        try:
            return str(json.loads(raw)["version"]) if raw else None
        except (ValueError, KeyError, TypeError):
            return None

    def store_calendar(self, calendar: RemoteCalendar) -> None:
        wire = json.dumps(calendar.as_wire(), ensure_ascii=False, separators=(",", ":"))
        self.session._archive.meta.set(SERVER_CALENDAR_META, wire)
        self.session.set_calendar(calendar.work_calendar())  # deadlines count with it from now on


class SessionRecovery:
    """After a server restore (``app.sync.ports.Recovery``): ``archive.recovery``, whose end queues
    what the server lost with the session's form."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.part = session._archive.recovery

    def epoch(self) -> str | None:
        return self.part.epoch()

    def set_epoch(self, epoch: str) -> None:
        self.part.set_epoch(epoch)

    def begin(self, epoch: str) -> None:
        self.part.begin(epoch)

    def pending(self) -> bool:
        return self.part.pending()

    def finish(self, seen: set[str]) -> int:
        return self.part.finish(self.session.form, seen)

    def take_rebased(self) -> int:
        return self.part.take_rebased()


def on_db_thread(on_db: Callable[[Callable[[], Any]], Any]) -> OnDb:
    """``OnDb`` over a runner of thunks (the desktop app's DB thread)."""

    def db(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        result: T = on_db(lambda: fn(*args, **kwargs))  # on_db hands back what fn returned
        return result

    return db


def sync_store(session: Session, on_db: Callable[[Callable[[], Any]], Any] | None = None) -> SyncStore:
    """The ports of one sync over ``session``'s archive."""
    arc = session._archive
    return SyncStore(
        outbox=arc.outbox,
        answers=SessionAnswers(session),
        form=SessionForm(session),
        photos=arc.media,
        audit=arc.audit,
        recovery=SessionRecovery(session),
        requests=arc.access,
        db=on_db_thread(on_db) if on_db is not None else here,
    )

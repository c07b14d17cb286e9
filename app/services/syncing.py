"""Signing in, syncing and resolving conflicts: the use cases around app.sync.

Tokens live in the OS keyring only; where there is none they are kept in memory for this run and
the user is told why they will be asked again. A refused refresh (revoked device, disabled user)
clears them; nothing unsynced is lost (it stays in the outbox).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import platform
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from PIL import Image

from app import __version__, secrets
from app.errors import SyncError, SyncErrorKind, UserFacingError, ValidationFailed
from app.i18n import N_
from app.models.catalogue import FieldType
from app.models.record import Provenance, Quality, Source
from app.models.remote import FeedChange, FieldConflict, PushResult, SignIn
from app.models.sync_state import LocalRecord, OutboxRow, SyncOutcome
from app.models.wire import ChangeKind
from app.models.workdays import SERVER_CALENDAR_META, WorkCalendar
from app.services.records import quality
from app.services.session import Session, form_for
from app.sync.client import MemoryTokens, SyncClient, server_url_problem
from app.sync.engine import run_sync
from app.validation import validate_values

log = logging.getLogger(__name__)
T = TypeVar("T")
_memory_tokens: dict[str, MemoryTokens] = {}
#: Development only: allow plain http:// to another computer (the password then travels in clear).
ENV_ALLOW_INSECURE = "FIELDARCHIVE_ALLOW_INSECURE"
_allow_insecure = False


def allow_insecure(on: bool = True) -> None:
    """``--allow-insecure`` on the command line (also for the desktop app started from it)."""
    global _allow_insecure
    _allow_insecure = on


def insecure_allowed() -> bool:
    return _allow_insecure or os.environ.get(ENV_ALLOW_INSECURE, "").strip().lower() in ("1", "true", "yes")


def server_problem(url: str) -> UserFacingError | None:
    """Why ``url`` cannot be used as the sync server (a message to show), or None."""
    return server_url_problem(url, insecure_allowed())


def insecure_address(url: str) -> bool:
    """True when ``url`` is plain http:// to another computer (refused unless allowed for development)."""
    return server_url_problem(url) is not None and server_url_problem(url, True) is None


class KeyringTokens:
    """Access and refresh tokens as one keyring secret per server and user."""

    def __init__(self, name: str) -> None:
        self.name = name

    def get(self) -> dict[str, Any] | None:
        raw = secrets.get_secret(self.name)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def set(self, tokens: dict[str, Any]) -> None:
        secrets.set_secret(self.name, json.dumps(tokens, separators=(",", ":")))

    def clear(self) -> None:
        secrets.delete_secret(self.name)


def binding(session: Session) -> tuple[str, str] | None:
    server, user = session._archive.meta.get("sync_server"), session._archive.meta.get("sync_user")
    return (server, user) if server and user else None


def token_store(server: str, user: str) -> Any:
    name = f"sync-token/{server}/{user}"
    if secrets.keyring_available():
        return KeyringTokens(name)
    return _memory_tokens.setdefault(name, MemoryTokens())


def client_for(session: Session, server: str | None = None, user: str | None = None) -> SyncClient:
    bound = binding(session)
    server = server or (bound[0] if bound else "")
    user = user or (bound[1] if bound else "")
    if not server or not user:
        raise SyncError(SyncErrorKind.AUTH, N_("Sign in to the server first."))
    return SyncClient(
        server, token_store(server, user), session._archive.meta.device_id, allow_insecure=insecure_allowed()
    )


FEATURES = "server_features"  # meta key: what the server's /info listed last (JSON list)


def server_features(session: Session) -> frozenset[str]:
    text = session._archive.meta.get(FEATURES)
    try:
        found = json.loads(text) if text else []
    except ValueError:
        found = []
    return frozenset(f for f in found if isinstance(f, str)) if isinstance(found, list) else frozenset()


def remember_features(session: Session, info: Any) -> None:
    """Keep the additions the server lists in /info (``features``), for the next pushes."""
    found = info.get("features") if isinstance(info, dict) else None
    features = sorted(f for f in found if isinstance(f, str)) if isinstance(found, list) else []
    if frozenset(features) != server_features(session):
        session._archive.meta.set(FEATURES, json.dumps(features))


def refuse_demo(session: Session) -> None:
    """A demo archive (app.services.demo) never reaches a server: its customers are made up."""
    if session.demo:
        raise UserFacingError(N_("This is the demo archive (generated customers): it is never synced."))


def login(session: Session, server: str, user: str, password: str) -> SignIn:
    """Sign in and bind this archive to the server and user (one profile = one user on one server)."""
    refuse_demo(session)
    server = server.strip()
    problem = server_problem(server)
    if problem is not None:  # before anything leaves this computer
        raise problem
    bound = binding(session)
    if bound and bound[1] != user:
        raise UserFacingError(
            N_("This archive belongs to {user}. Use another profile (--profile) for another account."), user=bound[1]
        )
    client = client_for(session, server.rstrip("/"), user)
    try:
        answer = client.login(user, password, platform.node() or "FieldArchive")
        try:
            remember_features(session, client.info())
        except SyncError as exc:  # only additions: the next sync asks again
            log.info("server info not read at sign-in: %s", exc.kind)
    finally:
        client.close()
    arc = session._archive
    with arc.db.transaction() as tx:
        arc.meta.set("sync_server", server.rstrip("/"), tx)
        arc.meta.set("sync_user", user, tx)
        arc.meta.set("sync_role", answer.user.role.value, tx)
        if answer.user.display_name:  # this archive's own user too: its changes name that user
            named = {user: answer.user.display_name, arc.db.actor: answer.user.display_name}
            arc.outbox.remember_people(named, tx)
    session.role = answer.user.role
    return answer


def logout(session: Session) -> None:
    bound = binding(session)
    if not bound:
        return
    client = client_for(session)
    try:
        client.logout()
    except SyncError as exc:  # offline: the tokens are forgotten here anyway
        log.info("logout at the server failed: %s", exc.kind.value)
    finally:
        token_store(*bound).clear()
        client.close()


def forget_tokens(session: Session) -> None:
    """After the server refused this device's sign-in: ask for the password again next time."""
    bound = binding(session)
    if bound:
        token_store(*bound).clear()


def mark_synced(session: Session) -> None:
    session._archive.meta.set("last_sync_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


def signed_in(session: Session) -> bool:
    bound = binding(session)
    return bool(bound and token_store(*bound).get())


def tokens_persist() -> bool:
    return secrets.keyring_available()


def sync(
    session: Session,
    progress: Callable[[str, int, int, int], None] | None = None,
    cancel: threading.Event | None = None,
    batch: int | None = None,
    on_db: Callable[[Callable[[], Any]], Any] | None = None,
) -> SyncOutcome:
    """One sync. From a network thread, ``on_db`` runs each archive call on the DB thread and waits
    for it (the SQLite connection never leaves its thread; the UI's own queries interleave with a
    long sync instead of waiting behind its network calls). Without it, everything runs here."""
    run = on_db or _here
    run(lambda: refuse_demo(session))
    store = ArchiveStore(session, on_db)
    client = run(lambda: client_for(session))
    try:
        outcome = run_sync(store, client, progress, cancel, **({"batch": batch} if batch else {}))
        outcome.newer_client, outcome.download_url = newer_client(
            client, lambda info: run(lambda: remember_features(session, info))
        )
    except SyncError as exc:
        if exc.kind is SyncErrorKind.AUTH:
            run(lambda: forget_tokens(session))
        raise
    finally:
        client.close()
    if outcome.complete:
        run(lambda: mark_synced(session))
    return outcome


def _version(text: object) -> tuple[int, ...] | None:
    parts = str(text or "").strip().split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def newer_client(client: SyncClient, seen: Callable[[Any], None] | None = None) -> tuple[str, str]:
    """(version, download address) of a newer desktop client when the server's /info names one, else
    ("", ""). Asked after each sync; a failure here never fails the sync (below the minimum version
    the server answers 426 to the sync itself, with what to do)."""
    try:
        info = client.info()
    except SyncError as exc:
        log.info("server info not read: %s", exc.kind)
        return "", ""
    if not isinstance(info, dict):
        return "", ""
    if seen is not None:
        seen(info)
    latest, mine = _version(info.get("client_version")), _version(__version__)
    if latest is None or mine is None or latest <= mine:
        return "", ""
    url = info.get("download_url")
    return str(info["client_version"]).strip(), url if isinstance(url, str) else ""


def _here(fn: Callable[[], T]) -> T:
    return fn()


def status(session: Session) -> dict[str, Any]:
    summary = session._archive.outbox.sync_summary()
    return {
        **summary,
        "bound": binding(session),
        "signed_in": signed_in(session),
        "last_sync": session._archive.meta.get("last_sync_at"),
    }


def resolve_conflict(session: Session, record_id: str, choices: dict[str, Any]) -> None:
    """The person's value for each conflicting field (mine, the server's, or typed anew); pushed as a
    new mutation based on the server's version."""
    report = validate_values(session.form, choices, today=session.today(), role=session.role, required=False)
    if report.has_errors:
        raise ValidationFailed(report)
    session._archive.outbox.resolve_conflict(
        session.form, record_id, report.values, lambda v: _quality(session, v), Provenance(session.user, Source.MANUAL)
    )


def conflict(session: Session, record_id: str) -> tuple[list[FieldConflict], dict[str, Any]] | None:
    """The conflicting fields (base, mine, server) and the server's record, if the record is in conflict."""
    return session._archive.outbox.conflict_of(record_id)


def _quality(session: Session, values: dict[str, Any]) -> Quality:
    return quality(validate_values(session.form, values, today=session.today(), role=session.role))


class ArchiveStore:
    """The SyncStore port over the session's archive. From a network thread, ``on_db`` runs each call
    on the DB thread and waits for it (every method below goes through ``self._db``); without it,
    everything runs on the calling thread."""

    def __init__(self, session: Session, on_db: Callable[[Callable[[], Any]], Any] | None = None) -> None:
        self.session = session
        self.arc = session._archive
        self.pulled_photos: set[str] = set()
        self._on_db: Callable[[Callable[[], Any]], Any] = on_db or _here

    def _db(self, fn: Callable[[], T]) -> T:
        result: T = self._on_db(fn)  # on_db hands back what fn returned
        return result

    def _quality(self, values: dict[str, Any]) -> Quality:
        return _quality(self.session, values)

    # ---- the outbox ------------------------------------------------------------------------------
    def outbox_count(self) -> int:
        return self._db(self.arc.outbox.outbox_count)

    def unsettled(self) -> int:
        def count() -> int:
            summary = self.arc.outbox.sync_summary()
            return summary["outbox"] + summary.get("conflict", 0) + summary.get("rejected", 0)

        return self._db(count)

    def outbox_heads(self, limit: int) -> list[tuple[OutboxRow, LocalRecord | None]]:
        return self._db(lambda: self.arc.outbox.outbox_heads(limit))

    def freeze(self, bodies: Sequence[tuple[int, dict[str, Any]]], drop: Sequence[int] = ()) -> None:
        def run() -> None:
            for seq in drop:
                self.arc.outbox.drop_outbox_row(seq)
            if bodies:
                self.arc.outbox.freeze(bodies)

        self._db(run)

    def apply_push_results(self, results: Sequence[tuple[OutboxRow, PushResult]]) -> None:
        self._db(lambda: self.arc.outbox.apply_push_results(self.session.form, results, self._quality))

    # ---- the feed --------------------------------------------------------------------------------
    def cursor(self) -> int:
        return self._db(lambda: int(self.arc.meta.get("sync_cursor") or 0))

    def page_preparer(self) -> Callable[[Sequence[FeedChange]], Any]:
        form, today, role = self._db(lambda: (self.session.form, self.session.today(), self.session.role))

        def prepare(changes: Sequence[FeedChange]) -> tuple[int, dict[str, Quality]]:
            out = {}
            for c in changes:
                record = c.record
                if c.kind is ChangeKind.RECORD and record is not None and not record.deleted:
                    values = {k: v for k, v in record.values.items() if v not in (None, "", [])}
                    out[record.id] = quality(validate_values(form, values, today=today, role=role))
            return form.version, out

        return prepare

    def apply_feed_page(
        self, changes: Sequence[FeedChange], cursor: int, seen: set[str] | None, prepared: Any = None
    ) -> int:
        return self._db(lambda: self._apply_feed_page(changes, cursor, seen, prepared))

    def _apply_feed_page(self, changes: Sequence[FeedChange], cursor: int, seen: set[str] | None, prepared: Any) -> int:
        known = prepared[1] if prepared and prepared[0] == self.session.form.version else {}
        received = self.arc.outbox.apply_feed_page(self.session.form, changes, cursor, self._quality, seen, known)
        if any(c.kind is ChangeKind.FORM for c in changes):
            self.session.set_form(form_for(self.session._archive))  # announced to the open screens
        photo_keys = self._photo_fields()
        for c in changes:
            if c.record is not None:
                for key in photo_keys:
                    self.pulled_photos.update(c.record.values.get(key) or [])
        return received

    def forget_unseen(self, seen: set[str]) -> None:
        self._db(lambda: self.arc.outbox.forget_unseen(seen))

    # ---- after a server restore -------------------------------------------------------------------
    def server_epoch(self) -> str | None:
        return self._db(self.arc.recovery.epoch)

    def set_server_epoch(self, epoch: str) -> None:
        self._db(lambda: self.arc.recovery.set_epoch(epoch))

    def begin_recovery(self, epoch: str) -> None:
        self._db(lambda: self.arc.recovery.begin(epoch))

    def recovery_pending(self) -> bool:
        return self._db(self.arc.recovery.pending)

    def finish_recovery(self, seen: set[str]) -> int:
        return self._db(lambda: self.arc.recovery.finish(self.session.form, seen))

    def take_requeued(self) -> int:
        return self._db(self.arc.recovery.take_rebased)

    # ---- the form and the calendar ---------------------------------------------------------------
    def form_version(self) -> int:
        return self._db(lambda: self.session.form.version)

    def server_features(self) -> frozenset[str]:
        return self._db(lambda: server_features(self.session))

    def calendar_version(self) -> str | None:
        def read() -> str | None:
            raw = self.arc.meta.get(SERVER_CALENDAR_META)
            try:
                return str(json.loads(raw)["version"]) if raw else None
            except (ValueError, KeyError, TypeError):
                return None

        return self._db(read)

    def store_calendar(self, data: dict[str, Any]) -> None:
        calendar = WorkCalendar.from_server(data)  # refuse what cannot be read before keeping it

        def keep() -> None:
            self.arc.meta.set(SERVER_CALENDAR_META, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            self.session.set_calendar(calendar)  # deadlines count with it from now on

        self._db(keep)

    # ---- the audit trail -------------------------------------------------------------------------
    def audit_pending(self, limit: int) -> list[dict[str, Any]]:
        return self._db(lambda: self.arc.audit.pending(limit))

    def mark_audit_sent(self, seq: int) -> None:
        self._db(lambda: self.arc.audit.mark_sent(seq))

    # ---- photos ----------------------------------------------------------------------------------
    def photo_fields(self) -> set[str]:
        return self._db(self._photo_fields)

    def _photo_fields(self) -> set[str]:
        return {f.key for f in self.session.form.fields if f.type is FieldType.PHOTO}

    def photos_not_uploaded(self, shas: Sequence[str]) -> list[str]:
        return self._db(lambda: self.arc.outbox.photos_not_uploaded(shas))

    def photo_bytes(self, sha: str) -> bytes | None:
        return self._db(lambda: self.arc.media.photo_data(sha))

    def mark_uploaded(self, sha: str) -> None:
        self._db(lambda: self.arc.outbox.mark_uploaded(sha))

    def photos_missing(self, limit: int) -> list[str]:
        def missing() -> list[str]:
            known = self.arc.media.known_photos(self.pulled_photos)
            return sorted(self.pulled_photos - known)[:limit]

        return self._db(missing)

    def put_photo_bytes(self, sha: str, data: bytes) -> bool:
        if hashlib.sha256(data).hexdigest() != sha:
            log.warning("downloaded photo %s does not match its hash", sha[:12])
            return False
        try:
            with Image.open(io.BytesIO(data)) as img:
                width, height, mime = img.width, img.height, Image.MIME.get(img.format or "", "image/jpeg")
        except Exception:
            width = height = 0
            mime = "application/octet-stream"

        def keep() -> None:
            self.arc.media.put_photo(data, mime, width, height)
            self.arc.outbox.mark_uploaded(sha)  # it came from the server: nothing to send back

        self._db(keep)
        return True


#: Why the server refused a change for its content (docs/sync-protocol.md, "Rejection codes"): said in
#: the person's language, with the field's label, instead of the server's English.

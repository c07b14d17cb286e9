"""Signing in, syncing and resolving conflicts: the use cases around app.sync.

Tokens live in the OS keyring only; where there is none they are kept in memory for this run and
the user is told why they will be asked again. A refused refresh (revoked device, disabled user)
clears them; nothing unsynced is lost (it stays in the outbox).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from app import __version__, secrets
from app.errors import SyncError, SyncErrorKind, UserFacingError, ValidationFailed
from app.i18n import N_
from app.models.record import Provenance, Source
from app.models.remote import FieldConflict, ServerInfo, SignIn
from app.models.sync_state import SyncOutcome
from app.services.session import Session
from app.services.sync_store import record_quality, remember_features, sync_store
from app.sync.client import MemoryTokens, SyncClient
from app.sync.engine import run_sync
from app.sync.transport import server_url_problem
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
    store = sync_store(session, on_db)
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


def newer_client(client: SyncClient, seen: Callable[[ServerInfo], None] | None = None) -> tuple[str, str]:
    """(version, download address) of a newer desktop client when the server's /info names one, else
    ("", ""). Asked after each sync; a failure here never fails the sync (below the minimum version
    the server answers 426 to the sync itself, with what to do)."""
    try:
        info = client.info()
    except SyncError as exc:
        log.info("server info not read: %s", exc.kind)
        return "", ""
    if seen is not None:
        seen(info)
    latest, mine = _version(info.client_version), _version(__version__)
    if latest is None or mine is None or latest <= mine:
        return "", ""
    return str(info.client_version).strip(), info.download_url or ""


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
        session.form,
        record_id,
        report.values,
        lambda v: record_quality(session, v),
        Provenance(session.user, Source.MANUAL),
    )


def conflict(session: Session, record_id: str) -> tuple[list[FieldConflict], dict[str, Any]] | None:
    """The conflicting fields (base, mine, server) and the server's record, if the record is in conflict."""
    return session._archive.outbox.conflict_of(record_id)


#: Why the server refused a change for its content (docs/sync-protocol.md, "Rejection codes"): said in
#: the person's language, with the field's label, instead of the server's English.

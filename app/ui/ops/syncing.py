"""Operations with the server: sign in and out, the sync itself (on the network pool), the sync state,
conflicts and their resolution, and questions to the server (``ask_server``: a client made on the
DB thread, the question asked on the network pool, so the archive stays usable meanwhile)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from app.models.remote import CreditHistory, CustomerAccess, FieldConflict, RemoteUser
from app.models.sync_state import SyncOutcome
from app.services import passwords, syncing
from app.services.events import Changes
from app.services.session import Session
from app.ui.context import UiContext
from app.ui.tasks import DbOp, NetOp

T = TypeVar("T")
Conflict = tuple[list[FieldConflict], dict[str, Any]]  # the conflicting fields, the server's record


def status(ctx: UiContext, parent: Any = None) -> DbOp[dict[str, Any]]:
    """Bound to which server, signed in or not, the outbox count and the last complete sync."""
    return ctx.op(syncing.status, parent)


def sign_in(ctx: UiContext, parent: Any, server: str, user: str, password: str) -> DbOp[tuple[RemoteUser, bool]]:
    """Returns who signed in, and whether the tokens outlive this run (an OS key store)."""
    return ctx.op(lambda s: (syncing.login(s, server, user, password).user, syncing.tokens_persist()), parent)


def change_password(
    ctx: UiContext, parent: Any, server: str, user: str, old: str, new: str, repeat: str
) -> DbOp[tuple[RemoteUser, bool]]:
    """Change an expired (or any) password, then sign in with the new one: as :func:`sign_in` answers."""
    return ctx.op(
        lambda s: (passwords.change_password(s, server, user, old, new, repeat).user, syncing.tokens_persist()), parent
    )


def sign_out(ctx: UiContext, parent: Any) -> DbOp[None]:
    return ctx.op(syncing.logout, parent)


def sync(
    ctx: UiContext,
    session: Session,
    progress: Callable[[str, int, int, int], None],
    cancel: threading.Event,
) -> NetOp[SyncOutcome]:
    """One sync on the network pool; each archive call it makes hops to the DB thread and waits there.
    Anything may have changed: announced once when it has finished."""

    def on_db(fn: Any) -> Any:
        return ctx.runner.call_db(fn, timeout=600)

    return ctx.net(lambda: syncing.sync(session, progress, cancel, on_db=on_db)).changes(
        lambda _outcome: Changes.everything()
    )


def conflict(ctx: UiContext, parent: Any, record_id: str) -> DbOp[Conflict | None]:
    """The record's conflict with the server, or None when it is (no longer) in conflict."""
    return ctx.op(lambda s: syncing.conflict(s, record_id), parent)


def resolve_conflict(ctx: UiContext, parent: Any, record_id: str, choices: dict[str, Any]) -> DbOp[None]:
    """Keep the chosen value of each conflicting field; sent at the next sync."""
    return ctx.op(lambda s: syncing.resolve_conflict(s, record_id, choices), parent).changes(
        lambda _r: Changes.ids([record_id])
    )


def ask_server(
    ctx: UiContext,
    call: Callable[[Any], T],
    parent: Any,
    success: Callable[[T], None],
    failure: Callable[[BaseException], None],
) -> None:
    """``call(client)`` on the network pool, with a client for the server this archive is signed in to
    (made on the DB thread, where the binding is read) that is closed afterwards; the archive stays
    usable while the server answers. ``success`` or ``failure`` runs on the GUI thread."""

    def with_client(client: Any) -> None:  # a SyncClient (the UI does not import app.sync)
        def ask() -> T:
            try:
                return call(client)
            finally:
                client.close()

        ctx.net(ask, parent).success(success).failure(failure).run()

    ctx.op(syncing.client_for, parent).success(with_client).failure(failure).run()


def credit_history(
    ctx: UiContext,
    parent: Any,
    customer_id: str,
    success: Callable[[CreditHistory], None],
    failure: Callable[[BaseException], None],
) -> None:
    """The customer's integrity gradings, as the server has them."""
    ask_server(ctx, lambda client: client.credit_history(customer_id), parent, success, failure)


def customer_access(
    ctx: UiContext,
    parent: Any,
    customer_id: str,
    success: Callable[[CustomerAccess], None],
    failure: Callable[[BaseException], None],
) -> None:
    """Who opened the customer, as the server has it (market managers and admins)."""
    ask_server(ctx, lambda client: client.customer_access(customer_id), parent, success, failure)

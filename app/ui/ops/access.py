"""Operations on export requests (app.services.export_requests): what the export dialog may use (the
archive), and asking, listing and deciding (the server, on the network pool through
``ops.syncing.ask_server``; a list is then kept in the archive so that an approval is usable at once)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.models.remote import ExportRequest
from app.services import export_requests
from app.services.export_requests import ExportAccess, RequestList
from app.ui.context import UiContext
from app.ui.ops.syncing import ask_server
from app.ui.tasks import DbOp

Failure = Callable[[BaseException], None]


def export_access(ctx: UiContext, parent: Any) -> DbOp[ExportAccess]:
    """The user's role and approved, unexpired requests, as the archive holds them."""
    return ctx.op(export_requests.export_access, parent)


def list_requests(ctx: UiContext, parent: Any, success: Callable[[RequestList], None], failure: Failure) -> None:
    """The requests the server lists to this user, kept in the archive, then ``success``."""

    def keep(requests: list[ExportRequest]) -> None:
        ctx.op(lambda s: export_requests.keep(s, requests), parent).success(success).failure(failure).run()

    ask_server(ctx, export_requests.listed, parent, keep, failure)


def ask_export(
    ctx: UiContext,
    parent: Any,
    fields: tuple[str, str, str, bool],
    success: Callable[[ExportRequest], None],
    failure: Failure,
) -> None:
    """Send a request (target, purpose, reason, unmasked); it waits for a decision."""
    target, purpose, reason, unmasked = fields
    ask_server(
        ctx, lambda client: export_requests.ask(client, target, purpose, reason, unmasked), parent, success, failure
    )


def decide_export(
    ctx: UiContext,
    parent: Any,
    request_id: str,
    approve: bool,
    note: str,
    success: Callable[[ExportRequest], None],
    failure: Failure,
) -> None:
    """Approve, or refuse with ``note`` as the reason."""
    ask_server(ctx, lambda client: export_requests.decide(client, request_id, approve, note), parent, success, failure)

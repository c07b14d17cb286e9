"""Operations on the integrity archive (诚信档案): entries, complaints and their steps, the overdue
complaints, the workbook export, and the public notice list asked of the server."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.models.integrity import Complaint, IntegrityEntry, OverdueComplaint
from app.models.remote import NoticeList
from app.services import integrity
from app.services.events import Changes
from app.ui.context import UiContext
from app.ui.ops.syncing import ask_server
from app.ui.tasks import DbOp


def entries(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[list[IntegrityEntry]]:
    return ctx.op(lambda s: integrity.entries(s, customer_id), parent)


def complaints(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[list[Complaint]]:
    return ctx.op(lambda s: integrity.complaints(s, customer_id), parent)


def add_entry(
    ctx: UiContext,
    parent: Any,
    customer_id: str,
    kind: str,
    source: str,
    occurred_on: str,
    text: str,
    handling: str,
    photos: Sequence[str],
) -> DbOp[IntegrityEntry]:
    return ctx.op(
        lambda s: integrity.add_entry(s, customer_id, kind, source, occurred_on, text, handling, photos), parent
    ).changes(lambda _e: Changes.ids([customer_id], lists=False))


def open_complaint(
    ctx: UiContext,
    parent: Any,
    customer_id: str,
    channel: str,
    received_on: str,
    content: str,
    name: str,
    phone: str,
) -> DbOp[Complaint]:
    return ctx.op(
        lambda s: integrity.open_complaint(s, customer_id, channel, received_on, content, name, phone), parent
    ).changes(lambda _c: Changes.ids([customer_id], lists=False))


def step_complaint(
    ctx: UiContext, parent: Any, complaint: Complaint, action: str, assignee: str, deadline: str, text: str
) -> DbOp[Complaint]:
    return ctx.op(
        lambda s: integrity.step_complaint(s, complaint.id, action, assignee, deadline, text), parent
    ).changes(lambda _c: Changes.ids([complaint.customer_id], lists=False))


def overdue(ctx: UiContext, parent: Any) -> DbOp[list[OverdueComplaint]]:
    return ctx.op(integrity.overdue, parent)


def export(ctx: UiContext, parent: Any, path: Path) -> DbOp[int]:
    return ctx.op(lambda s: integrity.export_integrity(s, path), parent)


def notices(
    ctx: UiContext,
    parent: Any,
    on: str | None,
    success: Callable[[NoticeList], None],
    failure: Callable[[BaseException], None],
) -> None:
    """The public notice list (公示) on ``on`` (None: today), as the server has it."""
    ask_server(ctx, lambda client: client.notices(on), parent, success, failure)


def save_notices(ctx: UiContext, parent: Any, data: NoticeList, path: Path) -> DbOp[int]:
    return ctx.op(lambda s: integrity.save_notices(s, data, path), parent)

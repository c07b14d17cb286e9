"""Operations on customer records: load, save, submit, withdraw, duplicates, visits, history, photos,
and the form's safety copies (autosave)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.models import times
from app.models.record import Customer, PhotoInfo, Provenance, Source, Visit
from app.services import photos, records
from app.services.events import Changes
from app.services.records import Saved, Submitted
from app.ui.context import UiContext
from app.ui.tasks import DbOp
from app.validation import Issue


def _prov(s: Any, source: Source) -> Provenance:
    return Provenance(s.user, source, info_date=times.today().isoformat())


def load_customer(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[Customer | None]:
    """Read a customer again (a page already open, refreshed): not logged as an access."""
    return ctx.op(lambda s: records.get(s, customer_id), parent)


def open_customer(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[Customer | None]:
    """Open a customer's page: read it and log the access (``records.open_customer``)."""
    return ctx.op(lambda s: records.open_customer(s, customer_id), parent)


def save_customer(
    ctx: UiContext,
    parent: Any,
    values: Mapping[str, Any],
    customer_id: str | None,
    changes: Mapping[str, Any],
    source: Source,
    autosave_key: str | None,
) -> DbOp[Saved]:
    """The form's Save: a new customer from all ``values``, an existing one from the changed fields; its
    change set carries the number of changes now waiting to be sent (the status bar shows it at once)."""
    return ctx.op(
        lambda s: records.save_counted(s, values, customer_id, changes, _prov(s, source), autosave_key), parent
    ).changes(lambda r: r.changes)


def submit(
    ctx: UiContext,
    parent: Any,
    values: Mapping[str, Any],
    customer_id: str | None,
    changes: Mapping[str, Any],
    source: Source,
    autosave_key: str | None,
    note: str = "",
    urgent: bool = False,
) -> DbOp[Submitted]:
    """The form's Submit: save, submit for review and read the customer back, in one DB operation."""

    def work(s: Any) -> Submitted:
        done = records.save_and_submit(s, values, customer_id, changes, _prov(s, source), autosave_key, note, urgent)
        return replace(done, waiting=records.waiting(s))

    return ctx.op(work, parent).changes(lambda r: r.changes)


def withdraw(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[tuple[bool, Customer | None]]:
    """Take back a submission not sent yet; returns (withdrawn, the customer as stored now)."""

    def work(s: Any) -> tuple[bool, Customer | None]:
        ok = records.withdraw(s, customer_id)
        return ok, records.get(s, customer_id)

    return ctx.op(work, parent).changes(lambda r: Changes.of([r[1]]) if r[1] is not None else None)


def mark_checked(ctx: UiContext, parent: Any, customer_id: str, kind: str) -> DbOp[int]:
    return ctx.op(lambda s: records.mark_checked(s, [customer_id], kind), parent).changes(
        lambda _n: Changes.ids([customer_id])
    )


def duplicates(ctx: UiContext, parent: Any, values: Mapping[str, Any], exclude: Sequence[str]) -> DbOp[list[Issue]]:
    return ctx.op(lambda s: records.duplicates_of(s, values, exclude), parent)


def visits(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[list[Visit]]:
    return ctx.op(lambda s: records.visits(s, customer_id), parent)


def add_visit(
    ctx: UiContext,
    parent: Any,
    customer_id: str,
    visited_on: str,
    purpose: str,
    notes: str,
    sales_anomaly: str,
    photo_refs: Sequence[str],
    order: tuple[int, int, str] | None = None,
) -> DbOp[Visit]:
    return ctx.op(
        lambda s: records.add_visit(s, customer_id, visited_on, purpose, notes, sales_anomaly, photo_refs, order),
        parent,
    ).changes(lambda _v: Changes.ids([customer_id]))


def history(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[list[Any]]:
    return ctx.op(lambda s: records.history(s, customer_id), parent)


def photo(ctx: UiContext, parent: Any, ref: str) -> DbOp[bytes | None]:
    return ctx.op(lambda s: photos.photo_data(s, ref), parent)


def thumbnail(ctx: UiContext, parent: Any, ref: str) -> DbOp[bytes | None]:
    return ctx.op(lambda s: photos.thumbnail_of(s, ref), parent)


def add_photo(ctx: UiContext, parent: Any, path: Path, max_side: int) -> DbOp[PhotoInfo]:
    """Store the picture at ``path`` (scaled to ``max_side``); the form refers to it once saved."""
    return ctx.op(lambda s: photos.add_photo(s, path, max_side), parent)


Autosaved = list[tuple[str, str | None, dict[str, Any], str]]  # (key, customer id, state, when)


def autosave(ctx: UiContext, parent: Any, key: str, customer_id: str | None, state: Mapping[str, Any]) -> DbOp[None]:
    """Keep a safety copy of a form being edited (found again after a crash or a lock)."""
    return ctx.op(lambda s: records.autosave(s, key, customer_id, state), parent)


def autosaved(ctx: UiContext) -> DbOp[Autosaved]:
    return ctx.op(records.autosaved)


def discard_autosave(ctx: UiContext, parent: Any, keys: Sequence[str]) -> DbOp[None]:
    def work(s: Any) -> None:
        for key in keys:
            records.discard_autosave(s, key)

    return ctx.op(work, parent)

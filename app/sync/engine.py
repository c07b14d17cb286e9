"""One sync: upload photos, push the outbox, pull the feed to its end.

``run_sync`` talks to the archive only through the ``SyncStore`` port (app.sync.ports) and to the
server only through ``SyncClient``; it never holds the archive during a request. Every step is
resumable: a row's body is frozen and marked sent before its request leaves, answers are applied
in one local transaction, and each feed page is applied together with its cursor. A sync cut off
anywhere (network, cancel, SIGKILL) continues where it stopped, with nothing applied twice.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from app.errors import SyncError, UserCancelled
from app.models.sync_state import LocalRecord, OutboxRow, SyncOutcome
from app.models.wire import MAX_BATCH
from app.sync.client import SyncClient
from app.sync.ports import SyncStore

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
PAGE = 500
MAX_ROUNDS = 20


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise UserCancelled()


def build_body(row: OutboxRow, local: LocalRecord | None, form_version: int) -> dict[str, Any] | None:
    """The mutation a queued row stands for, from the record as it is now (None: nothing to send)."""
    extra = row.extra or {}
    body: dict[str, Any] = {"mutation_id": row.mutation_id, "kind": row.kind, "record_id": row.record_id,
                            "base_version": local.version if local else 0, "form_version": form_version}
    if extra.get("provenance"):
        body["provenance"] = {k: v for k, v in extra["provenance"].items() if v not in (None, "")}
    if row.kind == "customer.save":
        if local is None:
            return None
        base = local.server_data or {}
        changes = {k: {"old": base.get(k), "new": local.data.get(k)}
                   for k in sorted(set(base) | set(local.data)) if base.get(k) != local.data.get(k)}
        if not changes and local.version > 0:
            return None
        body["changes"] = changes
    elif row.kind == "customer.submit":
        if extra.get("note"):
            body["note"] = extra["note"]
    elif row.kind == "visit.create":
        body["visit"] = extra.get("visit") or {}
        body["base_version"] = local.version if local else 0
        if extra.get("info_date"):
            body.setdefault("provenance", {"source": "visit"})["info_date"] = extra["info_date"]
    elif row.kind == "review.decide":
        body["decision"] = extra.get("decision") or {}
    return body


def photos_in(body: dict[str, Any], photo_fields: set[str]) -> list[str]:
    refs: list[str] = []
    for key, change in (body.get("changes") or {}).items():
        if key in photo_fields and isinstance(change.get("new"), list):
            refs += change["new"]
    refs += (body.get("visit") or {}).get("photos") or []
    return list(dict.fromkeys(refs))


def run_sync(store: SyncStore, client: SyncClient, progress: Progress | None = None,
             cancel: threading.Event | None = None, batch: int = MAX_BATCH) -> SyncOutcome:
    out = SyncOutcome()
    say = progress or (lambda phase, done, total: None)
    sent0, received0 = client.bytes_sent, client.bytes_received
    try:
        _push(store, client, out, say, cancel, batch)
        _pull(store, client, out, say, cancel)
        _download_photos(store, client, out, cancel)
    finally:
        out.bytes_sent = client.bytes_sent - sent0
        out.bytes_received = client.bytes_received - received0
        out.remaining = store.unsettled()
    return out


def _push(store: SyncStore, client: SyncClient, out: SyncOutcome, say: Progress, cancel: threading.Event | None,
          batch: int) -> None:
    total = store.outbox_count()
    photo_fields, form_version = store.photo_fields(), store.form_version()
    for _round in range(MAX_ROUNDS):
        _check(cancel)
        heads = store.outbox_heads(batch)
        if not heads:
            return
        mutations, to_freeze, answered_rows = [], [], []
        for row, local in heads:
            body = row.body or build_body(row, local, form_version)
            if body is None:
                store.drop_outbox_row(row.seq)  # nothing left to say (e.g. edited back to the server's value)
                continue
            if row.body is None:
                to_freeze.append((row.seq, body))
            mutations.append(body)
            answered_rows.append(OutboxRow(row.seq, row.mutation_id, row.kind, row.record_id, "sent", body, row.extra))
        if not mutations:
            continue
        _upload_photos(store, client, out, [r for m in mutations for r in photos_in(m, photo_fields)], cancel)
        store.freeze(to_freeze)
        answer = client.push(mutations)
        results = {r["mutation_id"]: r for r in answer.get("results", [])}
        store.apply_push_results([(row, results[row.mutation_id]) for row in answered_rows if row.mutation_id in results])
        for r in results.values():
            out.pushed += 1
            status = r.get("status")
            out.applied += status == "applied"
            out.merged += status == "merged"
            out.conflicts += status == "conflict"
            out.rejected += status == "rejected"
        say("push", out.pushed, max(total, out.pushed))


def _upload_photos(store: SyncStore, client: SyncClient, out: SyncOutcome, refs: list[str],
                   cancel: threading.Event | None) -> None:
    for sha in store.photos_not_uploaded(list(dict.fromkeys(refs))):
        _check(cancel)
        data = store.photo_bytes(sha)
        if data is None:
            continue  # the server reports it missing; the record is not complete until it arrives
        client.upload_photo(sha, data, cancel)
        store.mark_uploaded(sha)
        out.photos_up += 1


def _pull(store: SyncStore, client: SyncClient, out: SyncOutcome, say: Progress, cancel: threading.Event | None) -> None:
    cursor, seen = store.cursor(), None
    while True:
        _check(cancel)
        try:
            page = client.pull(cursor, PAGE)
        except SyncError as exc:
            if getattr(exc, "code", "") != "gone" or seen is not None:
                raise
            log.info("cursor %s is older than the server's horizon: rebuilding", cursor)
            cursor, seen, out.rebuilt = 0, set(), True
            continue
        changes = page.get("changes") or []
        out.received += store.apply_feed_page(changes, int(page["cursor"]), seen)
        out.pulled += len(changes)
        cursor = int(page["cursor"])
        say("pull", out.pulled, out.pulled + (PAGE if page.get("more") else 0))
        if not page.get("more"):
            break
    if seen is not None:
        store.forget_unseen(seen)
    out.pulled_to_end = True


def _download_photos(store: SyncStore, client: SyncClient, out: SyncOutcome, cancel: threading.Event | None) -> None:
    """Photos of pulled records that this archive does not hold yet (a supervisor reviewing them)."""
    for sha in store.photos_missing(limit=200):
        _check(cancel)
        try:
            data = client.photo_get(sha)
        except SyncError as exc:
            log.info("photo %s not downloaded: %s", sha[:12], exc.kind.value)
            continue
        if store.put_photo_bytes(sha, data):
            out.photos_down += 1

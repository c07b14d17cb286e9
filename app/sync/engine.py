"""One sync: upload photos, push the outbox, pull the feed to its end.

``run_sync`` talks to the archive only through the small ports of ``SyncStore`` (app.sync.ports),
each call through ``store.db`` (the archive's thread), and to the server only through ``SyncClient``;
it never holds the archive during a request. Every step is
resumable: a row's body is frozen and marked sent before its request leaves, answers are applied
in one local transaction, and each feed page is applied together with its cursor. A sync cut off
anywhere (network, cancel, SIGKILL) continues where it stopped, with nothing applied twice.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence, Set
from typing import Any

from app.errors import SyncError, SyncErrorKind, UserCancelled
from app.i18n import N_
from app.models.record import Quality
from app.models.remote import FeedChange, FeedPage
from app.models.sync_state import LocalRecord, OutboxRow, SyncOutcome
from app.models.wire import MAX_AUDIT, MAX_BATCH, MAX_PAGE, ChangeKind, ErrorCode, MutationKind, ResultStatus
from app.sync.client import SyncClient
from app.sync.ports import PreparedPage, SyncStore
from app.validation.secrecy import is_masked

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int, int], None]  # phase, done, total, bytes sent and received so far
Say = Callable[[str, int, int], None]
PAGE = MAX_PAGE
EXTRA_ROUNDS = 20  # beyond one per queued row: for rows queued while the sync runs


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise UserCancelled()


def build_body(
    row: OutboxRow, local: LocalRecord | None, form_version: int, provisional: bool = False
) -> dict[str, Any] | None:
    """The mutation a queued row stands for, from the record as it is now (None: nothing to send).
    ``provisional``: the server takes ``provisional_code`` (its /info says so; an older one refuses
    unknown keys), sent with the saves of a customer that has no official code yet."""
    extra = row.extra or {}
    kind = MutationKind(row.kind)
    body: dict[str, Any] = {
        "mutation_id": row.mutation_id,
        "kind": kind.value,
        "record_id": row.record_id,
        "base_version": local.version if local else 0,
        "form_version": form_version,
    }
    if extra.get("provenance"):
        body["provenance"] = {k: v for k, v in extra["provenance"].items() if v not in (None, "")}
    if kind is MutationKind.SAVE:
        if local is None:
            return None
        base = local.server_data or {}
        changes = {
            k: {"old": base.get(k), "new": local.data.get(k)}
            for k in sorted(set(base) | set(local.data))
            if base.get(k) != local.data.get(k)
        }
        if not changes and local.version > 0:
            return None
        body["changes"] = changes
        if provisional and local.code and not local.code_official:
            body["provisional_code"] = local.code
    elif kind is MutationKind.SUBMIT:
        if extra.get("note"):
            body["note"] = extra["note"]
        if extra.get("urgent"):
            body["urgent"] = True
    elif kind is MutationKind.VISIT:
        body["visit"] = extra.get("visit") or {}
        body["base_version"] = local.version if local else 0
        if extra.get("info_date"):
            body.setdefault("provenance", {"source": "visit"})["info_date"] = extra["info_date"]
    elif kind is MutationKind.DECIDE:
        body["decision"] = extra.get("decision") or {}
    elif kind is MutationKind.CHECK:
        body["check"] = extra.get("check") or {}
    elif kind is MutationKind.INTEGRITY:
        body["entry"] = extra.get("entry") or {}
    elif kind is MutationKind.COMPLAINT:
        body["complaint"] = extra.get("complaint") or {}
    elif kind is MutationKind.COMPLAINT_STEP:
        body["step"] = extra.get("step") or {}
    elif kind is MutationKind.CLOSE:
        body["closure"] = extra.get("closure") or {}
    elif kind is MutationKind.SIGNATURE:
        body["signature"] = extra.get("signature") or {}
    elif kind is MutationKind.SERVICE:
        body["service"] = extra.get("service") or {}
    elif kind is MutationKind.SERVICE_STEP:
        body["service_step"] = extra.get("service_step") or {}
    return body


def photos_in(body: dict[str, Any], photo_fields: Set[str]) -> list[str]:
    refs: list[str] = []
    for key, change in (body.get("changes") or {}).items():
        if key in photo_fields and isinstance(change.get("new"), list):
            refs += change["new"]
    refs += (body.get("visit") or {}).get("photos") or []
    refs += (body.get("entry") or {}).get("photos") or []
    image = (body.get("signature") or {}).get("image")
    if image:
        refs.append(image)
    return list(dict.fromkeys(refs))


def run_sync(
    store: SyncStore,
    client: SyncClient,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    batch: int = MAX_BATCH,
) -> SyncOutcome:
    out = SyncOutcome()
    sent0, received0 = client.bytes_sent, client.bytes_received

    def say(phase: str, done: int, total: int) -> None:
        if progress is not None:
            progress(phase, done, total, client.bytes_sent - sent0 + client.bytes_received - received0)

    try:
        restored = _restored(store, client, out)
        if not restored:  # after a restore, rows frozen for the old database are worked out again first
            _push(store, client, out, say, cancel, batch)
        seen, pulled_photos = _pull(store, client, out, say, cancel, rebuild=restored)
        if restored:
            out.requeued = store.db(store.recovery.finish, seen or set())
        again = store.db(store.recovery.take_rebased)  # records the feed showed older than acknowledged here
        out.requeued += again
        if restored or again:  # what was queued again goes now, and its answers come back
            _push(store, client, out, say, cancel, batch)
            pulled_photos |= _pull(store, client, out, say, cancel)[1]
        _calendar(store, client)
        _upload_audit(store, client, out, say, cancel)
        _export_requests(store, client)
        _download_photos(store, client, out, pulled_photos, cancel)
    finally:
        out.bytes_sent = client.bytes_sent - sent0
        out.bytes_received = client.bytes_received - received0
        out.remaining = store.db(store.outbox.unsettled)
    return out


def _push(
    store: SyncStore, client: SyncClient, out: SyncOutcome, say: Say, cancel: threading.Event | None, batch: int
) -> None:
    db = store.db
    total = db(store.outbox.outbox_count)
    form = db(store.form.form_facts)
    provisional = "provisional_code" in db(store.form.server_features)
    # Each round sends the first queued row of up to ``batch`` records and must settle some rows;
    # a record with several rows (saved, then submitted) needs a round for each, so the bound is
    # the number of rows queued, which also ends a sync that a busy user keeps feeding.
    for _round in range(total + EXTRA_ROUNDS):
        _check(cancel)
        heads = db(store.outbox.outbox_heads, batch)
        if not heads:
            return
        mutations, to_freeze, answered_rows, dropped = [], [], [], []
        for row, local in heads:
            body = row.body or build_body(row, local, form.version, provisional)
            if body is None:
                dropped.append(row.seq)  # nothing left to say (e.g. edited back to the server's value)
                continue
            if row.body is None:
                to_freeze.append((row.seq, body))
            mutations.append(body)
            answered_rows.append(OutboxRow(row.seq, row.mutation_id, row.kind, row.record_id, "sent", body, row.extra))
        if not mutations:
            db(store.outbox.freeze, (), dropped)
            continue
        _upload_photos(store, client, out, [r for m in mutations for r in photos_in(m, form.photo_fields)], cancel, say)
        db(store.outbox.freeze, to_freeze, dropped)
        results = {r.mutation_id: r for r in client.push(mutations)}
        if not results:
            raise SyncError(SyncErrorKind.PROTOCOL, N_("The server answered the changes without a result."))
        db(
            store.answers.apply_push_results,
            [(row, results[row.mutation_id]) for row in answered_rows if row.mutation_id in results],
        )
        for r in results.values():
            out.pushed += 1
            out.applied += r.status is ResultStatus.APPLIED
            out.merged += r.status is ResultStatus.MERGED
            out.conflicts += r.status is ResultStatus.CONFLICT
            out.rejected += r.status is ResultStatus.REJECTED
        say("push", out.pushed, max(total, out.pushed))


def _upload_photos(
    store: SyncStore, client: SyncClient, out: SyncOutcome, refs: list[str], cancel: threading.Event | None, say: Say
) -> None:
    todo = store.db(store.photos.photos_not_uploaded, list(dict.fromkeys(refs)))
    for i, sha in enumerate(todo):
        _check(cancel)
        say("photos", i, len(todo))
        data = store.db(store.photos.photo_data, sha)
        if data is None:
            continue  # the server reports it missing; the record is not complete until it arrives
        client.upload_photo(sha, data, cancel)
        store.db(store.photos.mark_uploaded, sha)
        out.photos_up += 1


def _restored(store: SyncStore, client: SyncClient, out: SyncOutcome) -> bool:
    """Whether the server's database is another one than this copy follows: restored from a backup
    (its epoch, in /info, changed; docs/sync-protocol.md, "After a server restore"). Then, or while an
    interrupted recovery is unfinished, this sync rebuilds the copy and sends again what the server lost."""
    db, recovery = store.db, store.recovery
    if db(recovery.pending):
        out.server_restored = True
        return True
    try:
        epoch = client.info().epoch
    except SyncError as exc:  # an older server without /info, or an unreadable one: no epoch to compare
        if exc.kind not in (SyncErrorKind.REFUSED, SyncErrorKind.PROTOCOL):
            raise
        log.info("the server's epoch not read: %s", exc.kind.value)
        return False
    if not epoch:
        return False  # a server from before epochs: a cursor ahead of it is answered 410 (a rebuild)
    known = db(recovery.epoch)
    if known == epoch:
        return False
    if known is None:  # the first sync with this server (or with a server that names its epoch)
        db(recovery.set_epoch, epoch)
        return False
    log.warning("the server's database was restored (epoch %s, was %s): recovering", epoch, known)
    db(recovery.begin, epoch)
    out.server_restored = True
    return True


def _pull(
    store: SyncStore,
    client: SyncClient,
    out: SyncOutcome,
    say: Say,
    cancel: threading.Event | None,
    rebuild: bool = False,
) -> tuple[set[str] | None, set[str]]:
    """The feed to its end. The next pages are fetched (and prepared: the completeness of their
    records worked out) on a reader thread while this one is applied, at most ``AHEAD`` pages
    ahead; the pages that have arrived are applied together, with the last one's cursor, in one
    transaction. ``rebuild``: from 0. Returns the records seen when the feed was read from 0 (else
    None; after a ``rebuild`` the caller decides about the rest) and the photos the pulled records name."""
    db, answers = store.db, store.answers
    cursor = 0 if rebuild else db(answers.cursor)
    seen: set[str] | None = set() if rebuild else None
    out.rebuilt = out.rebuilt or rebuild
    photos: set[str] = set()
    photo_fields = db(store.form.form_facts).photo_fields
    while True:
        reader = PageReader(client, cursor, cancel, db(answers.page_preparer))
        try:
            for batch in reader.batches():
                changes = [c for page, _p in batch for c in page.changes]
                cursor, more = batch[-1][0].cursor, batch[-1][0].more
                out.received += db(answers.apply_feed_page, changes, cursor, seen, _combine([p for _page, p in batch]))
                if any(c.kind is ChangeKind.FORM for c in changes):
                    photo_fields = db(store.form.form_facts).photo_fields  # a new form came with the page
                photos.update(_photos_of(changes, photo_fields))
                out.pulled += len(changes)
                say("pull", out.pulled, out.pulled + (PAGE if more else 0))
                _check(cancel)
            break
        except SyncError as exc:
            if getattr(exc, "code", "") != ErrorCode.GONE.value or seen is not None:
                raise
            log.info("cursor %s is older than the server's horizon: rebuilding", cursor)
            cursor, seen, out.rebuilt = 0, set(), True
        finally:
            reader.close()
    if seen is not None and not rebuild:
        db(store.outbox.forget_unseen, seen)
    out.pulled_to_end = True
    return seen, photos


def _photos_of(changes: list[FeedChange], photo_fields: frozenset[str]) -> list[str]:
    """The photos the pulled records name: their photo fields, their integrity entries' attachments and their
    signatures' pictures."""
    out = [
        sha
        for c in changes
        if c.record is not None
        for key in photo_fields
        for sha in c.record.values.get(key) or []
        if not is_masked(sha)  # a photo this user may not see (app.validation.secrecy): not asked for
    ]
    for c in changes:
        entries = ((c.record.integrity if c.record is not None else None) or {}).get("entries") or []
        out += [p for e in entries if isinstance(e, dict) for p in e.get("photos") or [] if isinstance(p, str)]
    # a signature's picture withheld from the masked view arrives as a placeholder: nothing to ask for
    out += [
        s["image"]
        for c in changes
        if c.record is not None
        for s in c.record.signatures or ()
        if not is_masked(s["image"])
    ]
    return out


def _calendar(store: SyncStore, client: SyncClient) -> None:
    """The server's work calendar, fetched only when its version changed (the server answers 304
    otherwise). A server without one (an older version: 404) is not an error."""
    kept = store.db(store.form.calendar_version)
    try:
        calendar = client.calendar(kept)
    except SyncError as exc:
        if exc.kind is not SyncErrorKind.REFUSED:
            raise
        log.info("the server publishes no work calendar: %s", exc)
        return
    if calendar is not None and calendar.version and calendar.version != kept:
        store.db(store.form.store_calendar, calendar)


def _export_requests(store: SyncStore, client: SyncClient) -> None:
    """The user's export requests and their decisions, kept for the exports made offline (a server
    without them, from before ``access_log`` in /info, is not asked)."""
    if "access_log" in store.db(store.form.server_features):
        store.db(store.requests.keep_requests, client.export_requests())


def _upload_audit(
    store: SyncStore, client: SyncClient, out: SyncOutcome, say: Say, cancel: threading.Event | None
) -> None:
    """The audit trail's entries the server has not acknowledged, oldest first, in pages. The server
    checks each link; when it says the first entry does not follow what it holds (its copy was
    restored from an older backup, say), the trail is offered once more from where the server's copy
    ends (``offset`` of the 409; the whole trail if it names none; what it holds is skipped). A trail the server
    refuses is reported in the outcome, not raised: the records are
    synced all the same, and the trail stays here, unchanged, for the next try."""
    restarted = False
    while True:  # each round acknowledges a page or ends; the restart happens at most once
        _check(cancel)
        entries = store.db(store.audit.pending, MAX_AUDIT)
        if not entries:
            return
        try:
            head = client.upload_audit(entries)
        except SyncError as exc:
            code = getattr(exc, "code", "")
            if exc.kind is not SyncErrorKind.REFUSED:
                raise
            if code == ErrorCode.AUDIT_GAP.value and not restarted:
                body = getattr(exc, "body", None)
                head = body.get("offset") if isinstance(body, dict) else None
                # from where the server's copy ends (it was restored from an older backup, say); else all of it
                start = head if type(head) is int and 0 <= head < entries[0]["seq"] else 0
                log.info(
                    "the server's audit copy ends at %s, before entry %s: sending from there", start, entries[0]["seq"]
                )
                store.db(store.audit.mark_sent, start)
                restarted = True
                continue
            if code == ErrorCode.NOT_FOUND.value:  # a server from before audit uploads
                log.info("the server keeps no audit trails")
                return
            log.warning("the server refused the audit trail at entry %s: %s", entries[0]["seq"], exc)
            out.audit_problem = N_(
                "The server did not accept this computer's audit log. Your records are synced; "
                "the log stays here. Tell your administrator."
            )
            return
        head = head or entries[-1]["seq"]
        if head < entries[-1]["seq"]:
            raise SyncError(SyncErrorKind.PROTOCOL, N_("The server answered the audit log without taking it."))
        store.db(store.audit.mark_sent, head)
        out.audit_sent += len(entries)
        say("audit", out.audit_sent, out.audit_sent + (MAX_AUDIT if len(entries) == MAX_AUDIT else 0))


def _combine(prepared: list[PreparedPage | None]) -> PreparedPage | None:
    """The preparations of consecutive pages as one (all against the same form, else none)."""
    pages = [p for p in prepared if p is not None]
    if not pages or len(pages) != len(prepared) or len({p.form_version for p in pages}) != 1:
        return None
    merged: dict[str, Quality] = {}
    for p in pages:
        merged.update(p.quality)
    return PreparedPage(pages[0].form_version, merged)


AHEAD = 3  # feed pages read ahead of the one being applied
APPLY_AT_MOST = 5  # pages applied in one transaction


class PageReader:
    """Reads and prepares feed pages from ``cursor`` on a thread, into a bounded queue (memory
    stays flat however long the feed is)."""

    def __init__(
        self,
        client: SyncClient,
        cursor: int,
        cancel: threading.Event | None,
        prepare: Callable[[Sequence[FeedChange]], PreparedPage] | None = None,
    ) -> None:
        self.client, self.cursor, self.cancel, self.prepare = client, cursor, cancel, prepare
        self.stop = threading.Event()
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=AHEAD)
        self.thread = threading.Thread(target=self._read, name="feed-reader", daemon=True)
        self.thread.start()

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _read(self) -> None:
        cursor = self.cursor
        try:
            while not self.stop.is_set() and not (self.cancel is not None and self.cancel.is_set()):
                page = self.client.pull(cursor, PAGE)
                prepared: PreparedPage | None = None
                if self.prepare is not None:
                    try:
                        prepared = self.prepare(page.changes)
                    except Exception:  # only a shortcut: the page is applied without it
                        log.exception("preparing a feed page failed")
                if not self._put(("page", (page, prepared))):
                    return
                if not page.more:
                    return
                cursor = page.cursor
        except BaseException as exc:  # handed to the applying thread, which raises it
            self._put(("error", exc))
        finally:
            self._put(("end", None))

    def batches(self) -> Iterator[list[tuple[FeedPage, PreparedPage | None]]]:
        """Lists of consecutive (page, preparation): all that has arrived (waiting for the first)."""
        while True:
            got: list[tuple[FeedPage, PreparedPage | None]] = []
            last = False
            while len(got) < APPLY_AT_MOST and not last:
                try:
                    kind, item = self.queue.get(timeout=0.2) if not got else self.queue.get_nowait()
                except queue.Empty:
                    if got:
                        break
                    _check(self.cancel)
                    continue
                if kind == "page":
                    got.append(item)
                    last = not item[0].more
                elif kind == "error":
                    if got:  # what arrived before the error is applied first
                        yield got
                    raise item
                else:  # the reader stopped (cancelled): what arrived is applied
                    last = True
            if got:
                yield got
            if last:
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=60)  # a request in flight ends within the client's timeouts


PHOTOS_DOWN = 200  # photos downloaded in one sync at most


def _download_photos(
    store: SyncStore, client: SyncClient, out: SyncOutcome, pulled: set[str], cancel: threading.Event | None
) -> None:
    """Photos of pulled records that this archive does not hold yet (a supervisor reviewing them)."""
    missing = sorted(pulled - store.db(store.photos.known_photos, pulled))[:PHOTOS_DOWN] if pulled else []
    for sha in missing:
        _check(cancel)
        try:
            data = client.photo_get(sha)
        except SyncError as exc:
            log.info("photo %s not downloaded: %s", sha[:12], exc.kind.value)
            continue
        if store.db(store.answers.keep_photo, sha, data):
            out.photos_down += 1

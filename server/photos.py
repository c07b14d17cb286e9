"""Photos: content-addressed by SHA-256, uploaded in resumable chunks, verified before use.

Upload state lives in the database (``upload_chunks``), so any server process can take the next
chunk. The offset is the length of the contiguous bytes received; a chunk for another offset is
refused with the server's offset (409) and the client resumes from there. When the last byte
arrives the server hashes the whole photo: a mismatch discards the upload (422 ``checksum``).

Knowing a photo's hash gives nothing (docs/server.md, "Photos"): a partial upload belongs to its
uploader (each user has their own, nobody else can append to it); the status answers only about
the caller's own upload; a photo is read by those who sent its bytes (``photo_uploads``: sending
the bytes of a photo already held proves holding it, and the bytes are kept once) and by those who
may see a customer whose record or visit refers to it and does not still wait for it; a save that
refers to a photo held on the server which the caller may not read is rejected
(``photo.forbidden``). A download is also refused when secrecy hides the photo in every customer that shows it
to the caller (a photo field they may not read, a signature's image in the masked view: :func:`withheld`).
Partial uploads untouched for ``Settings.upload_ttl`` are purged at start, daily, and at most every
``PURGE_EVERY`` seconds while uploads come in.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, tuple_
from sqlalchemy.engine import Connection

from app.models.wire import MAX_CHUNK, ErrorCode
from server.accounts import Caller, User
from server.config import Settings
from server.db import Database, Tx
from server.errors import ApiError, not_found
from server.records import mark_photo_present
from server.schema import customers, photo_refs, photo_uploads, photos, signatures, upload_chunks
from server.scope import Directory, is_admin, visible_clause
from server.secrecy import view_of

SHA_RE = re.compile(r"[0-9a-f]{64}")
PURGE_EVERY = 60.0  # seconds between purges triggered by uploads (per process and database)
_last_purge: dict[str, float] = {}


def check_sha(sha: str) -> str:
    if not SHA_RE.fullmatch(sha):
        raise ApiError(
            422,
            ErrorCode.VALIDATION,
            "A photo is named by its SHA-256 in lower-case hex.",
            fields=[{"field": "sha256", "code": "photo.invalid", "message": "not a SHA-256 hex digest"}],
        )
    return sha


def _offset(conn: Connection, sha: str, user_id: int) -> tuple[int, int | None]:
    """(contiguous bytes received, the announced total) of this user's upload in progress."""
    c = upload_chunks.c
    rows = conn.execute(
        select(c.start, func.length(c.data), c.total).where(c.sha256 == sha, c.user_id == user_id).order_by(c.start)
    ).all()
    offset, total = 0, None
    for start, length, tot in rows:
        total = tot
        if start != offset:
            break
        offset += length
    return offset, total


def _uploaded_by(conn: Connection, sha: str, user_id: int) -> bool:
    return (
        conn.execute(
            select(photo_uploads.c.sha256).where(photo_uploads.c.sha256 == sha, photo_uploads.c.user_id == user_id)
        ).first()
        is not None
    )


def status(db: Database, caller: Caller, sha: str) -> dict[str, Any]:
    """Where the caller's own upload of ``sha`` stands; a photo someone else sent is "not started"."""
    check_sha(sha)
    with db.read() as conn:
        if _uploaded_by(conn, sha, caller.user.id):
            size = conn.execute(select(photos.c.size).where(photos.c.sha256 == sha)).scalar()
            return {"complete": True, "offset": int(size or 0)}
        return {"complete": False, "offset": _offset(conn, sha, caller.user.id)[0]}


def purge_partial(db: Database, settings: Settings, now: float | None = None) -> int:
    """Forget partial uploads whose newest chunk is older than ``settings.upload_ttl``; the count."""
    cutoff = (now if now is not None else time.time()) - settings.upload_ttl
    return db.write(lambda tx: _purge(tx.conn, cutoff))


def _purge(conn: Connection, cutoff: float) -> int:
    c = upload_chunks.c
    stale = conn.execute(
        select(c.sha256, c.user_id).group_by(c.sha256, c.user_id).having(func.max(c.at) < cutoff)
    ).all()
    for i in range(0, len(stale), 200):
        part = [(r.sha256, r.user_id) for r in stale[i : i + 200]]
        conn.execute(delete(upload_chunks).where(tuple_(c.sha256, c.user_id).in_(part)))
    return len(stale)


def _maybe_purge(db: Database, settings: Settings) -> None:
    now = time.time()
    if now - _last_purge.get(db.url, 0.0) >= min(PURGE_EVERY, settings.upload_ttl):
        _last_purge[db.url] = now
        purge_partial(db, settings, now)


def upload(
    db: Database, settings: Settings, caller: Caller, sha: str, offset: int, total: int, body: bytes
) -> dict[str, Any]:
    check_sha(sha)
    if total <= 0 or total > settings.max_photo_bytes:
        raise ApiError(413, ErrorCode.TOO_LARGE, f"A photo has at most {settings.max_photo_bytes} bytes.")
    if len(body) > MAX_CHUNK:
        raise ApiError(413, ErrorCode.TOO_LARGE, f"A chunk has at most {MAX_CHUNK} bytes.")
    if offset + len(body) > total or (not body and offset < total):
        raise ApiError(400, ErrorCode.BAD_REQUEST, "The chunk does not fit the announced Upload-Length.")
    _maybe_purge(db, settings)
    uid = caller.user.id

    def work(tx: Tx) -> dict[str, Any]:
        if _uploaded_by(tx.conn, sha, uid):
            size = tx.conn.execute(select(photos.c.size).where(photos.c.sha256 == sha)).scalar()
            return {"complete": True, "offset": int(size or 0)}
        have, announced = _offset(tx.conn, sha, uid)
        if have != offset or (announced is not None and announced != total):
            return {"conflict": have}
        tx.conn.execute(
            insert(upload_chunks).values(sha256=sha, user_id=uid, start=offset, total=total, data=body, at=time.time())
        )
        if offset + len(body) < total:
            return {"complete": False, "offset": offset + len(body)}
        return _finish(tx, caller, sha, total)

    answer = db.write(work)
    if "conflict" in answer:
        raise ApiError(
            409,
            ErrorCode.CONFLICT,
            "The upload is at another offset; resume from it.",
            headers={"Upload-Offset": str(answer["conflict"])},
            extra={"offset": answer["conflict"]},
        )
    if "checksum" in answer:
        raise ApiError(422, ErrorCode.CHECKSUM, "The photo's bytes do not match its SHA-256; upload it again.")
    return answer


def _finish(tx: Tx, caller: Caller, sha: str, total: int) -> dict[str, Any]:
    c = upload_chunks.c
    mine = and_(c.sha256 == sha, c.user_id == caller.user.id)
    data = b"".join(tx.conn.execute(select(c.data).where(mine).order_by(c.start)).scalars().all())
    tx.conn.execute(delete(upload_chunks).where(mine))
    if hashlib.sha256(data).hexdigest() != sha or len(data) != total:
        return {"checksum": True}
    now = time.time()
    if tx.conn.execute(select(photos.c.sha256).where(photos.c.sha256 == sha)).first() is None:
        tx.conn.execute(
            insert(photos).values(sha256=sha, size=len(data), data=data, uploaded_by_id=caller.user.id, created_at=now)
        )
    tx.conn.execute(insert(photo_uploads).values(sha256=sha, user_id=caller.user.id, at=now))
    mark_photo_present(tx, sha, caller.user)
    return {"complete": True, "offset": len(data)}


def readable(conn: Connection, user: User, hashes: Iterable[str]) -> set[str]:
    """Of ``hashes``, the photos ``user`` may read: an admin all; others those they sent, and those a
    record or visit of a customer they may see refers to and no longer waits for."""
    wanted = sorted(set(hashes))
    if not wanted:
        return set()
    if is_admin(user):
        return set(wanted)
    out: set[str] = set()
    for i in range(0, len(wanted), 500):
        part = wanted[i : i + 500]
        out.update(
            conn.execute(
                select(photo_uploads.c.sha256).where(
                    photo_uploads.c.sha256.in_(part), photo_uploads.c.user_id == user.id
                )
            ).scalars()
        )
        rest = [h for h in part if h not in out]
        if rest:
            q = (
                select(photo_refs.c.sha256, customers.c.missing_photos)
                .join(customers, customers.c.id == photo_refs.c.record_id)
                .where(photo_refs.c.sha256.in_(rest), visible_clause(user))
            )
            for sha, missing in conn.execute(q):
                if sha not in json.loads(missing or "[]"):
                    out.add(sha)
    return out


def withheld(conn: Connection, user: User, sha: str) -> bool:
    """Is the photo ``sha`` hidden from ``user`` by secrecy (server/secrecy.py) in every customer they see that
    refers to it: a value of a photo field they may not read, or, in the masked view, a signature's image?
    Their own upload never is. So a hash learnt elsewhere does not fetch a picture the record would not show."""
    if is_admin(user) or _uploaded_by(conn, sha, user.id):
        return False
    q = (
        select(customers.c.id, customers.c.data, customers.c.owner_id, customers.c.created_by_id)
        .join(photo_refs, photo_refs.c.record_id == customers.c.id)
        .where(photo_refs.c.sha256 == sha, visible_clause(user))
    )
    rows = conn.execute(q).all()
    if not rows:
        return False  # not a customer's photo (readable() decides)
    view, d = view_of(conn, user), Directory.lazy(conn, user)
    signed = set()
    if view.masked_view():
        ids = [r.id for r in rows]
        signed = set(
            conn.execute(
                select(signatures.c.record_id).where(signatures.c.image == sha, signatures.c.record_id.in_(ids))
            ).scalars()
        )
    for r in rows:
        values = json.loads(r.data)
        gone = view.hidden(r.owner_id, r.created_by_id, values, d)
        held = {k for k, v in values.items() if v == sha or (isinstance(v, list) and sha in v)}
        if r.id not in signed and not (held and held <= gone.keys()):
            return False  # this customer shows it (or refers to it outside the values: an entry's attachment)
    return True


def download(db: Database, caller: Caller, sha: str) -> bytes:
    """The bytes of a photo the caller may read (:func:`readable`) and secrecy does not withhold from them
    (:func:`withheld`); any other: 404, as if missing."""
    check_sha(sha)
    with db.read() as conn:
        data = conn.execute(select(photos.c.data).where(photos.c.sha256 == sha)).scalar()
        if data is None or not readable(conn, caller.user, [sha]) or withheld(conn, caller.user, sha):
            raise not_found("There is no such photo.")
    return bytes(data)

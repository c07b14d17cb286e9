"""Photos: content-addressed by SHA-256, uploaded in resumable chunks, verified before use.

Upload state lives in the database (``upload_chunks``), so any server process can take the next
chunk. The offset is the length of the contiguous bytes received; a chunk for another offset is
refused with the server's offset (409) and the client resumes from there. When the last byte
arrives the server hashes the whole photo: a mismatch discards the upload (422 ``checksum``).
"""
from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from sqlalchemy import delete, exists, func, insert, or_, select

from app.models.wire import MAX_CHUNK, ErrorCode
from server.accounts import Caller
from server.config import Settings
from server.db import Database, Tx
from server.errors import ApiError, not_found
from server.records import mark_photo_present
from server.schema import customers, photo_refs, photos, upload_chunks
from server.scope import is_admin, visible_clause

SHA_RE = re.compile(r"[0-9a-f]{64}")


def check_sha(sha: str) -> str:
    if not SHA_RE.fullmatch(sha):
        raise ApiError(422, ErrorCode.VALIDATION, "A photo is named by its SHA-256 in lower-case hex.",
                       fields=[{"field": "sha256", "code": "photo.invalid", "message": "not a SHA-256 hex digest"}])
    return sha


def _offset(conn: Any, sha: str) -> tuple[int, int | None]:
    """(contiguous bytes received, the announced total) of an upload in progress."""
    rows = conn.execute(select(upload_chunks.c.start, func.length(upload_chunks.c.data), upload_chunks.c.total)
                        .where(upload_chunks.c.sha256 == sha).order_by(upload_chunks.c.start)).all()
    offset, total = 0, None
    for start, length, tot in rows:
        total = tot
        if start != offset:
            break
        offset += length
    return offset, total


def status(db: Database, sha: str) -> dict[str, Any]:
    check_sha(sha)
    with db.read() as conn:
        size = conn.execute(select(photos.c.size).where(photos.c.sha256 == sha)).scalar()
        if size is not None:
            return {"complete": True, "offset": int(size)}
        return {"complete": False, "offset": _offset(conn, sha)[0]}


def upload(db: Database, settings: Settings, caller: Caller, sha: str, offset: int, total: int,
           body: bytes) -> dict[str, Any]:
    check_sha(sha)
    if total <= 0 or total > settings.max_photo_bytes:
        raise ApiError(413, ErrorCode.TOO_LARGE, f"A photo has at most {settings.max_photo_bytes} bytes.")
    if len(body) > MAX_CHUNK:
        raise ApiError(413, ErrorCode.TOO_LARGE, f"A chunk has at most {MAX_CHUNK} bytes.")
    if offset + len(body) > total or (not body and offset < total):
        raise ApiError(400, ErrorCode.BAD_REQUEST, "The chunk does not fit the announced Upload-Length.")

    def work(tx: Tx) -> dict[str, Any]:
        size = tx.conn.execute(select(photos.c.size).where(photos.c.sha256 == sha)).scalar()
        if size is not None:
            return {"complete": True, "offset": int(size)}
        have, announced = _offset(tx.conn, sha)
        if have != offset or (announced is not None and announced != total):
            return {"conflict": have}
        tx.conn.execute(insert(upload_chunks).values(sha256=sha, start=offset, total=total, data=body,
                                                     user_id=caller.user.id, at=time.time()))
        if offset + len(body) < total:
            return {"complete": False, "offset": offset + len(body)}
        return _finish(tx, caller, sha, total)

    answer = db.write(work)
    if "conflict" in answer:
        raise ApiError(409, ErrorCode.CONFLICT, "The upload is at another offset; resume from it.",
                       headers={"Upload-Offset": str(answer["conflict"])}, extra={"offset": answer["conflict"]})
    if "checksum" in answer:
        raise ApiError(422, ErrorCode.CHECKSUM, "The photo's bytes do not match its SHA-256; upload it again.")
    return answer


def _finish(tx: Tx, caller: Caller, sha: str, total: int) -> dict[str, Any]:
    chunks = tx.conn.execute(select(upload_chunks.c.data).where(upload_chunks.c.sha256 == sha)
                             .order_by(upload_chunks.c.start)).scalars().all()
    data = b"".join(chunks)
    tx.conn.execute(delete(upload_chunks).where(upload_chunks.c.sha256 == sha))
    if hashlib.sha256(data).hexdigest() != sha or len(data) != total:
        return {"checksum": True}
    tx.conn.execute(insert(photos).values(sha256=sha, size=len(data), data=data, uploaded_by_id=caller.user.id,
                                          created_at=time.time()))
    mark_photo_present(tx, sha)
    return {"complete": True, "offset": len(data)}


def download(db: Database, caller: Caller, sha: str) -> bytes:
    """The bytes of a photo the caller uploaded or that a record they may see refers to."""
    check_sha(sha)
    user = caller.user
    referenced = exists(select(photo_refs.c.sha256).join(customers, customers.c.id == photo_refs.c.record_id)
                        .where(photo_refs.c.sha256 == sha, visible_clause(user)))
    q = select(photos.c.data).where(photos.c.sha256 == sha)
    if not is_admin(user):
        q = q.where(or_(photos.c.uploaded_by_id == user.id, referenced))
    with db.read() as conn:
        data = conn.execute(q).scalar()
    if data is None:
        raise not_found("There is no such photo.")
    return bytes(data)

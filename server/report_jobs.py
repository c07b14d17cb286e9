"""Monthly reports produced in the background: start, poll, download.

A province's report takes longer than a client's read timeout (30 s) and than a worker should be held
by one request. ``POST /reports/monthly/jobs`` checks the month, records a job (``report_jobs``) and
answers at once; a thread of the same process computes the report (``server.reports.monthly``, which
sums the completeness stored with each customer in SQL and streams the overdue rows) in its own read
snapshot, writing its progress (customers gone through of the total) every chunk, then the result (gzip
of the report's JSON, written as the rows are read) into the job's row. Before it, the customers whose
stored completeness is stale (a new form version: ``server.completeness``) are computed again and
stored, 1,000 a write transaction. The caller
polls ``GET /reports/monthly/jobs/{id}`` and downloads ``…/{id}/result``; both read the database, so
any server process answers them. The report's contents are exactly those of ``GET /reports/monthly``.

Between its chunks the job gives way to the requests the process is answering (``server.foreground``):
a push or a pull is not slowed by more than a fifth while a report runs (issue 21); a steady stream of
requests makes the job longer, never stopped.

At most ``RUNNING`` reports are computed at a time per process (the others wait their turn, shown as
running with nothing done): a report is Python work that shares the processor with sync requests.
A job whose heartbeat stopped for ``STALE`` seconds (its process ended) reads as failed. Jobs are
kept ``KEEP`` seconds, then purged when a new one starts. Only the job's starter sees it (404 else).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import logging
import threading
import time
import uuid
from functools import partial
from typing import Any

from sqlalchemy import delete, insert, select, update

from app.models.catalogue import FormDefinition
from server import completeness, foreground
from server.accounts import User
from server.calendar import server_calendar
from server.config import CHINA_TZ
from server.db import Database, Tx
from server.errors import ApiError
from server.forms import current_form
from server.reports import check_month, count_customers, monthly, write_json
from server.schema import report_jobs
from server.scope import for_reports

log = logging.getLogger(__name__)

RUNNING = 1
STALE = 600.0
KEEP = 24 * 3600.0
HEARTBEAT = 1.0  # seconds between progress writes at most
#: the result's gzip: level 1 spends less processor than 6 (shared with the requests) for a file ~20 % larger
GZIP_LEVEL = 1

_slots = threading.BoundedSemaphore(RUNNING)


def start(db: Database, user: User, month: str, now: float | None = None) -> dict[str, Any]:
    """Record a job for ``month`` and start computing it; its status (as :func:`status`)."""
    now = time.time() if now is None else now
    check_month(month, now)  # a bad or future month is refused here, at once
    with db.read() as conn:
        for_reports(conn, user)  # so is a viewer not placed in the territory tree
    job_id = str(uuid.uuid4())

    def record(tx: Tx) -> None:
        tx.conn.execute(delete(report_jobs).where(report_jobs.c.created_at < now - KEEP))
        tx.conn.execute(
            insert(report_jobs).values(
                id=job_id,
                user_id=user.id,
                month=month,
                state="running",
                done=0,
                total=0,
                created_at=now,
                updated_at=now,
            )
        )

    db.write(record)
    threading.Thread(target=_run, args=(db, user, job_id, month), name=f"report-{job_id[:8]}", daemon=True).start()
    return status(db, user, job_id, now)


def _run(db: Database, user: User, job_id: str, month: str) -> None:
    with _slots:
        try:
            _refresh(db)
            with db.read() as conn:
                total = count_customers(conn, user)
                _set(db, job_id, total=total)
                done, last = 0, time.monotonic()

                def progress(n: int) -> None:
                    nonlocal done, last
                    done += n
                    foreground.give_way()  # between chunks: a request being answered goes first
                    if time.monotonic() - last >= HEARTBEAT:
                        last = time.monotonic()
                        _set(db, job_id, done=done)

                report = monthly(
                    conn, user, current_form(conn), server_calendar(conn), month, progress=progress, compact=True
                )
                buf = io.BytesIO()
                with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as gz:
                    # the overdue rows are read from ``conn`` as they are written, giving way between chunks
                    write_json(report, gz, between=foreground.give_way)
                del report
            body = buf.getvalue()
            _set(db, job_id, state="done", done=total, result=body)
        except Exception as exc:  # the job fails; the server goes on
            log.exception("report job %s failed", job_id)
            reason = exc.message if isinstance(exc, ApiError) else type(exc).__name__
            try:
                _set(db, job_id, state="failed", error=reason)
            except Exception:  # noqa: BLE001 - the database is gone: the job reads as stale later
                log.exception("report job %s: the failure could not be recorded", job_id)


def _refresh(db: Database) -> None:
    """Store the completeness of the customers whose stored answer is stale (a new form version, or
    not computed yet: ``server.completeness``), 1,000 a transaction, so the report sums it in SQL."""
    with db.read() as conn:
        form = current_form(conn)
    today = dt.datetime.now(CHINA_TZ).date()
    after: str | None = ""
    while after is not None:
        foreground.give_way()
        after = db.write(partial(_refresh_batch, form=form, today=today, after=after))


def _refresh_batch(tx: Tx, form: FormDefinition, today: dt.date, after: str) -> str | None:
    return completeness.refresh(tx.conn, form, today, after)


def _set(db: Database, job_id: str, **values: Any) -> None:
    values["updated_at"] = time.time()
    db.write(lambda tx: tx.conn.execute(update(report_jobs).where(report_jobs.c.id == job_id).values(**values)))


def _row(db: Database, user: User, job_id: str, *cols: Any) -> Any:
    with db.read() as conn:
        row = conn.execute(select(*cols).where(report_jobs.c.id == job_id, report_jobs.c.user_id == user.id)).first()
    if row is None:
        raise ApiError(404, "not_found", "No such report job.")
    return row


def status(db: Database, user: User, job_id: str, now: float | None = None) -> dict[str, Any]:
    j = report_jobs.c
    r = _row(db, user, job_id, j.id, j.month, j.state, j.done, j.total, j.error, j.updated_at)
    now = time.time() if now is None else now
    state, error = r.state, r.error
    if state == "running" and r.updated_at < now - STALE:
        state, error = "failed", "interrupted"
    return {"id": r.id, "month": r.month, "state": state, "done": r.done, "total": r.total, "error": error}


def result(db: Database, user: User, job_id: str, gzipped: bool = False) -> bytes:
    """The finished report's JSON, or its gzip as stored with ``gzipped`` (409 while the job is not done)."""
    r = _row(db, user, job_id, report_jobs.c.state, report_jobs.c.result)
    if r.state != "done" or r.result is None:
        raise ApiError(409, "not_ready", "The report is not ready.")
    return bytes(r.result) if gzipped else gzip.decompress(r.result)

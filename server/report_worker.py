"""``python -m server.report_worker``: one monthly report job, in a process of its own (issue 21).

Started by ``server.report_jobs`` for each job, with a JSON object on its standard input (the database's
address, the caller as authenticated, the job's id and month). It lowers its own processor priority
(``server.report_priority.NICE``) before any work, so the server process's requests (pushes, pulls) come
first on a busy machine and never wait for this work's interpreter lock; then it computes the report
into the job's row (``server.report_jobs.compute``) and exits. Its memory is its own: it ends with the job.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from server.accounts import User
from server.db import Database
from server.report_jobs import compute
from server.report_priority import NICE


def main() -> int:
    job = json.loads(sys.stdin.buffer.read())
    try:
        os.nice(NICE)
    except OSError:  # refused: the normal priority
        pass
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    u = job["user"]
    user = User(
        **{
            **u,
            "teams": tuple(u["teams"]) if u.get("teams") is not None else None,
            "covering": tuple(u.get("covering") or ()),
        }
    )
    db = Database(job["url"], pool_size=2)
    try:
        compute(db, user, job["job_id"], job["month"])
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A report job's work at a lower processor priority than the requests (issue 21: "no push or pull in the
same process slowed by more than 20 % while it runs").

The report job runs in a process of its own (``server.report_worker``, which raises its own ``nice``
by :data:`NICE`), and its work is mostly the database's: the backend process of its connection reads
and sorts the province. :func:`lower_backend` gives that PostgreSQL backend the same lower priority,
when it runs on this host and this process may change it (same user, or root), and has it read without
parallel workers (on PostgreSQL they are more backends, at the normal priority, that would take every
core of a small machine). The scheduler then gives the requests (their threads and their backends) the
processor first whenever both want it; on an idle machine the job runs about as fast as before.
:func:`restore_backend` gives the backend its priority back before the connection returns to the pool
(or the caller drops the connection when it cannot).

Best effort: where the system refuses (another user's backend, a database on another host, not Linux),
the job runs at the normal priority, as before.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from sqlalchemy import text

NICE = 10  # added to the job's priority: the scheduler's weight of a nice 10 task is ~1/10 of a nice 0 one


def _local_backend(conn: Any) -> int | None:
    """The pid of the PostgreSQL backend of ``conn`` when it is a process of this host, else None."""
    if conn.dialect.name != "postgresql":
        return None
    pid, addr = conn.execute(text("SELECT pg_backend_pid(), host(inet_server_addr())")).one()
    if addr is not None and not ipaddress.ip_address(addr).is_loopback:
        return None  # another host's process: the same pid here is someone else
    try:
        comm = Path(f"/proc/{int(pid)}/comm").read_text().strip()
    except OSError:
        return None
    return int(pid) if comm.startswith("postgres") else None


def lower_backend(conn: Any, nice: int = NICE) -> tuple[int, int] | None:
    """Lower the priority of the backend serving ``conn`` (in its transaction: one backend, no parallel
    workers); (pid, its priority before) to give back, or None."""
    if conn.dialect.name == "postgresql":
        # one process for the job's queries: parallel workers (other backends, at the normal priority)
        # would take every core of a small machine from the requests; SET LOCAL ends with the transaction
        conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    try:
        pid = _local_backend(conn)
        if pid is None:
            return None
        before = os.getpriority(os.PRIO_PROCESS, pid)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, before + nice))
        return pid, before
    except (AttributeError, OSError, ValueError):
        return None


def restore_backend(held: tuple[int, int] | None) -> bool:
    """Give the backend lowered by :func:`lower_backend` its priority back; False when that was refused
    (the caller then drops the connection rather than pool a slowed backend)."""
    if held is None:
        return True
    try:
        os.setpriority(os.PRIO_PROCESS, held[0], held[1])
        return True
    except OSError:
        return False

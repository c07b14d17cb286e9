"""Free ports for the servers and receivers the tests start, one range per pytest-xdist worker.

A port found free by binding port 0 is released before the process that will listen on it binds it. Another
test process may be handed the same port in between (the kernel hands out ports it has just seen freed),
and then one test's webhooks or clients reach another test's server: a rare failure that looked like a
delivery that never came. Each worker therefore hands out ports from its own range, below the kernel's
ephemeral range (32768 and up on Linux, where outgoing connections take theirs), in turn, so a port is
handed again only after the whole range went round.
"""

from __future__ import annotations

import itertools
import os
import random
import socket

WIDTH = 2000  # ports per worker: 10000-11999 for gw0, 12000-13999 for gw1, …; 30000-31999 outside xdist


def _base() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit():
        return 10000 + (int(worker[2:]) % 10) * WIDTH
    return 30000


_BASE = _base()
_TURN = itertools.count(random.randrange(WIDTH))


def free_port() -> int:
    """A port of this worker's range that nothing listens on now (the next in turn that binds)."""
    for _ in range(WIDTH):
        port = _BASE + next(_TURN) % WIDTH
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # the whole range taken: any port the kernel gives
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

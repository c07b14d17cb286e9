"""``python -m tests.server.crashing_server serve …``: the real server, except that the process dies
(``os._exit``) right after the Nth push has committed and before it answers (FA_CRASH_AFTER_PUSH=N).
It models a crash or power cut between COMMIT and the response."""

from __future__ import annotations

import os
import sys

from server import push as push_module
from server.cli import main

CRASH_AFTER = int(os.environ["FA_CRASH_AFTER_PUSH"])
_original = push_module.push
_count = 0


def _push_then_die(db, caller, batch):  # type: ignore[no-untyped-def]
    global _count
    results = _original(db, caller, batch)  # committed when this returns
    _count += 1
    if _count == CRASH_AFTER:
        os._exit(137)
    return results


push_module.push = _push_then_die

if __name__ == "__main__":
    sys.exit(main())

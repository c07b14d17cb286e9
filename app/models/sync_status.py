"""What the status bar shows of sync: one state out of a fixed set, with what that state carries."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.models.sync_state import SyncOutcome


class SyncState(enum.Enum):
    LOCAL = "local"  # not bound to a server
    SIGNED_OUT = "signed_out"  # bound, but no valid sign-in
    IDLE = "idle"  # signed in, nothing waiting
    WAITING = "waiting"  # signed in, changes waiting to be sent
    SYNCING = "syncing"
    UP_TO_DATE = "up_to_date"  # a sync ended with nothing left to do
    PROBLEMS = "problems"  # a sync ended; conflicts, refusals or the audit log need attention
    CANCELLED = "cancelled"
    OFFLINE = "offline"  # the server could not be reached; tried again later
    ERROR = "error"  # the sync failed otherwise; tried again later

    @property
    def signed_in(self) -> bool:
        return self not in (SyncState.LOCAL, SyncState.SIGNED_OUT)


@dataclass(frozen=True)
class SyncStatus:
    state: SyncState
    outbox: int = 0  # changes waiting to be sent, as last counted
    last_sync: str | None = None  # the end of the last complete sync (ISO), as the archive keeps it
    outcome: SyncOutcome | None = None  # of the sync that just ended (UP_TO_DATE, PROBLEMS)
    error: BaseException | None = None  # why it failed (OFFLINE, ERROR, SIGNED_OUT)

"""What the sync engine sees of the local archive (plain data, shared by app.sync and app.storage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_

#: Said after a sync that recovered from a server restore (docs/sync-protocol.md, "After a server restore").
SERVER_RESTORED = N_(
    "The server was restored from a backup; this computer sent again what the server had lost. "
    "Sync once more later to receive what the other computers send again."
)


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    mutation_id: str
    kind: str
    record_id: str
    state: str  # pending (never sent) | sent (body frozen, answer not yet applied)
    body: dict[str, Any] | None  # the frozen mutation, once sent
    extra: dict[str, Any] | None  # kind-specific data (a visit, a note, the provenance)


@dataclass(frozen=True)
class LocalRecord:
    id: str
    data: dict[str, Any]
    server_data: dict[str, Any] | None
    version: int
    status: str
    form_version: int
    sync_state: str
    code: str | None = None  # official or provisional (TMP-…)
    code_official: bool = False


@dataclass
class SyncOutcome:
    pushed: int = 0
    applied: int = 0
    merged: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0  # feed entries read (our own changes come back in the feed too)
    received: int = 0  # records that changed here because of the feed
    photos_up: int = 0
    photos_down: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    remaining: int = 0  # outbox rows still waiting (conflicts, rejections, not yet sendable)
    pulled_to_end: bool = False
    rebuilt: bool = False
    server_restored: bool = False  # the server's database was restored: this sync recovered from it
    requeued: int = 0  # records queued again because the restored server no longer had them
    notes: list[str] = field(default_factory=list)
    audit_sent: int = 0  # audit entries the server took (or already held)
    audit_problem: str = ""  # a message id when the audit trail could not be sent (the sync is otherwise done)
    newer_client: str = ""  # a newer desktop client the server announces (/info client_version), else ""
    download_url: str = ""  # where the server says to get it

    @property
    def complete(self) -> bool:
        """Everything pushed and the feed pulled to its end."""
        return self.remaining == 0 and self.pulled_to_end

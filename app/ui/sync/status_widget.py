"""The sync state in the status bar: offline, syncing (counts and bytes), up to date, N waiting,
problems; with "Sync now", "Cancel" and "Sign in"."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.errors import UserFacingError
from app.i18n import _, ngettext
from app.models import times
from app.models.sync_state import SERVER_RESTORED
from app.models.sync_status import SyncState, SyncStatus
from app.ui.sync_coordinator import SyncCoordinator


def human_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def local_time(iso: str) -> str:
    """The time in the app's one time zone (app.models.times)."""
    return times.shown(iso)


class SyncStatusWidget(QWidget):
    def __init__(self, coordinator: SyncCoordinator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.coordinator = coordinator
        self.label = QLabel(_("Not connected to a server"), self)
        self.sync_now = QPushButton(_("Sync now"), self)
        self.cancel = QPushButton(_("Cancel"), self)
        self.sign_in = QPushButton(_("Sign in…"), self)
        for b in (self.sync_now, self.cancel, self.sign_in):
            b.setFlat(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.label, self.sync_now, self.cancel, self.sign_in):
            layout.addWidget(w)
        self.sync_now.clicked.connect(lambda: coordinator.sync(manual=True))
        self.cancel.clicked.connect(lambda: coordinator.cancel.set())
        coordinator.sig_state.connect(self.show_state)
        coordinator.sig_progress.connect(self.show_progress)
        self.last_sync = ""
        self.show_state(SyncStatus(SyncState.LOCAL))

    def show_state(self, status: SyncStatus) -> None:
        state, outcome = status.state, status.outcome
        texts = {
            SyncState.LOCAL: _("Not connected to a server"),
            SyncState.SIGNED_OUT: _("Signed out: sign in to sync"),
            SyncState.IDLE: _("Connected"),
            SyncState.WAITING: _("Changes waiting to be sent"),
            SyncState.SYNCING: _("Syncing…"),
            SyncState.UP_TO_DATE: _("Up to date"),
            SyncState.CANCELLED: _("Sync cancelled"),
            SyncState.OFFLINE: _("Offline: changes are kept and sent later"),
            SyncState.ERROR: _("Sync failed; it is tried again later"),
        }
        text = texts.get(state, "")
        audit_problem = outcome.audit_problem if state is SyncState.PROBLEMS and outcome is not None else ""
        if audit_problem and outcome is not None and not outcome.remaining:
            text = _("Synced; the audit log was not accepted")
        elif state is SyncState.PROBLEMS and outcome is not None:
            text = ngettext(
                "Synced; {n} needs attention (a conflict or a refused change)",
                "Synced; {n} need attention (conflicts or refused changes)",
                outcome.remaining,
            ).format(n=outcome.remaining)
        elif state is SyncState.UP_TO_DATE and outcome is not None:
            text = _("Up to date · sent {pushed}, received {pulled}").format(
                pushed=outcome.pushed, pulled=outcome.received
            )
        waiting = ngettext("{n} change waiting to be sent", "{n} changes waiting to be sent", status.outbox).format(
            n=status.outbox
        )
        if state is SyncState.WAITING:
            text = waiting
        elif status.outbox and state in (SyncState.SIGNED_OUT, SyncState.OFFLINE, SyncState.ERROR):
            text += " · " + waiting
        if status.last_sync:
            self.last_sync = str(status.last_sync)
        elif state in (SyncState.UP_TO_DATE, SyncState.PROBLEMS):
            self.last_sync = times.now().isoformat(timespec="seconds")
        tip = (
            _("Last complete sync: {time}").format(time=local_time(self.last_sync))
            if self.last_sync
            else _("Never synced")
        )
        if state in (SyncState.ERROR, SyncState.OFFLINE) and isinstance(status.error, UserFacingError):
            tip = status.error.message() + "\n" + tip
        if audit_problem:
            tip = _(audit_problem) + "\n" + tip
        if outcome is not None and outcome.server_restored and state in (SyncState.UP_TO_DATE, SyncState.PROBLEMS):
            tip = _(SERVER_RESTORED) + "\n" + tip
        self.label.setToolTip(tip)
        self.label.setText(text)
        self.sync_now.setVisible(state not in (SyncState.LOCAL, SyncState.SIGNED_OUT, SyncState.SYNCING))
        self.cancel.setVisible(state is SyncState.SYNCING)
        self.sign_in.setVisible(state in (SyncState.LOCAL, SyncState.SIGNED_OUT))

    def show_progress(self, phase: str, done: int, total: int, nbytes: int = 0) -> None:
        verb = {"push": _("Sending"), "photos": _("Sending photos"), "audit": _("Sending the audit log")}.get(
            phase, _("Receiving")
        )
        self.label.setText(f"{verb} {done}/{total} · {human_bytes(nbytes)}")

"""The sync state in the status bar: offline, syncing (counts and bytes), up to date, N waiting,
problems; with "Sync now", "Cancel" and "Sign in"."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.errors import UserFacingError
from app.i18n import _, ngettext
from app.ui.sync_coordinator import SyncCoordinator


def human_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def local_time(iso: str) -> str:
    import datetime as dt
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


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
        self.show_state("local", None)

    def show_state(self, state: str, details: Any) -> None:
        texts = {
            "local": _("Not connected to a server"),
            "signed_out": _("Signed out: sign in to sync"),
            "idle": _("Connected"),
            "waiting": _("Changes waiting to be sent"),
            "syncing": _("Syncing…"),
            "up_to_date": _("Up to date"),
            "cancelled": _("Sync cancelled"),
            "offline": _("Offline: changes are kept and sent later"),
            "error": _("Sync failed; it is tried again later"),
        }
        text = texts.get(state, "")
        audit_problem = details.audit_problem if state == "problems" and details is not None else ""
        if audit_problem and not details.remaining:
            text = _("Synced; the audit log was not accepted")
        elif state == "problems" and details is not None:
            text = ngettext("Synced; {n} needs attention (a conflict or a refused change)",
                            "Synced; {n} need attention (conflicts or refused changes)", details.remaining
                            ).format(n=details.remaining)
        elif state == "up_to_date" and details is not None:
            text = _("Up to date · sent {pushed}, received {pulled}").format(pushed=details.pushed, pulled=details.received)
        if state == "waiting" and isinstance(details, dict):
            waiting = details.get("outbox", 0)
            text = ngettext("{n} change waiting to be sent", "{n} changes waiting to be sent", waiting).format(n=waiting)
        if isinstance(details, dict) and details.get("last_sync"):
            self.last_sync = str(details["last_sync"])
        elif state in ("up_to_date", "problems"):
            import datetime as dt
            self.last_sync = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        tip = _("Last complete sync: {time}").format(time=local_time(self.last_sync)) \
            if self.last_sync else _("Never synced")
        if state in ("error", "offline") and isinstance(details, UserFacingError):
            tip = details.message() + "\n" + tip
        if audit_problem:
            tip = _(audit_problem) + "\n" + tip
        self.label.setToolTip(tip)
        self.label.setText(text)
        self.sync_now.setVisible(state not in ("local", "signed_out", "syncing"))
        self.cancel.setVisible(state == "syncing")
        self.sign_in.setVisible(state in ("local", "signed_out"))

    def show_progress(self, phase: str, done: int, total: int, nbytes: int = 0) -> None:
        verb = {"push": _("Sending"), "photos": _("Sending photos"), "audit": _("Sending the audit log")}.get(
            phase, _("Receiving"))
        self.label.setText(f"{verb} {done}/{total} · {human_bytes(nbytes)}")

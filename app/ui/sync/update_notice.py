"""A quiet line in the status bar when the server announces a newer desktop client.

After each sync the app reads the server's /info (``syncing.newer_client``); when its
``client_version`` is newer than this app, the status bar shows the version and the download
address the server gives. Nothing pops up and the app keeps working: below the server's minimum
version the sync itself is refused (426) with what to do."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.i18n import _


class UpdateNotice(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setOpenExternalLinks(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.version = self.url = ""
        self.hide()

    def show_outcome(self, outcome: Any) -> None:
        """A finished sync's outcome (``SyncOutcome.newer_client`` / ``download_url``)."""
        version, url = getattr(outcome, "newer_client", ""), getattr(outcome, "download_url", "")
        self.version, self.url = version, url
        if not version:
            self.hide()
            return
        text = html.escape(_("Update available: FieldArchive {version}").format(version=version))
        if url.startswith(("https://", "http://")):
            text += f' · <a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>'
        elif url:
            text += " · " + html.escape(url)
        self.setText(text)
        self.setToolTip(
            _(
                "The server has a newer FieldArchive. This version keeps working; install the new one "
                "when convenient (what is not synced yet stays on this computer)."
            )
        )
        self.show()

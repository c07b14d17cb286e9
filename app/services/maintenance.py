"""Looking after the archive as a whole: check it (integrity, foreign keys, audit trail) and back it up.

One composition, used by the main window's "Check the archive" and by ``fieldarchive check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.services.session import Session


@dataclass(frozen=True)
class ArchiveCheck:
    """What a full check found: the problems (empty: intact) and how many customers the archive holds."""

    problems: list[str]
    customers: int

    @property
    def intact(self) -> bool:
        return not self.problems


def check_archive(session: Session) -> ArchiveCheck:
    """SQLite's full integrity check, the foreign keys, the audit hash chain and the audit of each record."""
    arc = session._archive
    problems = (
        arc.integrity_problems(full=True)
        + arc.foreign_key_problems()
        + arc.audit.verify_chain()
        + arc.audit.verify_records()
    )
    return ArchiveCheck(problems, arc.customers.count())


def backup(session: Session, target: Path | None = None) -> Path:
    """An encrypted backup file at ``target`` (default: the profile's backup folder); returns its path."""
    return session._profile.backup(session._archive, target)


def backup_folder(session: Session) -> Path:
    return session._profile.backup_dir


def profile_folder(session: Session) -> Path:
    return session._profile.dir

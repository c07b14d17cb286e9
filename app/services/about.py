"""What the "About" dialog shows: the app's version and the SQLCipher version of the open archive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app import __version__

if TYPE_CHECKING:
    from app.services.session import Session


def cipher_version(session: Session) -> str:
    """SQLCipher's version as the open archive's connection reports it (``PRAGMA cipher_version``)."""
    row = session._archive.db.raw.execute("PRAGMA cipher_version").fetchone()
    return str(row[0]) if row and row[0] else ""


def versions(session: Session) -> dict[str, str]:
    return {"app": __version__, "sqlcipher": cipher_version(session)}

"""What the app asks before the archive is open; kept free of heavy imports so the first window
appears fast (SQLAlchemy, SQLCipher and Argon2 load on the DB thread while the user types)."""

from __future__ import annotations

from app.paths import DEFAULT_PROFILE, device_unlock_marker
from app.storage.profile import Profile


def profile_exists(name: str = DEFAULT_PROFILE) -> bool:
    return Profile(name).exists()


def unlock_wait_seconds(name: str = DEFAULT_PROFILE) -> float:
    """Seconds before the next unlock attempt is allowed (after repeated wrong passphrases)."""
    return Profile(name).wait_seconds()


def device_unlock_enabled(name: str = DEFAULT_PROFILE) -> bool:
    return device_unlock_marker(name).exists()


def preload() -> None:
    """Import what opening the archive and the main window need (run on the DB thread)."""
    import app.services.listing  # noqa: F401
    import app.services.records  # noqa: F401
    import app.services.sheets  # noqa: F401

"""The periodic password change as the client sees it (issue 18): a sign-in the server answers ``403
password_expired`` raises :func:`expired` (the sign-in dialog then asks for a new password), and
:func:`change_request` is the body of ``POST /auth/password``."""

from __future__ import annotations

from typing import Any

from app.errors import SyncError
from app.errors import SyncErrorKind as K
from app.i18n import N_
from app.models.wire import ErrorCode

EXPIRED = N_("Your password has expired: the server asks you to choose a new one before signing in.")
REUSED = N_("The new password must differ from your last passwords: choose one you have not used before.")


def is_expired(resp: Any) -> bool:
    """Whether an answer is the server's ``403 password_expired``."""
    if resp.status_code != 403:
        return False
    try:
        body = resp.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == ErrorCode.PASSWORD_EXPIRED.value


def expired() -> SyncError:
    err = SyncError(K.AUTH, EXPIRED)
    err.code = ErrorCode.PASSWORD_EXPIRED.value
    return err


def change_request(user: str, old: str, new: str, device_id: str, device_name: str) -> dict[str, str]:
    return {
        "username": user,
        "old_password": old,
        "new_password": new,
        "device_id": device_id,
        "device_name": device_name,
    }

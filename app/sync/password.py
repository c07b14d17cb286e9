"""The periodic password change as the client sees it (issue 18): a sign-in the server answers ``403
password_expired`` raises :func:`expired` (the sign-in dialog then asks for a new password), and
:func:`change_request` is the body of ``POST /auth/password``."""

from __future__ import annotations

from typing import Any

from app.errors import SyncError
from app.errors import SyncErrorKind as K
from app.i18n import N_, Nn_
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


def retry_after(resp: Any) -> int | None:
    """The server's Retry-After in whole seconds (the server sends seconds, never a date), or None."""
    value = resp.headers.get("Retry-After", "").strip()
    return int(value) if value.isdigit() and len(value) < 9 else None


def too_many(resp: Any) -> SyncError:
    """A sign-in the server will not check now: 423 (this user name, from this device and place, failed
    too often) or 429 (too many attempts from this address, or the server is busy with sign-ins)."""
    seconds = retry_after(resp)
    if resp.status_code == 423:
        err = (
            SyncError(
                K.AUTH,
                Nn_(
                    "Too many failed sign-ins for this user; try again in {seconds} second.",
                    "Too many failed sign-ins for this user; try again in {seconds} seconds.",
                ),
                count="seconds",
                seconds=seconds,
            )
            if seconds is not None
            else SyncError(K.AUTH, N_("Too many failed sign-ins for this user; try again in a few minutes."))
        )
    else:
        err = (
            SyncError(
                K.AUTH,
                Nn_(
                    "Too many sign-in attempts; try again in {seconds} second.",
                    "Too many sign-in attempts; try again in {seconds} seconds.",
                ),
                count="seconds",
                seconds=seconds,
            )
            if seconds is not None
            else SyncError(K.AUTH, N_("Too many sign-in attempts; try again in a few minutes."))
        )
    err.retry_after = seconds
    return err

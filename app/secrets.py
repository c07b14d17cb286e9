"""OS keyring access: the only place secrets are stored outside the archive.

Where no keyring backend exists (headless Linux, a broken D-Bus session), the
functions say so with ``KeyringUnavailable`` and nothing is written anywhere:
there is deliberately no fallback to a file (keyrings.alt's "plaintext" backend
only base64-encodes).
"""

from __future__ import annotations

import logging

import keyring
import keyring.errors

from app import APP_ID
from app.i18n import N_

log = logging.getLogger(__name__)
SERVICE = APP_ID

NO_KEYRING_REASON = N_(
    "This computer has no system keyring (for example Windows Credential Manager, macOS Keychain or "
    "GNOME Keyring / KWallet), so nothing can be remembered on this device."
)

_INSECURE = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt", "keyring.backends.chainer")


class KeyringUnavailable(Exception):
    pass


def _backend_ok(backend: object) -> bool:
    mod = type(backend).__module__
    if mod.startswith("keyring.backends.chainer"):
        return any(_backend_ok(b) for b in getattr(backend, "backends", []))
    return not mod.startswith(_INSECURE) and getattr(backend, "priority", 0) > 0


def keyring_available() -> bool:
    try:
        return _backend_ok(keyring.get_keyring())
    except Exception:  # a broken backend must not break the app
        return False


def _check() -> None:
    if not keyring_available():
        raise KeyringUnavailable(NO_KEYRING_REASON)


def set_secret(name: str, value: str) -> None:
    _check()
    try:
        keyring.set_password(SERVICE, name, value)
    except keyring.errors.KeyringError as exc:
        log.warning("keyring refused to store a secret: %s", type(exc).__name__)
        raise KeyringUnavailable(NO_KEYRING_REASON) from exc


def get_secret(name: str) -> str | None:
    if not keyring_available():
        return None
    try:
        return keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError as exc:
        log.warning("keyring read failed: %s", type(exc).__name__)
        return None


def delete_secret(name: str) -> None:
    if not keyring_available():
        return
    try:
        keyring.delete_password(SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError as exc:
        log.warning("keyring delete failed: %s", type(exc).__name__)

"""Operations before and around an open archive: create a profile, unlock it (passphrase, recovery
code, this device's key), warm the imports while the unlock dialog waits, close a session at lock.
They run on the DB thread without a session (``ctx.task``): they make or end one."""

from __future__ import annotations

from typing import Any

from app import secrets
from app.i18n import translate
from app.services import demo, startup
from app.services import session as ss
from app.services.session import Session
from app.ui.context import UiContext
from app.ui.tasks import DbOp


def unlock_by_device(ctx: UiContext, profile: str) -> DbOp[Session | None]:
    """Open ``profile`` with the key this device keeps in the OS keyring (the open checks beside the
    user); None when it keeps none."""

    def work() -> Session | None:
        key = ss.device_key(profile)
        return ss.unlock(profile, key=key, background_check=True) if key else None

    return ctx.task(work)


def unlock(ctx: UiContext, parent: Any, profile: str, passphrase: str) -> DbOp[Session]:
    """Open ``profile``; the open checks run beside the user (a failure locks it again: IntegrityFailed)."""
    return ctx.task(lambda: ss.unlock(profile, passphrase=passphrase, background_check=True), parent)


def recover(ctx: UiContext, parent: Any, profile: str, code: str, new_passphrase: str) -> DbOp[Session]:
    """Open ``profile`` with its recovery code and set a new passphrase."""

    def work() -> Session:
        session = ss.unlock(profile, recovery_code=code)
        ss.change_passphrase(session, new_passphrase)
        return session

    return ctx.task(work, parent)


def create_profile(
    ctx: UiContext, parent: Any, profile: str, passphrase: str, user: str, remember: bool
) -> DbOp[tuple[Session, str, str]]:
    """A new archive; returns (session, recovery code, a note when this device could not keep the key)."""

    def work() -> tuple[Session, str, str]:
        session, code = ss.create(profile, passphrase=passphrase, actor=user)
        note = ""
        if remember:
            try:
                ss.remember_on_device(session)
            except secrets.KeyringUnavailable as exc:
                note = translate(str(exc))
        return session, code, note

    return ctx.task(work, parent)


def preload(ctx: UiContext) -> DbOp[None]:
    """Import what the open archive and the main window need, while the person types the passphrase."""
    return ctx.task(_preload)


def _preload() -> None:
    """On the DB thread: the services, then the main window's code and its views (0.3–0.4 s of imports that
    the unlock paid after the passphrase; only modules load here, no widget is made off the GUI thread)."""
    startup.preload()
    import app.ui.main_window  # noqa: F401, PLC0415  # start-up boundary: loaded while the passphrase is typed


def close(ctx: UiContext, session: Session) -> DbOp[None]:
    """Close a session already taken from the context (at lock)."""
    return ctx.task(session.close)


def close_now(ctx: UiContext, session: Session) -> None:
    """Close a session on the DB thread and wait for it (at quit, before the threads stop)."""
    ctx.runner.call_db(session.close)


def open_demo(ctx: UiContext) -> DbOp[Session]:
    """Open the demo profile (``--demo``): made and filled with generated customers the first time."""
    return ctx.task(demo.open_demo)


def is_demo(ctx: UiContext) -> DbOp[bool]:
    """Whether the open archive is the demo one (marked as such, never synced)."""
    return ctx.op(lambda s: bool(s.demo))

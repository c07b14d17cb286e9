"""Changing one's server password (issue 18: the periodic change, F3 L155 "系统操作密码要定期修改"): when the
server answers a sign-in with ``password_expired`` the sign-in dialog asks for a new one; this sends the old and
the new (``POST /auth/password``), and then signs in with the new one as :func:`app.services.syncing.login`
does (binding the archive, keeping the tokens)."""

from __future__ import annotations

import platform

from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.i18n import N_
from app.models.remote import SignIn
from app.services import syncing
from app.services.session import Session
from app.sync.client import MemoryTokens, SyncClient
from app.sync.password import REUSED, change_request


def problem(old: str, new: str, repeat: str) -> str | None:
    """What is wrong with the new password before anything is sent (a msgid), or None."""
    if new != repeat:
        return N_("The two passwords are not the same.")
    if len(new) < 8:
        return N_("The password must have at least 8 characters.")
    if new == old:
        return REUSED
    return None


def change_password(session: Session, server: str, user: str, old: str, new: str, repeat: str) -> SignIn:
    """Change the password on the server, then sign in with the new one."""
    server, user = server.strip().rstrip("/"), user.strip()
    wrong = syncing.server_problem(server)
    if wrong is not None:
        raise wrong
    msgid = problem(old, new, repeat)
    if msgid is not None:
        raise UserFacingError(msgid)
    bound = syncing.client_for(session, server, user)  # this archive's device id (one account per device)
    device = bound.device_id
    bound.close()
    client = SyncClient(server, MemoryTokens(), device, allow_insecure=syncing.insecure_allowed())
    try:
        resp = client._send(
            "POST", "/auth/password", auth=False, body=change_request(user, old, new, device, platform.node() or "")
        )
        if resp.status_code == 401:
            raise SyncError(SyncErrorKind.AUTH, N_("Wrong user name or password."))
        body = resp.json() if resp.status_code == 422 else {}
        fields = body.get("fields") if isinstance(body, dict) else None
        if fields and isinstance(fields, list) and isinstance(fields[0], dict):
            if fields[0].get("code") == "password.reused":
                raise UserFacingError(REUSED)
        client._check(resp)
    finally:
        client.close()
    return syncing.login(session, server, user, new)

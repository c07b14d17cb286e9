"""What the records kept beside a customer (integrity entries and complaints, signatures, service records)
share when the server answers or sends them: a refusal's reasons in the user's language, and a server time
(epoch seconds) as the ISO text the archive keeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from app.i18n import translate
from app.models.remote import PushResult


def refusal_reason(result: PushResult, messages: Mapping[str, str]) -> str:
    """The server's reasons, in the user's language where the code is one of ``messages``' (with its
    parameters); the server's own text otherwise, or when the parameters do not fit the message."""
    out = []
    for e in result.errors:
        msgid = messages.get(e.code)
        try:
            out.append(translate(msgid).format(**(e.params or {})) if msgid else e.message or e.code)
        except (KeyError, IndexError, ValueError):
            out.append(e.message or e.code)
    return "; ".join(out)


def server_iso(ts: Any) -> str:
    """A server time in epoch seconds as ISO 8601 UTC; what is not a number is kept as text."""
    try:
        return dt.datetime.fromtimestamp(float(ts), dt.UTC).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError):
        return str(ts or "")

"""Logging: a rotating file in the home folder, English messages, no personal data.

Only ids, counts, codes and exception types are logged, never field values,
passphrases, keys or tokens. ``PersonalDataFilter`` is a last line of defence:
it masks anything in a log line that looks like a phone, ID, licence or bank
number.
"""

from __future__ import annotations

import logging
import logging.handlers
import re

from app.paths import ensure_private_dir, log_dir

_DIGITS = re.compile(r"(?<![0-9A-Za-z-])\d{6,}[0-9Xx]?(?![0-9A-Za-z])")


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        masked = _DIGITS.sub(lambda m: m.group(0)[:2] + "…" if len(m.group(0)) > 6 else m.group(0), msg)
        if masked != msg:
            record.msg, record.args = masked, None
        return True


def setup_logging(level: int = logging.INFO, to_file: bool = True) -> None:
    root = logging.getLogger()
    if getattr(root, "_fieldarchive_configured", False):
        return
    root.setLevel(level)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    if to_file:
        try:
            d = ensure_private_dir(log_dir())
            handler: logging.Handler = logging.handlers.RotatingFileHandler(
                d / "fieldarchive.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        except OSError:
            handler = logging.NullHandler()
    else:
        handler = logging.NullHandler()
    handler.setFormatter(fmt)
    handler.addFilter(PersonalDataFilter())
    root.addHandler(handler)
    root._fieldarchive_configured = True  # type: ignore[attr-defined]  # a mark on the root logger: configured once per process

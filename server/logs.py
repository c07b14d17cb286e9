"""Structured JSON logs for ``serve --json-logs`` (one object per line on stderr), never with field values.

A line holds the time, level, logger and message; an access line holds the client address, method,
path *without* its query string, and status. An exception is logged by its type and the places of
its traceback, not by its text: a database error's text can quote the values of a statement (the
SQL and ``[parameters: …]``), and field values (names, telephone numbers, addresses) must never
reach a log file that is kept, rotated and shipped elsewhere.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any, cast

from uvicorn.config import LOGGING_CONFIG

CUT = ("[SQL:", "[parameters:", "DETAIL:")


def _clean(text: str) -> str:
    for mark in CUT:
        at = text.find(mark)
        if at >= 0:
            text = text[:at].rstrip() + " (statement details left out)"
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, _version, status = record.args
            out.update(
                event="request",
                client=str(client),
                method=str(method),
                path=str(path).split("?", 1)[0],
                status=int(cast(int, status)),
            )  # uvicorn passes the status code as an int
        else:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string still gives a line
                message = str(record.msg)
            out["message"] = _clean(message)
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            out["exception"] = exc_type.__name__
            out["where"] = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in traceback.extract_tb(tb)][
                -8:
            ]
        return json.dumps(out, ensure_ascii=False)


JsonFormatter.converter = __import__("time").gmtime


def uvicorn_log_config(json_logs: bool) -> dict[str, Any]:
    """uvicorn's ``log_config``: its own text lines, or JSON lines."""
    if not json_logs:
        return LOGGING_CONFIG
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "server.logs.JsonFormatter"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "INFO"},
    }

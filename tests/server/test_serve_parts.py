"""The server is served with uvloop and httptools where they are installed (the requirements install them on
Linux), else with asyncio and h11 and a warning: a small push or pull spends about a fifth of its processor
time in the event loop and the HTTP parser (server/serve.py, docs/server.md)."""

from __future__ import annotations

import importlib.util
import logging
import sys

from server import serve


def test_the_server_is_served_with_the_c_event_loop_and_parser() -> None:
    # uvloop has no Windows build (the requirements leave it out there): asyncio's loop is served on Windows
    loop = "asyncio" if sys.platform == "win32" else "uvloop"
    assert serve.fast_parts() == (loop, "httptools")


def test_without_them_it_serves_with_the_pure_python_ones_and_says_so(monkeypatch, caplog) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in ("uvloop", "httptools") else real(name, *a)
    )
    with caplog.at_level(logging.WARNING, logger="server.serve"):
        assert serve.fast_parts() == ("asyncio", "h11")
    assert "uvloop or httptools is not installed" in caplog.text

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


def test_the_route_names_of_the_metrics_are_worked_out_at_start_up_not_in_a_first_answer(tmp_path, monkeypatch) -> None:
    """Building the OpenAPI schema the metrics name routes by takes about a second: done in the first
    answer's middleware, it held the event loop, and the request after it waited 0.7–1.1 s (measured)."""
    import gc
    import secrets

    from server.metrics import _route

    monkeypatch.setenv(serve.ENV_DATABASE, f"sqlite:///{tmp_path}/start.db")
    monkeypatch.setenv("FIELDARCHIVE_AUDIT_KEY", secrets.token_hex(32))
    threshold = gc.get_threshold()
    try:
        app = serve.factory()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    assert app.openapi_schema is not None  # built before any request
    table = app.state.route_table
    assert _route(table, "/api/v1/sync/push") == "/api/v1/sync/push"
    assert _route(table, "/api/v1/records/0b6c3b5e-5b8e-4b8e-9a3e-2f1d7c1e9a10").startswith("/api/v1/records/{")
    assert _route(table, "/api/v1/no/such/route") == "(api, no route)"

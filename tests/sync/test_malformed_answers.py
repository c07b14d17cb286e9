"""A server answering in a shape this client cannot read: a real server process behind the fault
proxy, which rewrites the JSON of one kind of answer. The sync stops with SyncError(PROTOCOL)
naming where the answer went wrong (never a KeyError or TypeError from deep inside), nothing
local is lost, and the next sync against the unchanged answers completes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.errors import SyncError, SyncErrorKind
from app.services import records, syncing
from app.services.demo import generate
from tests.sync.fault_proxy import FaultProxy


def _drop_status(data: Any) -> Any:
    del data["results"][0]["status"]  # a key missing
    return data


def _unknown_status(data: Any) -> Any:
    data["results"][0]["status"] = "accepted"  # a status the protocol does not have
    return data


def _values_as_list(data: Any) -> Any:
    data["results"][0]["record"]["values"] = ["not", "a", "mapping"]  # a value of the wrong type
    return data


def _cursor_as_text(data: Any) -> Any:
    data["cursor"] = str(data["cursor"])  # a number sent as text
    return data


def _change_without_kind(data: Any) -> Any:
    for change in data["changes"]:
        change.pop("kind", None)
    return data if data["changes"] else None


CASES: list[tuple[str, Callable[[Any], Any], str]] = [
    ("POST /api/v1/sync/push", _drop_status, "push.results[0].status"),
    ("POST /api/v1/sync/push", _unknown_status, "push.results[0].status"),
    ("POST /api/v1/sync/push", _values_as_list, "push.results[0].record.values"),
    ("GET /api/v1/sync/pull", _cursor_as_text, "pull.cursor"),
    ("GET /api/v1/sync/pull", _change_without_kind, "pull.changes[0].kind"),
]


@pytest.mark.parametrize("request_line, spoil, where", CASES, ids=[c[1].__name__.strip("_") for c in CASES])
def test_a_malformed_answer_is_a_protocol_error_and_loses_nothing(
    server, clients, request_line: str, spoil: Callable[[Any], Any], where: str
) -> None:
    proxy = FaultProxy(server.port, seed=1, weights={"pass": 1}, delay=0).start()
    try:
        c1 = clients("c1")
        made, _ = records.save_draft(c1.session, next(generate(1, seed=41)))
        c1.login(type("S", (), {"url": proxy.url})())
        proxy.rewrite = lambda line, data: spoil(data) if line.startswith(request_line) else None
        with pytest.raises(SyncError) as err:
            c1.sync()
        assert err.value.kind is SyncErrorKind.PROTOCOL
        assert err.value.params["where"] == where
        assert c1.session._archive.customers.get(made.id).values == made.values  # nothing local lost
        assert syncing.signed_in(c1.session)  # not taken for a sign-in problem
        proxy.rewrite = None
        out = c1.sync()  # the frozen push is replayed; the server answers it again
        assert out.complete and out.rejected == out.conflicts == 0
        assert c1.session._archive.customers.get(made.id).sync_state == "synced"
    finally:
        proxy.stop()

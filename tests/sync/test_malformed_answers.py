"""A server answering in a shape this client cannot read: a real server process behind the fault
proxy, which rewrites the JSON of one kind of answer. The sync stops with SyncError(PROTOCOL)
naming where the answer went wrong (never a KeyError or TypeError from deep inside), nothing
local is lost, and the next sync against the unchanged answers completes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from app.errors import SyncError, SyncErrorKind
from app.services import records, reports, syncing
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


def _holiday_not_a_date(data: Any) -> Any:
    data["holidays"][0] = "2026-13-45"  # a date that does not exist
    return data


CASES: list[tuple[str, Callable[[Any], Any], str]] = [
    ("POST /api/v1/sync/push", _drop_status, "push.results[0].status"),
    ("POST /api/v1/sync/push", _unknown_status, "push.results[0].status"),
    ("POST /api/v1/sync/push", _values_as_list, "push.results[0].record.values"),
    ("GET /api/v1/sync/pull", _cursor_as_text, "pull.cursor"),
    ("GET /api/v1/sync/pull", _change_without_kind, "pull.changes[0].kind"),
    ("GET /api/v1/calendar", _holiday_not_a_date, "calendar.holidays[0]"),
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


def _job_state_unknown(data: Any) -> Any:
    data["state"] = "paused"  # a job state the protocol does not have
    return data


def _report_rows_not_a_list(data: Any) -> Any:
    data["overdue"] = {"rows": data["overdue"]}
    return data


def _report_scope_missing(data: Any) -> Any:
    del data["scope"]
    return data


def _rating_grade_as_number(data: Any) -> Any:
    data["ratings"] = [{"id": 1, "grade": 5, "status": "notice"}]
    return data


def _info_protocol_as_text(data: Any) -> Any:
    data["protocol"] = "1"
    return data


def _info_epoch_as_number(data: Any) -> Any:
    data["epoch"] = 7
    return data


def _info_features_not_text(data: Any) -> Any:
    data["features"] = [1]
    return data


ASKED: list[tuple[str, Callable[[Any], Any], str, str]] = [
    (r"POST /api/v1/reports/monthly/jobs\?", _job_state_unknown, "report", "report job.state"),
    (r"GET /api/v1/reports/monthly/jobs/\S+/result ", _report_rows_not_a_list, "report", "report.overdue"),
    (r"GET /api/v1/reports/monthly/jobs/\S+/result ", _report_scope_missing, "report", "report.scope"),
    (r"GET /api/v1/records/\S+/credit ", _rating_grade_as_number, "credit", "credit.ratings[0].grade"),
    (r"GET /api/v1/info ", _info_protocol_as_text, "info", "info.protocol"),
    (r"GET /api/v1/info ", _info_epoch_as_number, "info", "info.epoch"),
    (r"GET /api/v1/info ", _info_features_not_text, "info", "info.features[0]"),
]


@pytest.mark.parametrize("request_line, spoil, ask, where", ASKED, ids=[c[1].__name__.strip("_") for c in ASKED])
def test_a_malformed_report_credit_or_info_answer_is_a_protocol_error(
    server, clients, request_line: str, spoil: Callable[[Any], Any], ask: str, where: str
) -> None:
    """The answers the app asks for outside a sync (the monthly report and its job, a customer's
    credit history, the server's /info) are decoded as strictly; the unspoilt answer reads."""
    proxy = FaultProxy(server.port, seed=1, weights={"pass": 1}, delay=0).start()
    try:
        c1 = clients("c1")
        made, _ = records.save_draft(c1.session, next(generate(1, seed=42)))
        c1.login(type("S", (), {"url": proxy.url})())
        assert c1.sync().complete

        def asked() -> Any:
            if ask == "report":
                return reports.fetch_monthly(c1.session, "2026-09")
            client = syncing.client_for(c1.session)
            try:
                return client.credit_history(made.id) if ask == "credit" else client.info()
            finally:
                client.close()

        proxy.rewrite = lambda line, data: spoil(data) if re.match(request_line, line) else None
        with pytest.raises(SyncError) as err:
            asked()
        assert err.value.kind is SyncErrorKind.PROTOCOL
        assert err.value.params["where"] == where
        if ask == "info":  # after a sync, an unreadable /info only means no update is offered
            assert c1.sync().complete
        proxy.rewrite = None
        answer = asked()
        assert answer is not None
    finally:
        proxy.stop()

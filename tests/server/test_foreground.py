"""Background work gives way to the requests being answered (``server.foreground``, issue 21): a report
job waits while a request is in flight, for at most its limit, and goes on when the requests end."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from server import foreground
from tests.server.helpers import create, demo_values
from tests.server.test_report_jobs import _wait
from tests.server.test_reports import MONTH


@contextmanager
def request_in_flight() -> Iterator[None]:
    """A request being answered through the middleware (in a thread of its own) until the block ends."""
    release = threading.Event()

    async def app(scope, receive, send) -> None:
        await asyncio.to_thread(release.wait, 30)

    before = foreground.busy()
    t = threading.Thread(
        target=asyncio.run, args=(foreground.ForegroundMiddleware(app)({"type": "http"}, None, None),), daemon=True
    )
    t.start()
    deadline = time.monotonic() + 10
    while foreground.busy() == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert foreground.busy() == before + 1
    try:
        yield
    finally:
        release.set()
        t.join(10)
        assert not t.is_alive()


def _give_way(limit: float | None = None) -> threading.Thread:
    t = threading.Thread(target=foreground.give_way, args=(limit,), daemon=True)
    t.start()
    return t


def test_give_way_waits_while_a_request_is_answered_and_not_after():
    before = foreground.busy()
    t = _give_way()
    t.join(5)
    assert not t.is_alive()  # nothing in flight: at once
    with request_in_flight():
        t = _give_way(30)
        t.join(0.3)
        assert t.is_alive()  # waits for the request
    t.join(5)
    assert not t.is_alive() and foreground.busy() == before  # the answer ended: it goes on


def test_give_way_waits_no_longer_than_its_limit():
    before = foreground.busy()
    with request_in_flight():
        t = _give_way(0.05)
        t.join(5)
        assert not t.is_alive() and foreground.busy() == before + 1  # the request is still being answered


def test_under_requests_that_never_stop_a_job_waits_no_longer_than_it_worked():
    """Each wait is bounded by ``SHARE`` times the work since the last one: the job keeps a share of its time."""
    work, rounds = 0.02, 5
    took: list[float] = []

    def job() -> None:
        start = time.monotonic()
        foreground.give_way(0.05)  # the first: only its limit bounds it
        for _ in range(rounds):
            time.sleep(work)  # a chunk of the job's work
            foreground.give_way(30)
        took.append(time.monotonic() - start)

    with request_in_flight():
        t = threading.Thread(target=job)
        t.start()
        t.join(10)
        assert not t.is_alive()
    assert took and 0.05 + rounds * work * (1 + foreground.SHARE) - 0.02 <= took[0] < 5  # waited, each time bounded


def test_a_report_job_waits_for_the_request_in_flight_then_gives_the_same_report(api, world, monkeypatch):
    for values in demo_values(2, seed=5):
        create(api, world["c1"], values)
    monkeypatch.setattr(foreground, "LIMIT", 30.0)
    with request_in_flight():
        r = api.call("POST", f"/reports/monthly/jobs?month={MONTH}", world["s1"])
        assert r.status_code == 202, r.text
        job = r.json()
        time.sleep(0.5)
        job = api.call("GET", f"/reports/monthly/jobs/{job['id']}", world["s1"]).json()
        assert job["state"] == "running" and job["done"] == 0  # it gave way
    job = _wait(api, world["s1"], job)
    assert job["state"] == "done" and job["done"] == job["total"] == 2
    report = api.call("GET", f"/reports/monthly/jobs/{job['id']}/result", world["s1"]).json()
    direct = api.call("GET", f"/reports/monthly?month={MONTH}", world["s1"]).json()
    assert report.pop("generated_at") and direct.pop("generated_at")
    assert report == direct

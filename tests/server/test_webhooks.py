"""Webhooks (issue 19): signed batches of approved changes POSTed by a real server process to a real
receiver process on loopback (docs/webhook_receiver.py behind injected faults), on SQLite and PostgreSQL:
exactly one effect per change through 500s and dropped connections; the dead-letter list and its replay
through the admin API and the command line; URL and signature rules."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server import webhooks
from server.config import Settings
from server.integrations import IntegrationError
from server.schema_integrations import webhook_deliveries
from tests.server.conftest import ROOT, free_port
from tests.server.helpers import Api
from tests.server.test_outbound import FAST_ENV, add, approved_customers, people

RECEIVER = ROOT / "tests" / "server" / "webhook_receiver.py"
QUICK = {
    **FAST_ENV,
    "FIELDARCHIVE_WEBHOOK_POLL": "0.2",
    "FIELDARCHIVE_WEBHOOK_RETRY_BASE": "0.2",
    "FIELDARCHIVE_WEBHOOK_RETRY_CAP": "0.8",
    "FIELDARCHIVE_WEBHOOK_BATCH": "2",
    "FIELDARCHIVE_WEBHOOK_TIMEOUT": "5",
}


class Receiver:
    def __init__(self, tmp: Path, secret: str, port: int, *faults: str) -> None:
        self.port, self.store, self.log = port, tmp / f"received-{port}.db", tmp / f"attempts-{port}.jsonl"
        (tmp / "secret").write_text(secret)
        self.proc = subprocess.Popen(
            [sys.executable, str(RECEIVER), "--port", str(port), "--secret-file", str(tmp / "secret")]
            + ["--store", str(self.store), "--log", str(self.log), *faults],
            cwd=ROOT,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the receiver did not start")

    def applied(self) -> list[tuple[int, str, str]]:
        """(seq, record id, delivery id) of every change the receiver applied, in the order applied."""
        if not self.store.exists():
            return []
        import sqlite3

        with sqlite3.connect(self.store) as conn:
            return list(conn.execute("SELECT seq, record_id, delivery FROM changes ORDER BY rowid"))

    def attempts(self) -> list[dict[str, str]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def wait_for(what, seconds: float = 60.0):  # noqa: ANN001, ANN201  (a test helper)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("timed out")


def deliveries(db, state: str | None = None) -> list:  # noqa: ANN001
    with db.read() as conn:
        q = select(webhook_deliveries).order_by(webhook_deliveries.c.number)
        if state:
            q = q.where(webhook_deliveries.c.state == state)
        return conn.execute(q).all()


def test_each_change_is_applied_once_through_500s_and_dropped_connections(server_process, db, run, tmp_path):
    people(db)
    add(run, "crm", "--department", "营销中心", "--scope", "feed:read", "--team", "s1")
    port = free_port()
    code, secret, err = run("webhook", "set", "crm", f"http://127.0.0.1:{port}/hook")
    assert code == 0 and len(secret.strip()) == 64, err
    secret = secret.strip()
    receiver = Receiver(tmp_path, secret, port, "--fail", "3", "--drop", "2")
    try:
        server_process.start(env=QUICK)
        mine = approved_customers(db, "c1", 5)  # team s1: 5 changes, 3 batches of at most 2
        approved_customers(db, "c3", 2)  # team s2: outside its territory, never sent
        got = wait_for(lambda: len(receiver.applied()) >= 5 and deliveries(db, "pending") == [] and receiver.applied())
        time.sleep(1.0)  # a late duplicate would show now
        applied = receiver.applied()
        assert sorted(rid for _, rid, _ in applied) == sorted(mine) and len(applied) == len(got) == 5
        seqs = [s for s, _, _ in applied]
        assert seqs == sorted(seqs)  # in commit order
        rows = deliveries(db)
        assert [r.state for r in rows] == ["delivered"] * 3 and [r.size for r in rows] == [2, 2, 1]
        # what happened on the wire
        whats = [a["what"] for a in receiver.attempts()]
        # (the first batch: three 500s, applied but the answer dropped, sent again and dropped again, sent
        # again and answered "already applied"; the two others at the first attempt)
        assert whats == ["500"] * 3 + ["dropped-after-apply", "dropped-duplicate", "duplicate", "applied", "applied"]
        assert [a["delivery"] for a in receiver.attempts()] == [rows[0].id] * 6 + [rows[1].id, rows[2].id]
        assert [r.attempts for r in rows] == [5, 0, 0]  # each failed attempt counted on its batch

        # a forged or stale request is refused by the receiver (the example's check)
        body = rows[0].body.encode()
        stamp = str(int(time.time()))
        headers = {webhooks.HEADER_DELIVERY: rows[0].id, webhooks.HEADER_TIMESTAMP: stamp}
        url = f"http://127.0.0.1:{port}/hook"
        bad = httpx.post(
            url, content=body, headers={**headers, webhooks.HEADER_SIGNATURE: webhooks.sign("0" * 64, stamp, body)}
        )
        assert bad.status_code == 401
        old = str(int(time.time()) - 3600)
        stale = {**headers, webhooks.HEADER_TIMESTAMP: old, webhooks.HEADER_SIGNATURE: webhooks.sign(secret, old, body)}
        assert httpx.post(url, content=body, headers=stale).status_code == 401
        good = httpx.post(
            url, content=body, headers={**headers, webhooks.HEADER_SIGNATURE: webhooks.sign(secret, stamp, body)}
        )
        assert good.status_code == 200 and len(receiver.applied()) == 5  # a replay by anyone changes nothing
    finally:
        receiver.stop()


def test_dead_letters_are_listed_and_replayed(server_process, db, run, tmp_path):
    people(db)
    add(run, "v6", "--department", "财务", "--scope", "feed:read")
    port = free_port()
    secret = run("webhook", "set", "v6", f"http://localhost:{port}/v6")[1].strip()
    receiver = Receiver(tmp_path, secret, port, "--fail", "1000")
    try:
        server_process.start(env={**QUICK, "FIELDARCHIVE_WEBHOOK_ATTEMPTS": "3"})
        first = approved_customers(db, "c1", 1)
        dead = wait_for(lambda: deliveries(db, "dead"))
        assert len(dead) == 1 and dead[0].attempts == 3 and dead[0].last_status == 500
        # the next batch is not held up by the dead one
        second = approved_customers(db, "c3", 1)
        wait_for(lambda: len(deliveries(db, "dead")) == 2)
        receiver.stop()
        receiver = Receiver(tmp_path, secret, port)  # the receiver is fixed

        with httpx.Client(base_url=server_process.url, timeout=30) as client:
            api = Api(client)
            admin = api.token("admin")
            listed = api.call("GET", "/admin/webhooks/deliveries", admin).json()
            assert {d["id"] for d in listed} == {r.id for r in deliveries(db, "dead")} and len(listed) == 2
            assert {d["integration"] for d in listed} == {"v6"} and all(d["state"] == "dead" for d in listed)
            assert api.call("GET", "/admin/webhooks/deliveries", api.token("s1")).status_code == 403
            r = api.call("GET", "/admin/webhooks/deliveries", admin, params={"integration": "nobody"})
            assert r.status_code == 404
            r = api.call("POST", f"/admin/webhooks/deliveries/{dead[0].id}/replay", admin)
            assert r.status_code == 200 and r.json()["state"] == "pending", r.text
            again = api.call("POST", f"/admin/webhooks/deliveries/{dead[0].id}/replay", admin)
            assert again.status_code == 422 and "not in the dead-letter list" in again.json()["message"]
            missing = "00000000-0000-4000-8000-000000000000"
            assert api.call("POST", f"/admin/webhooks/deliveries/{missing}/replay", admin).status_code == 404
            wait_for(lambda: [rid for _, rid, _ in receiver.applied()] == first)
        # the command line lists the other one and replays it
        code, out, _ = run("webhook", "dead", "v6")
        other = json.loads(out)
        assert code == 0 and [d["id"] for d in other] == [deliveries(db, "dead")[0].id]
        assert run("webhook", "replay", other[0]["id"])[0] == 0
        wait_for(lambda: len(receiver.applied()) == 2)
        assert [rid for _, rid, _ in receiver.applied()] == first + second
        # the server records the delivery after the receiver's answer: wait for it, do not race it
        wait_for(lambda: [r.state for r in deliveries(db)] == ["delivered", "delivered"])
    finally:
        receiver.stop()


def test_webhook_rules(db, run):
    people(db)
    add(run, "crm", "--department", "营销中心", "--scope", "feed:read")
    add(run, "gis", "--department", "物流", "--scope", "calendar:read")
    for url, why in (
        ("http://example.com/hook", "must be https://"),
        ("ftp://127.0.0.1/hook", "must be https://"),
        ("https://user:pw@example.com/hook", "no user name or password"),
        ("not a url", "https://HOST/PATH"),
        ("https://example.com:99999/", "not a URL"),
    ):
        with pytest.raises(IntegrationError, match=why):
            webhooks.check_url(url)
    for url in ("https://crm.example/hook?x=1", "http://127.0.0.1:8080/h", "http://[::1]/h", "http://localhost/h"):
        assert webhooks.check_url(url) == url
    code, _, err = run("webhook", "set", "gis", "https://gis.example/hook")
    assert code == 2 and "feed:read" in err
    secret = run("webhook", "set", "crm", "https://crm.example/hook")[1].strip()
    code, out, _ = run("webhook", "set", "crm", "https://crm.example/other")  # a new URL keeps the secret
    assert code == 0 and out == ""
    new = run("webhook", "secret", "crm")[1].strip()
    assert len(new) == 64 and new != secret
    assert (
        "https://crm.example/other" in run("integration", "show", "crm")[1] and new not in run("integration", "list")[1]
    )
    assert run("webhook", "remove", "crm")[0] == 0 and run("webhook", "remove", "crm")[0] == 2
    # the retry schedule: doubling from the base up to the cap, with a random factor in [0.5, 1]
    s = Settings(webhook_retry_base=30, webhook_retry_cap=3600)
    assert [webhooks.backoff(n, s, 1.0) for n in (1, 2, 3, 8, 9, 30)] == [30, 60, 120, 3600, 3600, 3600]
    assert webhooks.backoff(1, s, 0.0) == 15
    # the signature: HMAC-SHA256 over timestamp "." body, as the example receiver checks it
    sig = webhooks.sign("ab" * 32, "1700000000", b'{"x":1}')
    from tests.server.webhook_receiver import example

    assert example.verify("ab" * 32, "1700000000", sig, b'{"x":1}', now=1700000100)
    assert not example.verify("ab" * 32, "1700000000", sig, b'{"x":2}', now=1700000100)
    assert not example.verify("ab" * 32, "1700000000", sig, b'{"x":1}', now=1700000000 + 301)

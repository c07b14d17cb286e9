"""Alerts reach someone by webhook (issue 18): a real server process on SQLite and PostgreSQL, two integrations
with webhooks to real receiver processes on 127.0.0.1 (docs/webhook_receiver.py): "soc" holds ``alerts:read``,
"crm" only ``feed:read``. Real failed sign-ins on c1 raise the alert; soc's receiver stores one signed event for
it, once, without the account name or the address; crm gets nothing (docs/integrations.md, "Alert events")."""

from __future__ import annotations

import json
import sqlite3

import httpx
from sqlalchemy import select

from server.schema_integrations import webhook_deliveries
from tests.server.conftest import free_port
from tests.server.test_outbound import add, people
from tests.server.test_webhooks import QUICK, Receiver, wait_for

ENV = {**QUICK, "FIELDARCHIVE_ALERT_USER_FAILURES": "3"}


def events(receiver: Receiver) -> list[tuple[str, str, dict]]:
    if not receiver.store.exists():
        return []
    with sqlite3.connect(receiver.store) as conn:
        try:
            rows = conn.execute("SELECT delivery, type, event_json FROM events ORDER BY rowid").fetchall()
        except sqlite3.OperationalError:  # the receiver has not made its tables yet
            return []
    return [(d, t, json.loads(e)) for d, t, e in rows]


def test_a_raised_alert_is_delivered_as_an_event_without_personal_values(server_process, db, run, tmp_path) -> None:
    people(db)
    add(run, "soc", "--department", "安全管理", "--scope", "alerts:read")
    add(run, "crm", "--department", "营销中心", "--scope", "feed:read")
    receivers = {}
    for name in ("soc", "crm"):
        port = free_port()
        code, secret, err = run("webhook", "set", name, f"http://127.0.0.1:{port}/hook")
        assert code == 0, err
        (tmp_path / name).mkdir()
        receivers[name] = Receiver(tmp_path / name, secret.strip(), port)
    try:
        server_process.start(env=ENV)
        with httpx.Client(base_url=server_process.url, headers={"X-FieldArchive-Protocol": "1"}, timeout=30) as http:
            for _ in range(4):  # the threshold is 3: the fourth one raises nothing more
                body = {"username": "c1", "password": "not-the-password", "device_id": "pc-x", "device_name": "x"}
                assert http.post("/api/v1/auth/login", json=body).status_code in (401, 423)
        got = wait_for(lambda: events(receivers["soc"]))
        assert len(got) == 1
        delivery, kind, event = got[0]
        assert kind == "alert" and event["kind"] == "failed_logins_user"
        assert event["count"] == 3 and event["threshold"] == 3 and event["alert"] >= 1 and event["raised_at"]
        with db.read() as conn:
            rows = conn.execute(select(webhook_deliveries)).all()
        assert [(r.id, r.state) for r in rows] == [(delivery, "delivered")]  # one batch, to soc only
        sent = json.loads(rows[0].body)
        assert sent["changes"] == [] and sent["events"] == [event]
        # no account name, no address: only these
        assert set(event) == {"type", "alert", "kind", "count", "threshold", "window_start", "first_at", "raised_at"}
        assert '"c1"' not in rows[0].body and "127.0.0.1" not in rows[0].body
        assert receivers["crm"].attempts() == [] and events(receivers["crm"]) == []
        assert [a["what"] for a in receivers["soc"].attempts()] == ["applied"]

        with httpx.Client(base_url=server_process.url, headers={"X-FieldArchive-Protocol": "1"}, timeout=30) as http:
            for user in ("s1", "c3"):  # two more alerts: each its own event, in the order raised
                for _ in range(3):
                    body = {"username": user, "password": "not-it", "device_id": "pc-x", "device_name": "x"}
                    assert http.post("/api/v1/auth/login", json=body).status_code in (401, 423)
        got = wait_for(lambda: len(events(receivers["soc"])) == 3 and events(receivers["soc"]))
        numbers = [e["alert"] for _, _, e in got]
        assert numbers == sorted(numbers) and len(set(numbers)) == 3 and len({d for d, _, _ in got}) == 3
        assert receivers["crm"].attempts() == []
    finally:
        for r in receivers.values():
            r.stop()

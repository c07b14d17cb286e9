"""Purging the outbound tables (issue 19) on SQLite and PostgreSQL, through the admin API of a real server
process and the command line: delivered and dismissed batches and outbound changes older than the
retention go; a pending batch, a dead batch not replayed or dismissed, and a change a registered webhook
has not reached stay; a polling integration's cursor below the purged changes answers 410."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select, update

from server.schema_integrations import outbound_changes, webhook_deliveries
from tests.server.conftest import free_port
from tests.server.helpers import Api
from tests.server.test_outbound import FAST_ENV, add, approved_customers, changes, people
from tests.server.test_webhooks import Receiver, deliveries

DAY = 86400


def age(db, days: float) -> None:  # noqa: ANN001
    """Everything written so far happened ``days`` earlier."""

    def work(tx) -> None:  # noqa: ANN001
        shift = days * DAY
        tx.conn.execute(update(outbound_changes).values(at=outbound_changes.c.at - shift))
        tx.conn.execute(
            update(webhook_deliveries).values(
                created_at=webhook_deliveries.c.created_at - shift,
                delivered_at=webhook_deliveries.c.delivered_at - shift,
            )
        )

    db.write(work)


def seqs(db) -> list[int]:  # noqa: ANN001
    with db.read() as conn:
        return list(conn.execute(select(outbound_changes.c.seq).order_by(outbound_changes.c.seq)).scalars())


def test_purge_keeps_what_is_not_delivered_dismissed_or_reached(server_process, db, run, tmp_path, monkeypatch):
    people(db)
    for key, value in {"POLL": "0.05", "ATTEMPTS": "1", "BATCH": "2", "RETRY_BASE": "0.05", "RETRY_CAP": "0.1"}.items():
        monkeypatch.setenv(f"FIELDARCHIVE_WEBHOOK_{key}", value)
    add(run, "crm", "--department", "营销中心", "--scope", "feed:read")
    add(run, "v6", "--department", "财务", "--scope", "feed:read")
    gis = add(run, "gis", "--department", "物流", "--scope", "feed:read")
    approved_customers(db, "c1", 4)
    port = free_port()
    secret = run("webhook", "set", "crm", f"http://127.0.0.1:{port}/crm", "--from-start")[1].strip()
    receiver = Receiver(tmp_path, secret, port)
    try:
        run("webhook", "set", "v6", f"http://127.0.0.1:{free_port()}/nobody-listens", "--from-start")
        assert run("webhook", "deliver", "--rounds", "3")[0] == 0
        assert len(receiver.applied()) == 4
        dead = deliveries(db, "dead")
        assert len(dead) == 2 and len(deliveries(db, "delivered")) == 2
        code, out, _ = run("webhook", "dismiss", dead[0].id)
        assert code == 0 and json.loads(out)["state"] == "dismissed"
        assert run("webhook", "dismiss", dead[0].id)[0] == 2  # no longer dead
        approved_customers(db, "c1", 2)
        monkeypatch.setenv("FIELDARCHIVE_WEBHOOK_ATTEMPTS", "5")
        monkeypatch.setenv("FIELDARCHIVE_WEBHOOK_RETRY_BASE", "3600")
        assert run("webhook", "deliver")[0] == 0
        assert len(receiver.applied()) == 6
        pending = deliveries(db, "pending")
        assert len(pending) == 1 and pending[0].attempts == 1  # v6's third batch waits for its retry
    finally:
        receiver.stop()
    run("webhook", "set", "gis", f"http://127.0.0.1:{free_port()}/gis", "--from-start")  # has reached nothing
    all_seqs = seqs(db)
    assert len(all_seqs) == 6
    age(db, 100)

    server_process.start(
        env={**FAST_ENV, "FIELDARCHIVE_WEBHOOK_POLL": "0", "FIELDARCHIVE_OUTBOUND_RETENTION_DAYS": "90"}
    )
    with httpx.Client(base_url=server_process.url, timeout=30) as client:
        api = Api(client)
        admin = api.token("admin")
        assert api.call("POST", "/admin/outbound/purge", api.token("s1")).status_code == 403
        dry = api.call("POST", "/admin/outbound/purge", admin, params={"dry_run": "true"}).json()
        assert (dry["deliveries"], dry["changes"], dry["dry_run"]) == (4, 0, True)
        assert len(deliveries(db)) == 6
        done = api.call("POST", "/admin/outbound/purge", admin)
        assert done.status_code == 200, done.text
        # the three delivered batches and the dismissed one go; gis's webhook keeps every change
        assert (done.json()["deliveries"], done.json()["changes"], done.json()["horizon"]) == (4, 0, 0)
        assert sorted(r.state for r in deliveries(db)) == ["dead", "pending"] and seqs(db) == all_seqs

        assert run("webhook", "remove", "gis")[0] == 0
        code, out, _ = run("webhook", "purge", "--days", "90")
        purged = json.loads(out)
        # v6 and crm have formed batches of all six: their rows go; the batches keep their bodies
        assert code == 0 and purged["changes"] == 6 and purged["horizon"] == all_seqs[-1] and seqs(db) == []
        assert sorted(r.state for r in deliveries(db)) == ["dead", "pending"]
        r = changes(client, gis, all_seqs[2])
        assert r.status_code == 410 and r.json()["horizon"] == all_seqs[-1], r.text
        assert changes(client, gis, 0).json()["changes"] == []  # an initial load gets what is kept
        assert changes(client, gis, all_seqs[-1]).status_code == 200
        # what is younger than the retention stays
        approved_customers(db, "c1", 1)
        again = json.loads(run("webhook", "purge")[1])
        assert again["changes"] == 0 and len(seqs(db)) == 1

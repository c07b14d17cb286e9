"""Real server processes on 127.0.0.1: crash after commit then retry gives exactly one effect; two
clients pushing conflicting edits at the same moment; a server started from a fresh folder."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid

import httpx
from sqlalchemy import func, select

from server.schema import customer_versions, customers, mutations
from tests.server.conftest import ROOT, ServerProcess
from tests.server.helpers import PASSWORD, Api, add_user, demo_values, save


def login(url: str, name: str) -> tuple[Api, str]:
    api = Api(httpx.Client(base_url=url, timeout=30))
    return api, api.token(name)


def count(db, table) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar())


def test_crash_after_commit_then_retry_has_exactly_one_effect(db, db_url, settings, tmp_path):
    add_user(db, settings, "c1", "collector")
    crashing = ServerProcess(db_url, tmp_path, ("-m", "tests.server.crashing_server"))
    crashing.start(env={"FA_CRASH_AFTER_PUSH": "3"})
    normal = ServerProcess(db_url, tmp_path)
    normal.port, normal.url = crashing.port, crashing.url
    batches = [[save(str(uuid.uuid4()), v) for v in demo_values(20, seed=b)] for b in range(6)]
    api, token = login(crashing.url, "c1")
    failures, answers = 0, []
    try:
        for batch in batches:
            for _attempt in range(5):  # bounded retries of the same batch
                try:
                    r = api.call("POST", "/sync/push", token, json={"mutations": batch})
                    assert r.status_code == 200, r.text
                    answers.append(r.json()["results"])
                    break
                except httpx.TransportError:
                    failures += 1
                    crashing.proc.wait(10)
                    normal.start()  # the same port, the same database, no crash this time
            else:
                raise AssertionError("the batch never got through")
        assert failures == 1 and crashing.proc.returncode == 137
        assert all(res["status"] == "applied" and res["record"]["version"] == 1 for a in answers for res in a)
        # the client resends everything once more (duplicate delivery): nothing changes
        for batch, first in zip(batches, answers, strict=True):
            assert api.call("POST", "/sync/push", token, json={"mutations": batch}).json()["results"] == first
    finally:
        api.client.close()
        crashing.stop()
        normal.stop()
    assert count(db, customers) == count(db, mutations) == count(db, customer_versions) == 120


def test_two_clients_push_conflicting_edits_at_the_same_time(db, settings, server_process):
    add_user(db, settings, "s1", "supervisor")
    add_user(db, settings, "c1", "collector", "s1")
    server_process.start()
    (a, ta), (b, tb) = login(server_process.url, "c1"), login(server_process.url, "s1")
    try:
        for round_ in range(8):
            rid = str(uuid.uuid4())
            assert a.push1(ta, save(rid, {"shop_name": "起点"}))["status"] == "applied"
            barrier, out = threading.Barrier(2, timeout=20), {}

            def go(api, token, name, value):
                m = save(rid, {"shop_name": ("起点", value)}, base=1)  # noqa: B023 (called within this iteration)
                barrier.wait()  # noqa: B023 (called within this iteration)
                out[name] = api.push1(token, m)  # noqa: B023 (called within this iteration)

            threads = [
                threading.Thread(target=go, args=(a, ta, "a", f"甲{round_}")),
                threading.Thread(target=go, args=(b, tb, "b", f"乙{round_}")),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert sorted(r["status"] for r in out.values()) == ["applied", "conflict"], out
            winner = next(r for r in out.values() if r["status"] == "applied")
            loser = next(r for r in out.values() if r["status"] == "conflict")
            assert loser["conflicts"][0]["server"] == winner["record"]["values"]["shop_name"]
            assert loser["record"]["version"] == 2  # the loser sees the winner's edit, nothing lost
            final = a.call("GET", f"/records/{rid}", ta).json()
            assert final["values"]["shop_name"] == winner["record"]["values"]["shop_name"]
    finally:
        a.client.close()
        b.client.close()


def test_serve_and_add_a_user_from_a_fresh_folder(tmp_path):
    data = tmp_path / "fresh"
    env = {**os.environ, "FIELDARCHIVE_NEW_PASSWORD": PASSWORD}
    r = subprocess.run(
        [sys.executable, "-m", "server", "user", "add", "ann", "--role", "collector", "--data", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    proc = ServerProcess("", tmp_path, db_args=("--data", str(data)))
    proc.start()
    try:
        api = Api(httpx.Client(base_url=proc.url, timeout=30))
        assert api.login("ann").status_code == 200
        assert api.client.get("/api/v1/info").json()["protocol"] == 1
        api.client.close()
    finally:
        proc.stop()


def test_bad_input_on_a_real_server_is_answered_by_name_and_the_rest_applies(db, settings, server_process):
    """The shapes of issue 13 against ``python -m server serve``: no 5xx, no traceback in its log."""
    import json

    add_user(db, settings, "s1", "supervisor")
    add_user(db, settings, "c1", "collector", "s1")
    server_process.start()
    api, token = login(server_process.url, "c1")
    _sup, stoken = login(server_process.url, "s1")

    def post(path, body, tok=token):
        return api.call(
            "POST", path, tok, content=json.dumps(body).encode("ascii"), headers={"Content-Type": "application/json"}
        )

    deep = "x"
    for _ in range(300):
        deep = [deep]
    try:
        good = [save(str(uuid.uuid4()), v) for v in demo_values(2, seed=8)]
        bad = [
            save(str(uuid.uuid4()), {"shop_name": "好\ud800"}),
            save(str(uuid.uuid4()), {"shop_name": "好\x00"}),
            save(str(uuid.uuid4()), {"shop_name": deep}),
        ]
        r = post("/sync/push", {"mutations": [good[0], *bad, good[1]]})
        assert r.status_code == 200, r.text
        statuses = [(x["status"], [e["code"] for e in x["errors"]]) for x in r.json()["results"]]
        assert statuses == [
            ("applied", []),
            ("rejected", ["text.surrogate"]),
            ("rejected", ["text.nul"]),
            ("rejected", ["value.too_deep"]),
            ("applied", []),
        ]
        assert count(db, customers) == 2
        r = post("/auth/login", {"username": "c1\ud800", "password": "x", "device_id": "d"}, None)
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "username", r.text
        r = api.call(
            "POST", "/sync/push", token, content=b"[" * 5000 + b"]" * 5000, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 422 and r.json()["fields"][0]["code"] == "value.too_deep", r.text
        r = api.call("GET", "/reports/monthly?month=9999-12", stoken)
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "month", r.text
        assert api.call("GET", "/me", token).status_code == 200  # and the server is still there
    finally:
        api.client.close()
        _sup.client.close()
        server_process.stop()
    logs = "".join(p.read_text(errors="replace") for p in server_process.tmp.glob("server-*.log"))
    assert "Traceback" not in logs and "unexpected error" not in logs

"""Issue 20, production run: the configuration checks of ``serve`` (a real ``--check`` process each),
health, readiness and metrics of a real server (one worker; two workers on PostgreSQL in
prometheus-client's multiprocess mode), JSON logs without field values, and the client versions the
server announces (a real desktop sync client answered 426 with the download address)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from server import backup as server_backup
from tests.server.conftest import ROOT, ServerProcess
from tests.server.helpers import PASSWORD, Api, add_user, demo_values, save


def check(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[int, str]:
    """``python -m server serve --check …`` as its own process: (exit code, stderr)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIELDARCHIVE_")}
    done = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--check", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stderr


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    return folder


# ---- configuration checks -----------------------------------------------------------------------


def test_a_safe_loopback_configuration_passes(data):
    code, err = check("--data", str(data))
    assert code == 0 and "safe to serve" in err, err


def test_sqlite_with_several_workers_is_refused_with_what_to_change(data):
    code, err = check("--data", str(data), "--workers", "2")
    assert code == 2 and "SQLite with 2 workers" in err and "PostgreSQL" in err and "workers = 1" in err, err
    assert len(err.strip().splitlines()) == 1


def test_plain_http_on_the_network_is_refused_unless_tls_or_a_named_proxy(data, tmp_path):
    code, err = check("--data", str(data), "--host", "0.0.0.0")
    assert code == 2 and "plain HTTP on 0.0.0.0" in err and "certfile" in err and "proxy" in err, err
    assert check("--data", str(data), "--host", "0.0.0.0", "--proxy", "10.0.0.5")[0] == 0
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    key.chmod(0o644)
    code, err = check("--data", str(data), "--host", "0.0.0.0", "--certfile", str(cert), "--keyfile", str(key))
    assert code == 2 and f"chmod 600 {key}" in err, err
    key.chmod(0o600)
    assert check("--data", str(data), "--host", "0.0.0.0", "--certfile", str(cert), "--keyfile", str(key))[0] == 0
    code, err = check("--data", str(data), "--host", "0.0.0.0", "--certfile", str(cert))
    assert code == 2 and "both certfile and keyfile" in err, err


def test_a_data_folder_others_may_read_is_refused(data):
    data.chmod(0o755)
    code, err = check("--data", str(data))
    assert code == 2 and f"chmod 700 {data}" in err, err


def test_toml_file_then_environment_then_command_line(data, tmp_path):
    conf = tmp_path / "server.toml"
    conf.write_text(f'[server]\ndata = "{data}"\nworkers = 3\n\n[login]\nmax_failures = 8\n', encoding="utf-8")
    code, err = check("--config", str(conf))
    assert code == 2 and "SQLite with 3 workers" in err, err
    assert check("--config", str(conf), env={"FIELDARCHIVE_WORKERS": "1"})[0] == 0  # the environment wins
    assert check("--config", str(conf), "--workers", "1", env={"FIELDARCHIVE_WORKERS": "4"})[0] == 0
    code, err = check(env={"FIELDARCHIVE_CONFIG": str(conf), "FIELDARCHIVE_WORKERS": "2"})
    assert code == 2 and "SQLite with 2 workers" in err, err
    conf.write_text(f'[server]\ndata = "{data}"\ncors = true\n', encoding="utf-8")
    code, err = check("--config", str(conf))
    assert code == 2 and "cors = false" in err, err
    conf.write_text(f'[server]\ndata = "{data}"\nworkerz = 2\n', encoding="utf-8")
    code, err = check("--config", str(conf))
    assert code == 2 and "unknown key 'workerz'" in err, err
    conf.write_text('[login]\nmax_failures = "many"\n', encoding="utf-8")
    code, err = check("--config", str(conf), "--data", str(data))
    assert code == 2 and "max_failures must be a number" in err, err


# ---- health, readiness, metrics on a real server --------------------------------------------------


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total, found = 0.0, False
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)(\{[^}]*\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total, found = total + float(m.group(3)), True
    assert found, f"no sample {name} {labels}"
    return total


def test_health_readiness_and_metrics_of_a_real_server(db, settings, server_process, tmp_path, monkeypatch):
    add_user(db, settings, "c1", "collector")
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o700)
    server_process.start(
        env={
            "FIELDARCHIVE_BACKUP_FOLDER": str(folder),
            "FIELDARCHIVE_BACKUP_MAX_AGE_HOURS": "24",
            "FIELDARCHIVE_FAILURE_DELAY": "0",
        }
    )
    with httpx.Client(base_url=server_process.url, timeout=30) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "warning", ready.text
        assert ready.json()["checks"] == {"database": "ok", "schema": "ok", "backup": "none"}
        # a real backup, then the same file named as made two days ago: a warning; renamed to now: ok
        key = tmp_path / "backup.key"
        server_backup.new_key_file(key)
        made, _manifest = server_backup.backup(db, folder, server_backup.load_key(str(key)))
        old = folder / f"fieldarchive-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(time.time() - 48 * 3600))}.fabak"
        made.rename(old)
        ready = c.get("/readyz").json()
        assert ready["status"] == "warning" and "hours old" in ready["warnings"][0], ready
        assert 47 * 3600 < metric(c.get("/metrics").text, "fieldarchive_backup_age_seconds") < 49 * 3600
        old.rename(folder / f"fieldarchive-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.fabak")
        assert c.get("/readyz").json() == {
            "status": "ok",
            "checks": {"database": "ok", "schema": "ok", "backup": "ok"},
            "warnings": [],
        }
        api = Api(c)
        assert api.login("c1", "wrong").status_code == 401
        token = api.token("c1")
        rid = str(uuid.uuid4())
        good = save(rid, demo_values(1, seed=1)[0])
        bad = save(str(uuid.uuid4()), {"no_such_field": "x"})
        results = api.push(token, good, bad)
        assert [r["status"] for r in results] == ["applied", "rejected"], results
        assert len(api.pull(token)["changes"]) == 1
        assert c.get("/api/v1/me").status_code == 426  # no protocol header: counted by its route all the same
        text = c.get("/metrics").text
    assert metric(text, "fieldarchive_http_requests_total", route="/api/v1/auth/login", status="401") == 1
    assert metric(text, "fieldarchive_http_requests_total", route="/api/v1/sync/push", status="200") == 1
    assert metric(text, "fieldarchive_http_requests_total", route="/api/v1/me", status="426") == 1
    assert metric(text, "fieldarchive_http_request_duration_seconds_count", route="/api/v1/sync/push") == 1
    assert metric(text, "fieldarchive_push_mutations_total", status="applied") == 1
    assert metric(text, "fieldarchive_push_mutations_total", status="rejected") == 1
    assert metric(text, "fieldarchive_pull_changes_total") == 1
    assert metric(text, "fieldarchive_login_failures_total") == 1
    assert metric(text, "fieldarchive_write_queue_wait_seconds_count") >= 2  # the login's writes and the push
    assert metric(text, "fieldarchive_db_pool_connections", state="checked_out") >= 0
    assert rid not in text and "shop" not in text  # labels are route templates, never values


def test_readyz_is_unavailable_on_a_database_that_is_not_migrated(tmp_path):
    """A database the server cannot use answers 503 with the reason (here a file swapped under it)."""
    folder = tmp_path / "data"
    proc = ServerProcess("", tmp_path, db_args=("--data", str(folder)))
    proc.start()
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as c:
            assert c.get("/readyz").status_code == 200
            import sqlite3

            con = sqlite3.connect(folder / "fieldarchive-server.db")
            con.execute("UPDATE alembic_version SET version_num = '0001'")
            con.commit()
            con.close()
            answer = c.get("/readyz")
            assert answer.status_code == 503 and answer.json()["status"] == "unavailable"
            assert "run the migration" in answer.json()["checks"]["schema"]
            assert c.get("/healthz").status_code == 200  # the process itself is up
    finally:
        proc.stop()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # several workers need PostgreSQL
def test_two_workers_on_postgresql_sum_their_metrics(backend, db, db_url, settings, tmp_path):
    add_user(db, settings, "c1", "collector")
    proc = ServerProcess(db_url, tmp_path)
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_stale.db").write_bytes(b"left by an earlier run")  # serve clears the folder first
    proc.start("--workers", "2", env={"PROMETHEUS_MULTIPROC_DIR": str(folder)})
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as c:
            token = Api(c).token("c1")

        def hit() -> None:
            with httpx.Client(base_url=proc.url, timeout=30) as one:  # a new connection: either worker
                for _ in range(10):
                    assert one.get("/healthz").status_code == 200

        threads = [threading.Thread(target=hit) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for _ in range(8):  # whichever worker answers, it sums the samples of both
            with httpx.Client(base_url=proc.url, timeout=30) as one:
                text = one.get("/metrics").text
                assert metric(text, "fieldarchive_http_requests_total", route="/healthz") == 60
                assert metric(text, "fieldarchive_db_pool_connections", state="idle") >= 1
        counters = {f.name for f in folder.glob("counter_*.db")}
        assert "counter_stale.db" not in counters and len(counters) >= 2, counters  # one file per worker
        with httpx.Client(base_url=proc.url, timeout=30) as c:
            assert Api(c).pull(token)["changes"] == []
    finally:
        proc.stop()


def test_json_logs_have_no_field_values(db, settings, server_process, tmp_path):
    add_user(db, settings, "c1", "collector")
    server_process.start("--json-logs")
    shop = f"Shop-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=server_process.url, timeout=30) as c:
        api = Api(c)
        token = api.token("c1")
        values = {**demo_values(1, seed=3)[0], "shop_name": shop}
        assert api.push(token, save(str(uuid.uuid4()), values))[0]["status"] == "applied"
        api.push(token, save(str(uuid.uuid4()), {"shop_name": shop, "no_such_field": shop}))
        assert (
            c.get(
                "/api/v1/sync/pull?cursor=0&limit=5",
                headers={"X-FieldArchive-Protocol": "1", "Authorization": f"Bearer {token}"},
            ).status_code
            == 200
        )
    server_process.stop()
    logs = sorted(tmp_path.glob("server-*.log"))[-1].read_text(encoding="utf-8")
    lines = [line for line in logs.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    requests = [p for p in parsed if p.get("event") == "request"]
    assert any(p["path"] == "/api/v1/sync/push" and p["status"] == 200 for p in requests), requests
    assert all("?" not in p["path"] for p in requests)  # no query strings
    assert shop not in logs and PASSWORD not in logs


# ---- client versions -------------------------------------------------------------------------------


def test_info_announces_client_versions_and_an_old_client_is_told_where_to_update(
    db, settings, server_process, tmp_path
):
    from app import __version__
    from app.errors import SyncError, SyncErrorKind
    from app.sync.client import MemoryTokens, SyncClient

    add_user(db, settings, "c1", "collector")
    url = "https://fieldarchive.example.cn/download"
    server_process.start(
        env={
            "FIELDARCHIVE_CLIENT_VERSION": "99.1.0",
            "FIELDARCHIVE_MIN_CLIENT_VERSION": "99.0.0",
            "FIELDARCHIVE_DOWNLOAD_URL": url,
        }
    )
    info = httpx.get(server_process.url + "/api/v1/info").json()
    assert (info["client_version"], info["min_client_version"], info["download_url"]) == ("99.1.0", "99.0.0", url)
    client = SyncClient(server_process.url, MemoryTokens(), "dev-c1")
    with pytest.raises(SyncError) as caught:
        client.login("c1", PASSWORD, "laptop")
    assert caught.value.kind is SyncErrorKind.CLIENT_TOO_OLD
    for lang in ("en", "zh_CN"):  # what to do, in the words of the person's language
        text = caught.value.message(lang)
        assert url in text and "99.0.0" in text and __version__ in text, text
    assert "下载" in caught.value.message("zh_CN")
    # a client at the minimum is served
    with httpx.Client(base_url=server_process.url, timeout=30) as c:
        ok = Api(c).call(
            "POST",
            "/auth/login",
            headers={"User-Agent": "FieldArchive/99.0.0"},
            json={"username": "c1", "password": PASSWORD, "device_id": "dev-c1", "device_name": "x"},
        )
        assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # several workers need PostgreSQL
def test_two_workers_on_postgresql_lose_and_duplicate_nothing_and_the_feed_keeps_commit_order(
    backend, db, db_url, settings, tmp_path
):
    """Four collectors push creates and edits at once (each batch sent twice, as after a lost answer)
    to a two-worker server while a supervisor pulls incrementally: every change lands once, a
    repeated batch has the same results and no second effect, and the incremental reader, which never
    re-reads, ends with exactly what a full pull gives (a late commit below its cursor would be lost)."""
    from sqlalchemy import func, select

    from server.schema import customer_versions, customers, mutations

    add_user(db, settings, "s1", "supervisor")
    for i in range(4):
        add_user(db, settings, f"c{i}", "collector", "s1")
    proc = ServerProcess(db_url, tmp_path)
    proc.start("--workers", "2")
    try:
        with httpx.Client(base_url=proc.url, timeout=120) as c:
            tokens = {n: Api(c).token(n) for n in ("s1", "c0", "c1", "c2", "c3")}
        done, errors, sent = threading.Event(), [], {}

        def collector(name: str, seed: int) -> None:
            with httpx.Client(base_url=proc.url, timeout=120) as c:
                api, mine = Api(c), {}
                for round_ in range(6):
                    batch = [save(str(uuid.uuid4()), v) for v in demo_values(4, seed=seed * 100 + round_)]
                    batch += [
                        save(rid, {"service_notes": (notes, f"n{v}")}, base=v)
                        for rid, (v, notes) in list(mine.items())[:3]
                    ]
                    first = api.push(tokens[name], *batch)
                    again = api.push(tokens[name], *batch)  # the same mutation ids: the stored results
                    if [r["status"] for r in first] != [r["status"] for r in again] or any(
                        r["status"] != "applied" for r in first
                    ):
                        errors.append((name, first, again))
                        return
                    for m, r in zip(batch, first, strict=True):
                        mine[m["record_id"]] = (r["record"]["version"], r["record"]["values"].get("service_notes"))
                sent[name] = {rid: v for rid, (v, _notes) in mine.items()}

        seen: dict[str, int] = {}
        seqs: list[int] = []

        def reader() -> None:
            with httpx.Client(base_url=proc.url, timeout=120) as c:
                api, cursor = Api(c), 0
                while True:
                    last_round = done.is_set()
                    page = api.pull(tokens["s1"], cursor, 50)
                    for ch in page["changes"]:
                        seqs.append(ch["seq"])
                        if ch["record"]:
                            seen[ch["record_id"]] = ch["record"]["version"]
                    cursor = page["cursor"]
                    if last_round and not page["more"]:
                        return

        threads = [threading.Thread(target=collector, args=(f"c{i}", i)) for i in range(4)]
        pull = threading.Thread(target=reader)
        pull.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        pull.join()
        assert not errors, errors[:1]
        expected = {rid: v for mine in sent.values() for rid, v in mine.items()}
        assert len(expected) == 4 * 6 * 4
        with httpx.Client(base_url=proc.url, timeout=120) as c:
            full, _cursor = Api(c).pull_all(tokens["s1"])
        assert {ch["record_id"]: ch["record"]["version"] for ch in full if ch["record"]} == expected
        assert seen == expected  # the incremental reader missed nothing
        with db.read() as conn:
            assert conn.execute(select(func.count()).select_from(customers)).scalar() == len(expected)
            assert conn.execute(select(func.count()).select_from(customer_versions)).scalar() == sum(expected.values())
            assert conn.execute(select(func.count()).select_from(mutations)).scalar() == 4 * 6 * 4 + 4 * 5 * 3
    finally:
        proc.stop()


def test_a_logged_database_error_keeps_its_values_out_of_the_json_line(db):
    """The formatter itself, with a real IntegrityError whose text quotes the statement's values."""
    import logging

    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from server.logs import JsonFormatter
    from server.schema import users

    secret = f"Shop-{uuid.uuid4().hex[:8]}"
    row = dict(
        name=secret,
        display_name=secret,
        role="collector",
        supervisor_id=None,
        password_hash="x",
        disabled=False,
        created_at=0.0,
    )
    try:
        with db.engine.begin() as conn:
            for _ in range(2):
                conn.execute(insert(users).values(**row))
    except IntegrityError as exc:
        assert secret in str(exc)  # what a plain log line would carry
        record = logging.LogRecord(
            "server", logging.ERROR, __file__, 1, "push failed: %s", (exc,), (type(exc), exc, exc.__traceback__)
        )
    else:
        raise AssertionError("the second insert of the same name must fail")
    line = JsonFormatter().format(record)
    out = json.loads(line)
    assert secret not in line and out["exception"] == "IntegrityError" and out["where"], line
    assert out["level"] == "error" and "statement details left out" in out["message"], out

"""Issue 20, deploy/: the systemd units' command lines parse as the server's commands, the example
configuration is safe and its unsafe variants are refused, and docs/deploy.md's path is followed: the
unit's ExecStartPre and ExecStart run directly (minus systemd itself) with the example configuration
pointed at a test database, a client pushes, the backup unit's command backs up, /readyz turns from
warning to ok, a restore with the guide's own command into an empty database, the service started
again on it, and the desktop client's next sync brings back what the backup missed."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from server import runconfig
from server.cli import build_parser
from server.db import Database
from server.schema import customers
from tests.server.conftest import ROOT, _drop, free_port
from tests.server.helpers import PASSWORD, demo_values

DEPLOY = ROOT / "deploy"
CONFIG = "/etc/fieldarchive/server.toml"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def command(line: str) -> list[str]:
    argv = shlex.split(line)
    assert argv[0] == "/opt/fieldarchive/.venv/bin/python" and argv[1:3] == ["-m", "server"], argv
    return argv[3:]


def test_units_run_the_server_as_a_dedicated_user_in_a_read_only_system():
    server, backup, timer = (
        unit("fieldarchive-server.service"),
        unit("fieldarchive-backup.service"),
        unit("fieldarchive-backup.timer"),
    )
    for u in (server, backup):
        s = u["Service"]
        assert s["User"] == "fieldarchive" and s["ProtectSystem"] == "strict" and s["PrivateTmp"] == "true"
        assert s["NoNewPrivileges"] == "true" and s["UMask"] == "0077" and s["ProtectHome"] == "true"
    args = build_parser().parse_args(command(server["Service"]["ExecStart"]))
    assert args.command == "serve" and args.config == CONFIG and not args.check
    pre = build_parser().parse_args(command(server["Service"]["ExecStartPre"]))
    assert pre.command == "serve" and pre.config == CONFIG and pre.check
    b = build_parser().parse_args(command(backup["Service"]["ExecStart"]))
    assert b.command == "backup" and b.config == CONFIG and b.out is None
    assert backup["Service"]["Type"] == "oneshot"
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
    assert "/var/backups/fieldarchive" in backup["Service"]["ReadWritePaths"].split()
    example = tomllib.loads((DEPLOY / "fieldarchive.toml").read_text(encoding="utf-8"))
    assert example["backup"]["folder"] == "/var/backups/fieldarchive"
    nginx = (DEPLOY / "nginx-fieldarchive.conf").read_text(encoding="utf-8")
    port = example["server"]["port"]
    assert f"server 127.0.0.1:{port};" in nginx and "X-Forwarded-Proto" in nginx and "ssl_certificate_key" in nginx


def test_the_example_configuration_is_safe_and_its_unsafe_variants_are_refused(tmp_path, monkeypatch):
    for var in [v for v in os.environ if v.startswith("FIELDARCHIVE_")]:
        monkeypatch.delenv(var)
    original = (DEPLOY / "fieldarchive.toml").read_text(encoding="utf-8")
    conf = tmp_path / "server.toml"

    def problems(replace: dict[str, str]) -> list[str]:
        textual = original
        for old, new in replace.items():
            assert old in textual, old
            textual = textual.replace(old, new)
        conf.write_text(textual, encoding="utf-8")
        cfg = runconfig.load(str(conf))
        url = cfg.database or f"sqlite:///{Path(cfg.data or tmp_path) / 'fieldarchive-server.db'}"
        return runconfig.problems(cfg, url)

    assert problems({}) == []
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    sqlite = {
        'database = "postgresql+psycopg://fieldarchive@/fieldarchive?host=/run/postgresql"\n': "",
        '# data = "/var/lib/fieldarchive"': f'data = "{data}"',
    }
    found = problems(sqlite)
    assert len(found) == 1 and "SQLite with 4 workers" in found[0]
    assert problems({**sqlite, "workers = 4": "workers = 1"}) == []
    found = problems({'host = "127.0.0.1"': 'host = "0.0.0.0"', 'proxy = "127.0.0.1"': "# no proxy"})
    assert len(found) == 1 and "plain HTTP on 0.0.0.0" in found[0]
    data.chmod(0o755)
    found = problems({**sqlite, "workers = 4": "workers = 1"})
    assert len(found) == 1 and "chmod 700" in found[0]


def _run_unit_line(line: str, config: Path, **kw: Any) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "server", *command(line)]
    argv = [str(config) if a == CONFIG else a for a in argv]
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIELDARCHIVE_")}
    return subprocess.Popen(argv, cwd=ROOT, env=base, **kw)


def doc_command(marker: str) -> list[str]:
    """The command of docs/deploy.md's code blocks that runs ``python -m server <marker>`` (continuation
    lines joined), as its arguments after ``-m server``: the test runs what the guide says."""
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", doc, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            argv = shlex.split(line, comments=True)
            if "-m" in argv and argv[argv.index("-m") + 1 : argv.index("-m") + 3] == ["server", marker]:
                return argv[argv.index("-m") + 2 :]
    raise AssertionError(f"docs/deploy.md has no `python -m server {marker}` command")


def _start(service: Any, config: Path, log_path: Path, url: str) -> tuple[subprocess.Popen[bytes], Any]:
    log = open(log_path, "ab")
    proc = _run_unit_line(service["ExecStart"], config, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
        try:
            return proc, (log, httpx.get(url + "/readyz", timeout=2).json())
        except httpx.HTTPError:
            time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes], log: Any) -> None:
    proc.terminate()
    proc.wait(30)
    log.close()


def test_follow_the_deployment_guide(backend, db_url, db, settings, tmp_path, memory_keyring, monkeypatch):
    """docs/deploy.md steps 5-9 with the shipped files: configuration, service, a desktop client, backup,
    more work, restore with the guide's command into an empty database, the service started again on it,
    and the client's next sync brings back what the backup missed (the units' command lines run directly;
    paths point into a test folder)."""
    from app.services import records, syncing
    from tests.sync.conftest import Client

    port = free_port()
    backups, keys = tmp_path / "backups", tmp_path / "keys"
    keys.mkdir(mode=0o700)
    key = keys / "backup.key"
    assert subprocess.run([sys.executable, "-m", "server", "backup-key", str(key)], cwd=ROOT).returncode == 0
    textual = (DEPLOY / "fieldarchive.toml").read_text(encoding="utf-8")
    textual = textual.replace("postgresql+psycopg://fieldarchive@/fieldarchive?host=/run/postgresql", db_url)
    textual = textual.replace("workers = 4", "workers = 2" if backend["kind"] == "postgresql" else "workers = 1")
    textual = (
        textual.replace("port = 8765", f"port = {port}")
        .replace("/var/lib/fieldarchive/audit.key", str(keys / "audit.key"))
        .replace("/var/backups/fieldarchive", str(backups))
        .replace("/etc/fieldarchive/backup.key", str(key))
    )
    config = tmp_path / "server.toml"
    config.write_text(textual, encoding="utf-8")
    service = unit("fieldarchive-server.service")["Service"]
    assert _run_unit_line(service["ExecStartPre"], config).wait(60) == 0
    # the first account with the admin command line, which finds the database through FIELDARCHIVE_CONFIG
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIELDARCHIVE_")}
    made = subprocess.run(
        [sys.executable, "-m", "server", "user", "add", "c1", "--role", "collector"],
        cwd=ROOT,
        env={**base, "FIELDARCHIVE_CONFIG": str(config), "FIELDARCHIVE_NEW_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    url = f"http://127.0.0.1:{port}"
    proc, (log, ready) = _start(service, config, tmp_path / "service.log", url)
    client = Client(tmp_path / "home-c1", "c1").__enter__()
    try:
        assert ready["status"] == "warning" and ready["checks"]["backup"] == "none", ready
        client.use()
        syncing.login(client.session, url, "c1", PASSWORD)
        first, _ = records.save_draft(client.session, demo_values(1, seed=11)[0])
        assert client.sync().complete
        info = httpx.get(url + "/api/v1/info", timeout=10).json()
        assert info["download_url"] == "https://archive.example.cn/download/" and info["epoch"]
        backup_service = unit("fieldarchive-backup.service")["Service"]
        assert _run_unit_line(backup_service["ExecStart"], config).wait(300) == 0
        assert httpx.get(url + "/readyz", timeout=10).json()["status"] == "ok"
        metrics = httpx.get(url + "/metrics", timeout=10).text
        age = float(re.search(r"^fieldarchive_backup_age_seconds (\S+)$", metrics, re.M).group(1))
        assert 0 <= age < 600
        lines = [ln for ln in (tmp_path / "service.log").read_text(encoding="utf-8").splitlines() if ln.startswith("{")]
        assert lines, "json_logs = true in the example: the journal gets JSON lines"
        # work after the backup, synced: what the restore will lack
        second, _ = records.save_draft(client.session, demo_values(2, seed=12)[1])
        assert client.sync().complete
        _stop(proc, log)  # step 9: systemctl stop fieldarchive-server
        made = sorted(backups.glob("fieldarchive-*.fabak"))
        assert len(made) == 1
        # restore into a new, empty database, with the guide's command
        if backend["kind"] == "postgresql":
            name = f"fa_test_{uuid.uuid4().hex[:12]}_g"
            with backend["admin"].connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            target = f"{backend['base']}/{name}"
        else:
            name, target = None, f"sqlite:///{tmp_path / 'restored' / 'fieldarchive-server.db'}"
        try:
            argv = doc_command("restore")
            assert argv[0] == "restore" and argv[2] == "--database" and argv[4] == "--key-file" and len(argv) == 6
            argv = [argv[0], str(made[0]), "--database", target, "--key-file", str(key)]
            done = subprocess.run([sys.executable, "-m", "server", *argv], cwd=ROOT, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            restored = Database(target)
            try:
                with restored.read() as conn:
                    assert {r[0] for r in conn.execute(select(customers.c.id))} == {first.id}
            finally:
                restored.dispose()
            # "point [server] database at it", then systemctl start fieldarchive-server
            config.write_text(textual.replace(db_url, target), encoding="utf-8")
            assert _run_unit_line(service["ExecStartPre"], config).wait(60) == 0
            proc, (log, _ready) = _start(service, config, tmp_path / "service.log", url)
            out = client.sync()  # the client notices the restore and sends again what the backup missed
            assert out.server_restored and out.complete, out
            restored = Database(target)
            try:
                with restored.read() as conn:
                    assert {r[0] for r in conn.execute(select(customers.c.id))} == {first.id, second.id}
            finally:
                restored.dispose()
            _stop(proc, log)
        finally:
            if name:
                _drop(backend["admin"], name)
    finally:
        client.__exit__()
        if proc.poll() is None:
            _stop(proc, log)


@pytest.fixture(autouse=True)
def _no_fieldarchive_env(monkeypatch):
    for var in [v for v in os.environ if v.startswith("FIELDARCHIVE_") and v != "FIELDARCHIVE_TEST_PG"]:
        monkeypatch.delenv(var)

"""Server test fixtures: every test gets a fresh, migrated database on SQLite and on PostgreSQL.

PostgreSQL: the database ``test`` on 127.0.0.1:5432 (override with FIELDARCHIVE_TEST_PG) is used
only to create ``fa_test_<random>`` databases: a migrated template per run, and one copy per test,
each dropped afterwards. When PostgreSQL cannot be reached, the PostgreSQL half is skipped with the
reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from server.cli import main as server_main
from server.config import Settings
from server.db import Database
from server.migrate import upgrade
from tests.forkserver import ForkedProcess, popen_server
from tests.ports import free_port  # noqa: F401 - imported from here by the tests
from tests.server.helpers import PASSWORD, Api, World, make_world

PG_ADMIN = os.environ.get("FIELDARCHIVE_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[2]
AUDIT_KEY = bytes(range(32))  # signs the audit acknowledgements in-process; `run` passes it to the command line
FAST = Settings(failure_delay=0.01, failure_delay_cap=0.05, hash_time_cost=1, hash_memory_kib=1024, audit_key=AUDIT_KEY)


def _pg_admin() -> Any:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        reason = f"PostgreSQL at {PG_ADMIN} is unreachable ({type(exc).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; under CI=true the PostgreSQL run must not be skipped")
        pytest.skip(reason)
    return engine


def _drop(admin: Any, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migrated template database per backend, for the whole run."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("sqlite-template")
        db = Database(f"sqlite:///{folder / 'template.db'}")
        upgrade(db)
        db.dispose()
        yield {"kind": "sqlite", "template": folder / "template.db"}
        return
    admin = _pg_admin()
    name = f"fa_test_{uuid.uuid4().hex[:10]}_tmpl"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        db = Database(f"{base}/{name}")
        upgrade(db)
        db.dispose()
        yield {"kind": "postgresql", "template": name, "admin": admin, "base": base}
    finally:
        _drop(admin, name)
        admin.dispose()


@pytest.fixture
def db_url(backend: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    """A fresh database for one test, copied from the template, dropped afterwards."""
    if backend["kind"] == "sqlite":
        target = tmp_path / "server.db"
        target.write_bytes(Path(backend["template"]).read_bytes())
        target.chmod(0o600)  # `serve` refuses a database other users can read
        yield f"sqlite:///{target}"
        return
    name = f"fa_test_{uuid.uuid4().hex[:12]}"
    with backend["admin"].connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{backend["template"]}"'))
    try:
        yield f"{backend['base']}/{name}"
    finally:
        _drop(backend["admin"], name)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def settings() -> Settings:
    return FAST


@pytest.fixture
def api(db: Database, settings: Settings) -> Iterator[Api]:
    import warnings

    from server.app import create_app

    with warnings.catch_warnings():  # starlette suggests httpx2, which is not a dependency here
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with TestClient(create_app(db, settings), raise_server_exceptions=False) as client:
        yield Api(client)


@pytest.fixture
def world(db: Database, api: Api, settings: Settings) -> World:
    """Two teams: s1 leads c1 and c2, s2 leads c3; an admin; everyone logged in."""
    return make_world(db, api, settings)


class ServerProcess:
    """``python -m server serve`` (or a test wrapper) on 127.0.0.1 and a random free port."""

    def __init__(
        self, db_url: str, tmp: Path, module: tuple[str, ...] = ("-m", "server"), db_args: tuple[str, ...] | None = None
    ) -> None:
        self.tmp, self.module = tmp, module
        self.db_args = db_args or ("--database", db_url)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: ForkedProcess | subprocess.Popen[bytes] | None = None

    def start(self, *extra: str, env: dict[str, str] | None = None) -> ServerProcess:
        import httpx

        log = open(self.tmp / f"server-{self.port}-{time.time_ns()}.log", "wb")
        argv = ["serve", *self.db_args, "--port", str(self.port), *extra]
        environ = {**os.environ, "FIELDARCHIVE_AUDIT_KEY_FILE": str(self.tmp / "audit.key"), **(env or {})}
        if self.module == ("-m", "server"):
            self.proc = popen_server(argv, env=environ, out=log)
        else:
            self.proc = subprocess.Popen(
                [sys.executable, *self.module, *argv], cwd=ROOT, stdout=log, stderr=log, env=environ
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                httpx.get(self.url + "/api/v1/info", timeout=0.5)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start within 30 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def server_process(db_url: str, db: Database, tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(db_url, tmp_path)
    yield proc
    proc.stop()


@pytest.fixture
def run(db: Database, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The server's admin command line in-process: (exit code, stdout, stderr); a failure is one line."""
    monkeypatch.setenv("FIELDARCHIVE_NEW_PASSWORD", PASSWORD)
    monkeypatch.setenv("FIELDARCHIVE_AUDIT_KEY", AUDIT_KEY.hex())

    def go(*args: str) -> tuple[int, str, str]:
        code = server_main([*args, "--database", db_url])
        out = capsys.readouterr()
        if code:
            assert len(out.err.strip().splitlines()) == 1 and "Traceback" not in out.err, out.err
        return code, out.out, out.err

    return go

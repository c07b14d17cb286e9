"""Sync tests: real server processes on 127.0.0.1, real client archives (each in its own home folder)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from app import paths
from tests.forkserver import ForkedProcess, popen_server, run_server
from tests.ports import free_port  # noqa: F401 - imported from here by the tests

ROOT = Path(__file__).resolve().parents[2]
SERVER_PASSWORD = "server-pass-123"
#: Argon2id at its smallest for the passwords of these servers' users (added, signed in, refused): the real
#: parameters (64 MiB, 3 passes) cost about 0.25 s of CPU per hash, and these tests add and sign in users by
#: the hundred. The hashing itself, its parameters and its memory bound are tested in tests/server (with the
#: real parameters where they matter: test_login_attacks.py). A test's own ``env`` still overrides these.
CHEAP_HASHING = {"FIELDARCHIVE_HASH_TIME_COST": "1", "FIELDARCHIVE_HASH_MEMORY_KIB": "1024"}
PASSPHRASE = "correct horse battery staple"


class Server:
    """``python -m server serve --data DIR`` on a free port; users added through the admin command line."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: ForkedProcess | subprocess.Popen[bytes] | None = None

    def admin(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **CHEAP_HASHING, "FIELDARCHIVE_NEW_PASSWORD": SERVER_PASSWORD}
        proc = run_server(["--data", str(self.data), *args], env=env)
        assert proc.returncode == 0, proc.stderr
        return proc

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start_tls(self, certfile: Path, keyfile: Path) -> Server:
        """Serve HTTPS with this certificate (the probe that waits for it to be up does not verify it:
        the tests do, with the client)."""
        import warnings

        from urllib3.exceptions import InsecureRequestWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureRequestWarning)
            return self.start(
                extra=("--certfile", str(certfile), "--keyfile", str(keyfile)), probe=(self.https_url, False)
            )

    def start(
        self,
        env: dict[str, str] | None = None,
        extra: tuple[str, ...] = (),
        probe: tuple[str, str | bool] | None = None,
    ) -> Server:
        log = open(self.data.parent / f"server-{self.port}-{time.time_ns()}.log", "wb")
        self.proc = popen_server(
            ["serve", "--data", str(self.data), "--port", str(self.port), *extra],
            env={**os.environ, **CHEAP_HASHING, **(env or {})},
            out=log,
        )
        url, verify = probe or (self.url, True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                requests.get(url + "/api/v1/info", timeout=0.5, verify=verify)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    data = tmp_path / "server-data"
    srv = Server(data)
    srv.admin("user", "add", "s1", "--role", "supervisor")
    srv.admin("user", "add", "c1", "--role", "collector", "--supervisor", "s1")
    srv.admin("user", "add", "c2", "--role", "collector", "--supervisor", "s1")
    srv.start()
    yield srv
    srv.stop()


class Client:
    """One person's archive in its own home folder, used through the services layer."""

    def __init__(self, home: Path, name: str) -> None:
        self.home, self.name = home, name
        self.session: Any = None

    def __enter__(self) -> Client:
        self.use()
        from app.services import session as ss
        from app.services.startup import profile_exists

        if profile_exists():
            self.session = ss.unlock(passphrase=PASSPHRASE)
        else:
            self.session, _ = ss.create(passphrase=PASSPHRASE, actor=self.name)
        return self

    def __exit__(self, *exc: object) -> None:
        self.use()
        if self.session is not None:
            self.session.close()
            self.session = None

    def use(self) -> None:
        os.environ[paths.ENV_HOME] = str(self.home)

    def login(self, server: Server) -> None:
        from app.services import syncing

        self.use()
        syncing.login(self.session, server.url, self.name, SERVER_PASSWORD)

    def sync(self) -> Any:
        from app.services import syncing

        self.use()
        return syncing.sync(self.session)


@pytest.fixture
def clients(tmp_path: Path, memory_keyring) -> Iterator[Any]:
    made: list[Client] = []

    def make(name: str) -> Client:
        c = Client(tmp_path / f"home-{name}-{len(made)}", name).__enter__()
        made.append(c)
        return c

    yield make
    for c in made:
        c.__exit__()

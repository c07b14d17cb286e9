"""A client that sends its request body a byte a second (or stops sending it) is cut off with 408
and the connection closed, against the real `python -m server serve` process with short timeouts
from the environment; a body that keeps coming within them is served as usual. Raw sockets on
127.0.0.1, every wait bounded."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from server.config import ENV_BODY_IDLE_TIMEOUT, ENV_BODY_TIMEOUT
from tests.server.conftest import ServerProcess
from tests.server.helpers import PASSWORD

TOTAL, IDLE = 6.0, 2.0  # far apart: a loaded machine (CI's 2 cores under two workers) answered a cut at
# the idle timeout 1.6 s late, which with a total of 3 s could not be told from the total's cut


@pytest.fixture
def slow_server(tmp_path):
    import os
    import subprocess
    import sys

    from tests.server.conftest import ROOT

    data = tmp_path / "server-data"
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
    proc.start(env={ENV_BODY_TIMEOUT: str(TOTAL), ENV_BODY_IDLE_TIMEOUT: str(IDLE)})
    yield proc
    proc.stop()


def login_body() -> bytes:
    return json.dumps({"username": "ann", "password": PASSWORD, "device_id": "d1", "device_name": "t"}).encode()


def head(port: int, length: int, close: bool = False) -> bytes:
    return (
        f"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-FieldArchive-Protocol: 1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    ).encode()


def read_answer(sock: socket.socket, until: float) -> bytes:
    """Everything the server sends until it closes the connection (or the bounded wait ends)."""
    got = b""
    while time.monotonic() < until:
        sock.settimeout(max(0.05, until - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            break
        if not chunk:
            return got + b"<closed>"
        got += chunk
    return got


def trickle(port: int, body: bytes, gap: float, limit: float) -> tuple[bytes, float, int]:
    """Send the headers at once, then the body one byte per ``gap`` seconds; stop when the server has
    answered. Returns (answer, seconds from the first body byte to the answer, bytes sent)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head(port, len(body)))
        start, sent, answer = time.monotonic(), 0, b""
        for byte in body:
            try:
                sock.sendall(bytes([byte]))
            except OSError:  # the server has closed the connection
                break
            sent += 1
            answer = read_answer(sock, time.monotonic() + gap)
            if answer or time.monotonic() - start > limit:
                break
        answer += read_answer(sock, time.monotonic() + 5)
        return answer, time.monotonic() - start, sent


def test_a_body_sent_a_byte_a_second_is_cut_off(slow_server) -> None:
    answer, took, sent = trickle(slow_server.port, login_body(), gap=1.0, limit=20)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"code":"request_timeout"' in rest and answer.endswith(b"<closed>")
    assert TOTAL - 0.5 <= took <= TOTAL + 4 and sent < len(login_body())


def test_a_body_that_stops_coming_is_cut_off_after_the_idle_timeout(slow_server) -> None:
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=5) as sock:
        sock.sendall(head(slow_server.port, 100) + b'{"username"')
        start = time.monotonic()
        answer = read_answer(sock, start + 15)
        took = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408") and answer.endswith(b"<closed>"), answer[:200]
    assert IDLE - 0.5 <= took < TOTAL - 0.5  # cut by the idle timeout, well before the total would


def test_a_body_that_keeps_coming_in_time_is_served_and_the_server_stays_up(slow_server) -> None:
    body = login_body()
    pieces = [body[:20], body[20:60], body[60:]]
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=5) as sock:
        sock.sendall(head(slow_server.port, len(body), close=True))
        for piece in pieces:  # 3 pieces 0.6 s apart: each within IDLE, all within TOTAL
            time.sleep(0.6)
            sock.sendall(piece)
        answer = read_answer(sock, time.monotonic() + 10)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    r = httpx.post(
        slow_server.url + "/api/v1/auth/login",
        content=body,
        timeout=10,
        headers={"X-FieldArchive-Protocol": "1", "Content-Type": "application/json"},
    )
    assert r.status_code == 200 and r.json()["access_token"]


def test_serve_refuses_a_timeout_that_is_not_a_number(tmp_path) -> None:
    import os
    import subprocess
    import sys

    from tests.server.conftest import ROOT, free_port

    env = {**os.environ, ENV_BODY_TIMEOUT: "soon"}
    proc = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--data", str(tmp_path / "d"), "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and ENV_BODY_TIMEOUT in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr

"""``python -m server`` for the tests without paying its imports every time: a fork server.

Every test that runs the real server process (``serve``) or its admin command line started a new Python
that imported FastAPI, SQLAlchemy, uvicorn and the server's modules again: about 2 s of CPU each, hundreds of
times per run. A zygote process per test process imports them once and forks a child per command; the child
is the same program as ``python -m server ARGS`` (its own process, its own port, its own file descriptors, the
environment and working folder it is given, stdin from /dev/null) and exits with ``server.cli.main``'s code.
What the tests check is unchanged: they talk to a real server process over 127.0.0.1.

Where a fork would not be the same program, the command runs as a plain subprocess: settings that modules
read when imported (``PROMETHEUS_MULTIPROC_DIR``, ``FIELDARCHIVE_PG_WRITERS``) and ``--workers`` (uvicorn
starts its own worker processes). Children die with the zygote (``PR_SET_PDEATHSIG``), the zygote with its
test process (end of its stdin).
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
#: Environment variables that server modules read when they are imported (a fork would keep the zygote's).
IMPORT_TIME_ENV = ("PROMETHEUS_MULTIPROC_DIR", "FIELDARCHIVE_PG_WRITERS", "FIELDARCHIVE_STREAM_XLSX_BYTES")
#: The programs a child can become: ``python -m <name>``.
PROGRAMS = ("server", "app")


# ---------------------------------------------------------------------------------------------------------
# The zygote (runs in its own process: ``python -m tests.forkserver``)


def _child(req: dict[str, Any]) -> None:
    """In the forked child: become ``python -m <program> ARGS`` and exit with its code."""
    code = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: die with the zygote
        # as a new Python starts: SIGTERM and SIGINT by default, SIGPIPE ignored (Python's own setting, which
        # the zygote has too: with the default action a server writing to a killed client's socket would die)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        err = out if req["err"] == req["out"] else os.open(req["err"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the child's stdin for its whole life
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        tempfile.tempdir = None  # as in a new Python: the temp folder is found again from TMPDIR and the rest
        sys.argv = [sys.executable, *req["argv"]]
        if req["program"] == "app":
            from app.cli import main
        else:
            from server.cli import main  # type: ignore[assignment]

        try:
            code = int(main(list(req["argv"])) or 0)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - the child's last word goes to its stderr, as Python's would
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _zygote() -> None:
    """Read one JSON request per line on stdin, answer one JSON line on stdout."""
    import app.cli  # noqa: F401 - the imports every child would pay
    import server.app  # noqa: F401
    import server.cli  # noqa: F401

    children: set[int] = set()
    done: dict[int, int] = {}
    reply = sys.stdout

    def reap(pid: int, block: bool) -> int | None:
        if pid in done:
            return done[pid]
        try:
            got, status = os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return done.get(pid, -1)
        if got == 0:
            return None
        code = os.waitstatus_to_exitcode(status)
        done[pid] = code
        children.discard(pid)
        return code

    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        if op == "spawn":
            reply.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(req)
            # a pid is used again once its earlier owner is reaped: that owner's exit code is not this child's
            # (a new server's first poll answered -15, the code of a stopped server that had the same pid)
            done.pop(pid, None)
            children.add(pid)
            answer: dict[str, Any] = {"pid": pid}
        elif op == "poll":
            answer = {"code": reap(req["pid"], False)}
        elif op == "wait":
            deadline = time.monotonic() + float(req["timeout"])
            code = reap(req["pid"], False)
            while code is None and time.monotonic() < deadline:
                time.sleep(0.02)
                code = reap(req["pid"], False)
            answer = {"code": code}
        else:
            answer = {"error": f"unknown op {op!r}"}
        reply.write(json.dumps(answer) + "\n")
        reply.flush()
    for pid in list(children):  # the test process is gone: so are its servers
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for pid in list(children):
        reap(pid, True)


# ---------------------------------------------------------------------------------------------------------
# The test side


class _Zygote:
    """The test process's zygote, started at first use, one request at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None

    def ask(self, req: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "tests.forkserver"],
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    env={k: v for k, v in os.environ.items() if k not in IMPORT_TIME_ENV},
                )
                atexit.register(self.close)
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the fork server died")
            answer: dict[str, Any] = json.loads(line)
            if "error" in answer:
                raise RuntimeError(answer["error"])
            return answer

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.stdin is not None:
            proc.stdin.close()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


_ZYGOTE = _Zygote()


class ForkedProcess:
    """A forked ``python -m server`` child, with the part of ``subprocess.Popen``'s API the tests use."""

    def __init__(self, pid: int, stderr: IO[bytes] | None = None) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stderr = stderr  # what it wrote to its stderr, when that was asked for (popen_app)

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = _ZYGOTE.ask({"op": "poll", "pid": self.pid})["code"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            limit = 3600.0 if timeout is None else timeout
            self.returncode = _ZYGOTE.ask({"op": "wait", "pid": self.pid, "timeout": limit})["code"]
            if self.returncode is None:
                raise subprocess.TimeoutExpired(["server"], limit)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _forkable(argv: Sequence[str], env: Mapping[str, str]) -> bool:
    if "--workers" in argv or os.environ.get("FIELDARCHIVE_TEST_NO_FORK"):
        return False
    return all(env.get(k) == os.environ.get(k) for k in IMPORT_TIME_ENV)


def popen_server(
    argv: Sequence[str], *, env: Mapping[str, str], out: IO[bytes], cwd: Path = ROOT
) -> ForkedProcess | subprocess.Popen[bytes]:
    """``python -m server ARGV`` in the background, its output (both streams) appended to ``out``."""
    if not _forkable(argv, env):
        return subprocess.Popen([sys.executable, "-m", "server", *argv], cwd=cwd, stdout=out, stderr=out, env=dict(env))
    out.flush()
    req = {"op": "spawn", "program": "server", "argv": list(argv), "env": dict(env), "cwd": str(cwd)}
    req.update(out=out.name, err=out.name)
    return ForkedProcess(_ZYGOTE.ask(req)["pid"])


def popen_app(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path = ROOT
) -> ForkedProcess | subprocess.Popen[bytes]:
    """``python -m app ARGV`` in the background, stdin and stdout from and to /dev/null, its stderr readable
    from ``.stderr`` (a file, for a test that kills it midway and reports what it said)."""
    if not _forkable(argv, env):
        return subprocess.Popen(
            [sys.executable, "-m", "app", *argv],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    err = _scratch() / f"app-{time.time_ns()}.err"
    stderr = open(err, "wb+")  # noqa: SIM115 - read from its start when the test reports a failure
    req = {"op": "spawn", "program": "app", "argv": list(argv), "env": dict(env), "cwd": str(cwd)}
    return ForkedProcess(_ZYGOTE.ask({**req, "out": os.devnull, "err": str(err)})["pid"], stderr)


_SCRATCH: list[Path] = []


def _scratch() -> Path:
    """Where a command's captured output waits to be read: a folder of this test process, outside every
    folder a test looks into."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="fieldarchive-forkserver-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


def run_server(
    argv: Sequence[str], *, env: Mapping[str, str], timeout: float = 120, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """``python -m server ARGV`` to its end, as ``subprocess.run(..., capture_output=True, text=True)``."""
    return run_program("server", argv, env=env, timeout=timeout, cwd=cwd)


def run_app(
    argv: Sequence[str], *, env: Mapping[str, str], timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m app ARGV`` (the command line) to its end, stdin from /dev/null, output captured."""
    return run_program("app", argv, env=env, timeout=timeout, cwd=cwd or Path.cwd())


def run_program(
    program: str, argv: Sequence[str], *, env: Mapping[str, str], timeout: float, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``python -m PROGRAM ARGV`` to its end, as ``subprocess.run(..., capture_output=True, text=True)``."""
    assert program in PROGRAMS, program
    if not _forkable(argv, env):
        return subprocess.run(
            [sys.executable, "-m", program, *argv],
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=timeout,
        )
    stem = _scratch() / f"cmd-{time.time_ns()}"
    out, err = Path(f"{stem}.out"), Path(f"{stem}.err")
    req = {"op": "spawn", "program": program, "argv": list(argv), "env": dict(env), "cwd": str(cwd)}
    child = ForkedProcess(_ZYGOTE.ask({**req, "out": str(out), "err": str(err)})["pid"])
    try:
        code = child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(10)
        raise
    stdout, stderr = out.read_text(errors="replace"), err.read_text(errors="replace")
    out.unlink()
    err.unlink()
    return subprocess.CompletedProcess([sys.executable, "-m", program, *argv], code, stdout, stderr)


if __name__ == "__main__":
    _zygote()

"""A small HTTP-aware TCP fault proxy between the client and a real server, all on 127.0.0.1.

For each request it picks, at random but reproducibly (by seed), one of:
``pass``, ``drop_request`` (the server never sees it), ``drop_response`` (the server committed, the
client never hears), ``duplicate`` (the server gets it twice), ``delay`` (held longer than the
client's read timeout, then delivered), ``reset`` (the connection is reset in the middle of the
request body), ``truncate`` (half of the answer, then the connection closes).
Independently of the modes, ``rewrite`` (when set) may change the JSON body of an answer before it
is delivered: a server answering in a shape the client does not expect.
It runs its own asyncio loop in a thread and stops by itself with ``stop()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

MODES = ("pass", "drop_request", "drop_response", "duplicate", "delay", "reset", "truncate")


async def _read_message(reader: asyncio.StreamReader) -> bytes | None:
    """One HTTP/1.1 message (head + Content-Length body); None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1].strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0) rather than a clean FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.close()


def _rewritten(request: bytes, response: bytes, rewrite: Callable[[str, Any], Any]) -> bytes:
    """The answer with its JSON body replaced by ``rewrite``'s (sent plain, with its new length)."""
    head, _sep, body = response.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    gzipped = any(line.lower() == b"content-encoding: gzip" for line in lines)
    try:
        data = json.loads(gzip.decompress(body) if gzipped else body)
    except ValueError:
        return response
    new = rewrite(request.split(b"\r\n", 1)[0].decode("latin-1"), data)
    if new is None:
        return response
    raw = json.dumps(new).encode("utf-8")
    kept = [line for line in lines if not line.lower().startswith((b"content-length:", b"content-encoding:"))]
    return b"\r\n".join(kept + [b"content-length: %d" % len(raw)]) + b"\r\n\r\n" + raw


class FaultProxy:
    def __init__(self, upstream_port: int, seed: int, weights: dict[str, float], delay: float) -> None:
        self.upstream_port, self.delay = upstream_port, delay
        self.rng = random.Random(seed)
        self.weights = weights
        self.enabled = True
        self.counts: Counter[str] = Counter()
        self.requests = 0
        self.pushes = 0  # push requests, each one batch of mutations
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0
        #: (request line, decoded JSON answer) -> the JSON to send instead (None: unchanged)
        self.rewrite: Callable[[str, Any], Any] | None = None

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("fault proxy did not start")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.server = server
        self.ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    def stop(self) -> None:
        """Stop listening, end the connections still open (a client's kept-alive one) and the loop; a
        connection's task left pending would be reported, at garbage collection, in a later test."""

        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- faults ------------------------------------------------------------------------------
    def _pick(self) -> str:
        if not self.enabled:
            return "pass"
        modes, weights = zip(*self.weights.items(), strict=True)
        return self.rng.choices(modes, weights)[0]

    async def _forward(self, request: bytes) -> bytes | None:
        try:
            r, w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            return None
        try:
            w.write(request)
            await w.drain()
            return await _read_message(r)
        except (ConnectionError, asyncio.IncompleteReadError):
            return None
        finally:
            w.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_message(reader)
                if request is None:
                    break
                self.requests += 1
                if request.startswith(b"POST /api/v1/sync/push"):
                    self.pushes += 1
                mode = self._pick()
                self.counts[mode] += 1
                if not await self._handle(mode, request, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _handle(self, mode: str, request: bytes, writer: asyncio.StreamWriter) -> bool:
        """Serve one request in ``mode``; False when the client connection is gone."""
        if mode == "drop_request":
            _abort(writer)
            return False
        if mode == "reset":
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            up_w.write(request[: max(1, len(request) * 2 // 3)])
            await up_w.drain()
            _abort(up_w)
            _abort(writer)
            return False
        if mode == "delay":
            await asyncio.sleep(self.delay)
        if mode == "duplicate":
            await self._forward(request)
        response = await self._forward(request)
        if response is None or mode == "drop_response":
            _abort(writer)
            return False
        if mode == "truncate":
            writer.write(response[: len(response) // 2])
            await writer.drain()
            _abort(writer)
            return False
        if self.rewrite is not None:
            response = _rewritten(request, response, self.rewrite)
        writer.write(response)
        await writer.drain()
        return True

    def stats(self) -> dict[str, Any]:
        return {"requests": self.requests, "pushes": self.pushes, **dict(self.counts)}

"""Transport rules applied before any route: protocol version, body size, body time, gzip bodies.

Pure ASGI (no buffering of responses). The request body is read with a hard limit, and a gzip body
is inflated with a limit on the *output*, so a small "zip bomb" is refused with 413 instead of
filling memory. The body must also keep coming: each piece within ``body_idle_timeout`` seconds of
the previous one and all of it within ``body_timeout`` seconds, else 408 and the connection is
closed (uvicorn has a keep-alive timeout but none for a body sent a byte a second, which would hold
a connection and its task for as long as the client likes). Every refusal uses the protocol's JSON
error shape.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.models.wire import API_PREFIX, MAX_BODY, MAX_CHUNK, MIN_PROTOCOL_VERSION, PROTOCOL_HEADER, ErrorCode
from server.errors import error_response
from server.runconfig import ClientPolicy

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

NO_PROTOCOL_CHECK = (f"{API_PREFIX}/info",)
PHOTO_PREFIX = f"{API_PREFIX}/photos/"


class Refused(Exception):
    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers
        self.extra = extra or {}


def body_limit(scope: Scope) -> int:
    return MAX_CHUNK if scope["path"].startswith(PHOTO_PREFIX) else MAX_BODY


def protocol_ok(headers: dict[str, str]) -> bool:
    value = headers.get(PROTOCOL_HEADER.lower(), "").strip()
    return value.isascii() and value.isdigit() and len(value) < 6 and int(value) >= MIN_PROTOCOL_VERSION


def _too_slow() -> Refused:
    return Refused(
        408, ErrorCode.REQUEST_TIMEOUT, "The request body came too slowly; send it again.", {"Connection": "close"}
    )


async def read_body(receive: Receive, limit: int, idle: float | None = None, total: float | None = None) -> bytes:
    body = bytearray()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total if total else None
    while True:
        wait = idle or None
        if deadline is not None:
            left = deadline - loop.time()
            if left <= 0:
                raise _too_slow()
            wait = left if wait is None else min(wait, left)
        try:
            message = await (receive() if wait is None else asyncio.wait_for(receive(), wait))
        except TimeoutError:
            raise _too_slow() from None
        if message["type"] == "http.disconnect":
            raise Refused(400, ErrorCode.BAD_REQUEST, "The client went away.")
        body += message.get("body", b"")
        if len(body) > limit:
            raise Refused(413, ErrorCode.TOO_LARGE, f"The request body is larger than {limit} bytes.")
        if not message.get("more_body", False):
            return bytes(body)


def gunzip(raw: bytes, limit: int) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(raw, limit + 1)
    except zlib.error:
        raise Refused(400, ErrorCode.BAD_REQUEST, "The body is not valid gzip.") from None
    if len(out) > limit or d.unconsumed_tail:
        raise Refused(413, ErrorCode.TOO_LARGE, f"The request body inflates to more than {limit} bytes.")
    if not d.eof or d.unused_data:
        raise Refused(400, ErrorCode.BAD_REQUEST, "The gzip body is truncated or has trailing data.")
    return out


class TransportMiddleware:
    def __init__(
        self,
        app: Callable[..., Awaitable[None]],
        body_idle_timeout: float | None = None,
        body_timeout: float | None = None,
        clients: ClientPolicy | None = None,
    ) -> None:
        self.app = app
        self.body_idle_timeout, self.body_timeout = body_idle_timeout, body_timeout
        self.clients = clients or ClientPolicy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            path = scope["path"]
            if (
                path.startswith(API_PREFIX)
                and path not in NO_PROTOCOL_CHECK
                and (not protocol_ok(headers) or self.clients.too_old(headers.get("user-agent", "")))
            ):
                raise Refused(
                    426,
                    ErrorCode.CLIENT_TOO_OLD,
                    "This client is too old for the server: please update it.",
                    extra={k: v for k, v in self.clients.wire().items() if k != "client_version"},
                )
            body, headers_out = await self._body(scope, receive, headers)
        except Refused as r:
            response = error_response(r.status, r.code, r.message, headers=r.headers, **r.extra)
            await response(scope, receive, send)
            return
        sent = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers_out}, replay, send)

    async def _body(self, scope: Scope, receive: Receive, headers: dict[str, str]) -> tuple[bytes, list[Any]]:
        limit = body_limit(scope)
        length = headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > limit:
            raise Refused(413, ErrorCode.TOO_LARGE, f"The request body is larger than {limit} bytes.")
        raw = await read_body(receive, limit, self.body_idle_timeout, self.body_timeout)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding == "gzip":
            raw = gunzip(raw, limit)
        elif encoding not in ("", "identity"):
            raise Refused(415, ErrorCode.BAD_REQUEST, f"Unsupported Content-Encoding {encoding!r}; use gzip.")
        kept = [
            (k, v) for k, v in scope.get("headers", []) if k.lower() not in (b"content-encoding", b"content-length")
        ]
        kept.append((b"content-length", str(len(raw)).encode()))
        return raw, kept

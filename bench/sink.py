"""``python -m bench.sink --port P``: the baseline server for ``bench.sync``.

The thinnest ASGI app on the same uvicorn as the real server: a POST or PUT reads the whole body
and answers ``{}``; a GET answers ``n`` bytes (``?n=``). Bare ``requests`` against it measures
what moving the same bytes over loopback costs, without the protocol's work.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import parse_qs

import uvicorn

BLOB = b"x" * (16 * 1024 * 1024)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["method"] == "GET":
        n = int(parse_qs(scope.get("query_string", b"").decode()).get("n", ["0"])[0])
        body = BLOB[:n]
    else:
        body = b"{}"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

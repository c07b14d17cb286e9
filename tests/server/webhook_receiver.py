"""A webhook receiver for the tests, run as its own process: the example of docs/webhook_receiver.py (its
signature check and its once-only store) with faults put in front of it. Each request is logged (one JSON
line: delivery id, what happened) to ``--log``.

    python tests/server/webhook_receiver.py --port P --secret-file F --store S --log L [--fail N] [--drop N]

``--cert C --key K``: serve HTTPS with that certificate chain and key (PEM files).
``--fail N``: the first N signed requests answer 500 and apply nothing. ``--drop N``: the N after those
are applied and then the connection is closed without an answer (the sender sees a dropped connection).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import ssl
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "webhook_receiver.py"
_spec = importlib.util.spec_from_file_location("webhook_receiver_example", EXAMPLE)
assert _spec is not None and _spec.loader is not None
example: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--secret-file", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--fail", type=int, default=0)
    p.add_argument("--drop", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    args = p.parse_args()
    secret = Path(args.secret_file).read_text().strip()
    store = example.Store(Path(args.store))
    base = example.make_handler(secret, store)
    lock = threading.Lock()
    seen = {"n": 0}
    log = Path(args.log)

    def note(delivery: str, what: str) -> None:
        with lock, log.open("a") as f:
            f.write(json.dumps({"delivery": delivery, "what": what}) + "\n")

    class Faulty(base):  # type: ignore[misc,valid-type]  # a class made at run time by the example
        def received(self, delivery: str, batch: dict[str, Any]) -> None:
            with lock:
                seen["n"] += 1
                n = seen["n"]
            if n <= args.fail:
                note(delivery, "500")
                self.answer(500, "not now")
                return
            if n <= args.fail + args.drop:
                new = store.apply_once(delivery, batch)
                note(delivery, "dropped-after-apply" if new else "dropped-duplicate")
                self.close_connection = True
                self.connection.shutdown(2)  # no answer: the sender's read fails
                return
            new = store.apply_once(delivery, batch)
            note(delivery, "applied" if new else "duplicate")
            self.answer(200, "applied" if new else "already applied")

        def answer(self, status: int, text: str) -> None:
            if status == 401:
                note(self.headers.get("X-FieldArchive-Delivery", ""), "401")
            super().answer(status, text)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Faulty)
    if args.cert:  # a failed handshake ends that connection only; no request reaches the handler
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

"""An example receiver of FieldArchive webhooks (docs/integrations.md "Webhooks"): standard library only.

    python docs/webhook_receiver.py --port 8080 --secret-file webhook.secret --store received.db

It checks each POST's signature and timestamp, applies each delivery once (its id is stored in the same
SQLite transaction as the changes it carries: a batch sent again, after a dropped connection or a
replay, changes nothing and is answered 200), and answers 2xx only once the batch is stored. Put it
behind an HTTPS proxy (the server posts only to https://, or http:// on loopback for tests).
Replace :func:`apply` with what your system does with a change; an alert event (``events``) is kept in
the table ``events`` (page someone from there).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TOLERANCE = 300  # seconds a timestamp may be off: an older request is a replay and is refused
MAX_BODY = 16 * 1024 * 1024


def verify(secret: str, timestamp: str, signature: str, body: bytes, now: float | None = None) -> bool:
    """True when ``signature`` is ``sha256=`` + HMAC-SHA256(secret, timestamp + "." + body), in constant
    time, and the timestamp is within TOLERANCE seconds of now."""
    if not timestamp.isdigit() or abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE:
        return False
    mac = hmac.new(secret.encode("ascii"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), signature)


class Store:
    """The deliveries applied and the changes they carried (one SQLite file; one writer at a time)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.lock = threading.Lock()
        self.db.execute("CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, at REAL)")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS changes (seq INTEGER, kind TEXT, record_id TEXT, code TEXT, "
            "version INTEGER, delivery TEXT, values_json TEXT)"
        )
        self.db.execute("CREATE TABLE IF NOT EXISTS events (delivery TEXT, type TEXT, event_json TEXT)")

    def apply_once(self, delivery: str, batch: dict[str, Any]) -> bool:
        """Apply a batch unless its delivery id was applied before; True when it was new."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if self.db.execute("SELECT 1 FROM deliveries WHERE id = ?", (delivery,)).fetchone():
                    self.db.execute("ROLLBACK")
                    return False
                self.db.execute("INSERT INTO deliveries VALUES (?, ?)", (delivery, time.time()))
                for change in batch.get("changes") or []:
                    apply(self.db, delivery, change)
                for event in batch.get("events") or []:  # alerts to admins (an integration holding alerts:read)
                    self.db.execute(
                        "INSERT INTO events VALUES (?, ?, ?)",
                        (delivery, event.get("type"), json.dumps(event, ensure_ascii=False)),
                    )
                self.db.execute("COMMIT")
                return True
            except BaseException:
                self.db.execute("ROLLBACK")
                raise


def apply(db: sqlite3.Connection, delivery: str, change: dict[str, Any]) -> None:
    """What this system does with one approved change (here: keep it). A change of a record older than
    one already applied (a replayed batch) can be told by ``version``."""
    db.execute(
        "INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            change["seq"],
            change["kind"],
            change["record_id"],
            change["code"],
            change["version"],
            delivery,
            json.dumps(change["values"], ensure_ascii=False),
        ),
    )


def make_handler(secret: str, store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self.answer(400, "no body or too large")
                return
            body = self.rfile.read(length)
            timestamp = self.headers.get("X-FieldArchive-Timestamp", "")
            signature = self.headers.get("X-FieldArchive-Signature", "")
            delivery = self.headers.get("X-FieldArchive-Delivery", "")
            if not verify(secret, timestamp, signature, body):
                self.answer(401, "bad signature or timestamp")
                return
            batch = json.loads(body)
            if batch.get("delivery") != delivery:
                self.answer(400, "the delivery id of the header and the body differ")
                return
            self.received(delivery, batch)

        def received(self, delivery: str, batch: dict[str, Any]) -> None:
            new = store.apply_once(delivery, batch)
            self.answer(200, "applied" if new else "already applied")

        def answer(self, status: int, text: str) -> None:
            data = json.dumps({"result": text}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's name)
            pass

    return Handler


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--secret-file", required=True, help="a file holding the webhook's secret")
    p.add_argument("--store", default="received.db", help="the SQLite file of applied deliveries")
    args = p.parse_args(argv)
    secret = Path(args.secret_file).read_text().strip()
    server = ThreadingHTTPServer((args.host, args.port), make_handler(secret, Store(Path(args.store))))
    server.serve_forever()


if __name__ == "__main__":
    main()

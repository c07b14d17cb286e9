"""A stand-in for another system of the bureau (the monopoly licence system, the distribution system),
run as its own process by tests/sync/test_integrations_sync.py: it POSTs one batch of items to an inbound
feed of the server with its integration token and prints ``{"status": HTTP status, "answer": body}``.

    python tests/sync/fake_system.py URL ENDPOINT TOKEN ITEMS.json
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request


def main() -> None:
    url, endpoint, token, items_file = sys.argv[1:5]
    with open(items_file, encoding="utf-8") as f:
        items = json.load(f)
    request = urllib.request.Request(
        f"{url}/api/v1/integrations/{endpoint}",
        data=json.dumps({"items": items}).encode("utf-8"),
        headers={
            "Authorization": f"Bearer {token}",
            "X-FieldArchive-Protocol": "1",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    print(json.dumps({"status": status, "answer": json.loads(body or b"null")}, ensure_ascii=False))


if __name__ == "__main__":
    main()

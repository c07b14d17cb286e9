"""The standards' rules hold at the server too (SQLite and PostgreSQL): a push goes through the same
validation (fast path or not), and the server's own number parsing takes ASCII digits only."""

from __future__ import annotations

import uuid

from stdnum.cn import ric

from tests.server.helpers import create, demo_values, save


def id_number(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def test_a_push_stores_the_standard_forms(api, world):
    """+86 and the area code without its 0 (E.164) → 010-…; a local number in groups is one number;
    a 2023 foreign permanent resident ID; an internationalised email; a withdrawn GB/T 2260 county."""
    values = demo_values()[0]
    values.update(
        {
            "landline": "+86 10 1234 5678",
            "id_card": id_number("96184019800101001"),
            "email": "汉字@QQ.com",
            "contact_phone": "149 1234 5678",
        }
    )
    rec = create(api, world["c1"], values)
    assert rec["values"]["landline"] == "010-12345678"
    assert rec["values"]["id_card"] == id_number("96184019800101001")
    assert rec["values"]["email"] == "汉字@qq.com"
    assert rec["values"]["contact_phone"] == "14912345678"
    values["landline"] = "021-3422-5814"
    assert create(api, world["c1"], values)["values"]["landline"] == "021-34225814"


def test_a_push_with_digits_of_another_script_is_refused_field_by_field(api, world):
    rid = str(uuid.uuid4())
    values = {
        "shop_name": "好又多",
        "contact_phone": "١٣٨١٢٣٤٥٦٧٨",
        "bank_account": "٦٢٢٢٠٢١٢٣٤٥٦٧٨٩٠١٢٨",
        "id_card": id_number("61019919800101001"),
        "region_code": "710007",
    }
    res = api.push1(world["c1"], save(rid, values))
    assert res["status"] == "rejected" and res["record"] is None
    errors = {e["field"]: e for e in res["errors"]}
    assert errors["contact_phone"]["code"] == errors["bank_account"]["code"] == "digits.not_ascii"
    assert errors["id_card"]["code"] == "id_card.address" and errors["region_code"]["code"] == "region.unknown"
    assert "0–9" in errors["bank_account"]["message"]


def test_a_superscript_protocol_version_is_refused_not_a_server_error(server_process):
    """HTTP header bytes are latin-1: "²" (0xB2) passes str.isdigit() but not int(); only 0–9 count.
    A real server process, since the test client does not pass such a header through."""
    import socket

    server_process.start()
    with socket.create_connection(("127.0.0.1", server_process.port), timeout=10) as sock:
        sock.sendall(
            b"GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-FieldArchive-Protocol: \xb2\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        for _ in range(100):  # bounded: the server closes the connection after its answer
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 426 ") and b"client_too_old" in answer

"""Bad input is never a 5xx (issue 13): lone surrogates and NUL in any text, values nested hundreds of
levels deep, extreme months. A whole request answers 422 naming the field; inside a push only the
mutation that carries it is ``rejected`` (code and field named), the rest of the batch applies, and
nothing of it is stored. On SQLite and on PostgreSQL (which refuses NUL in text)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.schema import customers, mutations, review_decisions
from server.wirecheck import MAX_DEPTH
from tests.server.helpers import create, decide, demo_values, mid, save, submit, visit

CONTENT_CODES = {"text.nul", "text.surrogate", "value.too_deep", "value.too_large"}


def post(api, path: str, token: str | None, body: Any) -> Any:
    """``body`` as JSON text with every non-ASCII character escaped (lone surrogates as ``\\ud800``),
    as a client other than ours may send it."""
    return api.call(
        "POST", path, token, content=json.dumps(body).encode("ascii"), headers={"Content-Type": "application/json"}
    )


def nested(depth: int, leaf: Any = "x") -> Any:
    for i in range(depth):
        leaf = [leaf] if i % 2 else {"k": leaf}
    return leaf


def deep_path(prefix: str, depth: int, start: int) -> str:
    """Where the wire finds ``nested(depth)`` too deep when its outermost level is ``start`` levels
    below the body: at the level that would be the (MAX_DEPTH + 1)th."""
    parts = ["0" if i % 2 else "k" for i in range(depth - 1, -1, -1)][: MAX_DEPTH - start]
    return ".".join([prefix, *parts])


def count(db, table) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar())


def test_a_push_rejects_each_mutation_with_bad_content_by_name_and_applies_the_rest(api, world, db):
    rec = create(api, world["c1"])
    good = [save(str(uuid.uuid4()), v) for v in demo_values(3, seed=5)]
    rid = str(uuid.uuid4())
    bad: list[tuple[dict[str, Any], str, str]] = []

    def add(m: dict[str, Any], field: str, code: str) -> None:
        bad.append((m, field, code))

    add(save(rid, {"shop_name": "好\ud800"}), "changes.shop_name.new", "text.surrogate")
    add(save(rid, {"shop_name": ("\udfff旧", "新")}), "changes.shop_name.old", "text.surrogate")
    add(save(rid, {"shop_name": "好\x00店"}), "changes.shop_name.new", "text.nul")
    add(save(rid, {"shop_\ud800": "x"}), "changes.shop_\\ud800", "text.surrogate")
    add(save(rid, {"shop_name": nested(300)}), deep_path("changes.shop_name.new", 300, 5), "value.too_deep")
    add(
        save(rid, {"shop_name": "好"}, provenance={"source": "phone", "source_ref": "\ud83d"}),
        "provenance.source_ref",
        "text.surrogate",
    )
    add(save(rid, {"shop_name": "好"}, provenance={"source": "phone", "at": "2026\x00"}), "provenance.at", "text.nul")
    add(submit(rec["id"], rec["version"], note="请审\udc00核"), "note", "text.surrogate")
    v = visit(rec["id"])
    v["visit"]["notes"] = "门店\x00关门"
    add(v, "visit.notes", "text.nul")
    v = visit(rec["id"])
    v["visit"]["purpose"] = "\ud800"
    add(v, "visit.purpose", "text.surrogate")
    batch = [good[0], *[m for m, _f, _c in bad[:5]], good[1], *[m for m, _f, _c in bad[5:]], good[2]]
    r = post(api, "/sync/push", world["c1"], {"mutations": batch})
    assert r.status_code == 200, r.text
    results = {x["mutation_id"]: x for x in r.json()["results"]}
    assert [x["mutation_id"] for x in r.json()["results"]] == [m["mutation_id"] for m in batch]
    for m in good:
        assert results[m["mutation_id"]]["status"] == "applied"
    for m, field, code in bad:
        res = results[m["mutation_id"]]
        assert res["status"] == "rejected" and res["record"] is None, res
        assert [(e["field"], e["code"]) for e in res["errors"]] == [(field, code)]
    assert count(db, customers) == 4  # the first one and the three good ones
    with db.read() as conn:
        kept = set(conn.execute(select(mutations.c.mutation_id)).scalars())
    assert not kept & {m["mutation_id"] for m, _f, _c in bad}  # a refusal is not stored: a resend gets the same
    again = post(api, "/sync/push", world["c1"], {"mutations": batch}).json()["results"]
    assert again == r.json()["results"]


def test_a_review_decision_with_a_nul_in_its_reason_is_rejected_alone(api, world, db):
    recs = [create(api, world["c1"]) for _ in range(2)]
    for rec in recs:
        assert api.push1(world["c1"], submit(rec["id"], rec["version"]))["status"] == "applied"
    bad = decide(recs[0]["id"], recs[0]["version"] + 1, "return", "照片\x00不清楚")
    good = decide(recs[1]["id"], recs[1]["version"] + 1, "return", "照片不清楚")
    r = post(api, "/sync/push", world["s1"], {"mutations": [bad, good]})
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["status"] == "rejected" and [(e["field"], e["code"]) for e in first["errors"]] == [
        ("decision.reason", "text.nul")
    ]
    assert second["status"] == "applied" and second["record"]["status"] == "returned"
    assert count(db, review_decisions) == 1


def test_depth_is_counted_from_the_body_and_the_limit_itself_is_accepted(api, world):
    # body (1) > mutations (2) > mutation (3) > changes (4) > change (5) > value: MAX_DEPTH levels in all
    ok = save(str(uuid.uuid4()), {"shop_name": nested(MAX_DEPTH - 5, "好")})
    deep = save(str(uuid.uuid4()), {"shop_name": nested(MAX_DEPTH - 4, "好")})
    r = post(api, "/sync/push", world["c1"], {"mutations": [ok, deep]})
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["status"] == "rejected" and first["errors"][0]["code"] not in CONTENT_CODES, first
    # (refused by the form: a name is not a list; not by the wire)
    assert second["status"] == "rejected" and second["errors"][0]["code"] == "value.too_deep"


def test_integers_beyond_64_bits_are_refused_by_name_and_the_limits_themselves_pass_the_wire(api, world):
    """orjson writes a mutation's canonical bytes and refuses integers beyond 64 bits: such a mutation was
    a 500 (schemathesis found it in a service's body). Now it is ``rejected`` as ``value.too_large``
    on both paths of a push, and the whole request is a 422 elsewhere."""
    rid = str(uuid.uuid4())
    fast = [save(rid, {"remarks": 2**64}), save(rid, {"remarks": -(2**63) - 1})]  # the fast path's shape
    limits = [save(str(uuid.uuid4()), {"remarks": 2**64 - 1}), save(str(uuid.uuid4()), {"remarks": -(2**63)})]
    service_add = {  # the body schemathesis sent: not the fast path's shape, and an id used twice
        "kind": "service.add",
        "mutation_id": "0",
        "record_id": "00000000-0000-0000-0000-000000000000",
        "base_version": 0,
        "service": {
            "id": "00000000-0000-0000-0000-000000000000",
            "kind": "",
            "on_date": "",
            "body": {"": None, "*/\ud923\udd35r": [None, -12682136550675316736]},
        },
    }
    batch = [{"\ud800": 0, **service_add}, service_add, *fast, *limits]
    r = post(api, "/sync/push", world["c1"], {"mutations": batch})
    assert r.status_code == 200, r.text
    got = [(x["status"], [(e["field"], e["code"]) for e in x["errors"]]) for x in r.json()["results"]]
    assert got[:4] == [
        ("rejected", [("\\ud800", "text.surrogate")]),
        ("rejected", [("service.body.*/\U00058d35r.1", "value.too_large")]),
        ("rejected", [("changes.remarks.new", "value.too_large")]),
        ("rejected", [("changes.remarks.new", "value.too_large")]),
    ], r.text
    for status, errors in got[4:]:  # the limits pass the wire; the form is what says no to a number there
        assert status == "rejected" and errors and errors[0][1] not in CONTENT_CODES, r.text
    login = {"username": "c1", "password": "x", "device_id": "d", "device_name": "笔记本", "n": [1, 10**20]}
    r = post(api, "/auth/login", None, login)
    assert r.status_code == 422 and [(f["field"], f["code"]) for f in r.json()["fields"]] == [
        ("n.1", "value.too_large")
    ], r.text


def test_whatever_the_wire_lets_through_can_be_written_by_orjson():
    """The push's digest and every answer are written by orjson: what ``bad_content`` passes, it must write."""
    import orjson

    from server.wirecheck import bad_content

    @settings(max_examples=400, deadline=None, database=None)
    @given(value)
    def check(v):
        if bad_content(v) is None:
            orjson.dumps(v)

    check()


def test_a_body_is_read_by_orjson_only_when_it_reads_it_as_the_standard_parser_does():
    """orjson makes an integer beyond 64 bits a float (with invented low digits): a body that may hold one
    goes to the standard parser. Whatever is left to orjson reads the same, types included; digits in
    strings (a bank account of 19 digits) do not send a body the slow way."""
    import orjson

    from server.wirecheck import may_hold_long_integer

    def same(a: Any, b: Any) -> bool:
        if type(a) is not type(b):
            return False
        if type(a) is dict:
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if type(a) is list:
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        return a == b

    digits = st.text("0123456789 -:,[", min_size=15, max_size=25)
    number = st.one_of(st.integers(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False))
    json_value = st.recursive(
        st.one_of(st.none(), st.booleans(), number, digits),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(digits, inner, max_size=3)),
        max_leaves=8,
    )

    @settings(max_examples=500, deadline=None, database=None)
    @given(json_value, st.sampled_from([None, 0, 2]), st.sampled_from([(",", ":"), (", ", ": "), (" ,", " :\n")]))
    def check(v, indent, separators):
        body = json.dumps(v, indent=indent, separators=separators).encode()
        if not may_hold_long_integer(body):
            assert same(orjson.loads(body), json.loads(body)), body

    check()
    assert may_hold_long_integer(b'{"n": [1, -12682136550675316736]}')
    assert may_hold_long_integer(b"[\n  12682136550675316736]")
    assert not may_hold_long_integer(b'{"bank_account": "6222023608377835332", "n": 922337203685477580}')  # 18 digits
    assert not may_hold_long_integer(b'{"x": "a6222023608377835332111"}')


def test_whole_requests_with_bad_text_or_nesting_are_422_naming_the_field(api, world):
    login = {"username": "c1", "password": "x", "device_id": "d", "device_name": "笔记本"}
    cases = [
        ("/auth/login", None, {**login, "username": "c1\ud800"}, "username", "text.surrogate"),
        ("/auth/login", None, {**login, "device_name": "笔记本\x00"}, "device_name", "text.nul"),
        ("/auth/login", None, {**login, "x\ud800": 1}, "x\\ud800", "text.surrogate"),
        ("/auth/login", None, {**login, "password": nested(40)}, "password", "string_type"),  # the model's own 422
        ("/auth/refresh", None, {"refresh_token": "\x00", "device_id": "d"}, "refresh_token", "text.nul"),
        ("/audit", world["c1"], {"entries": [{"seq": 1, "old": "\ud800"}]}, "entries.0.old", "text.surrogate"),
        ("/sync/push", world["c1"], {"mutations": [], "x\ud800": 1}, "x\\ud800", "text.surrogate"),
    ]
    for path, token, body, field, code in cases:
        r = post(api, path, token, body)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["code"] == "validation"
        assert (field, code) in [(f["field"], f["code"]) for f in r.json()["fields"]], (path, r.text)
    # deeper than either JSON parser goes: still a 422 naming the body
    for path in ("/sync/push", "/auth/login", "/audit"):
        r = api.call(
            "POST", path, world["c1"], content=b"[" * 5000 + b"]" * 5000, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 422 and r.json()["fields"][0]["code"] == "value.too_deep", r.text
    # a push whose mutation cannot even be named is refused whole, as any malformed push
    r = post(
        api,
        "/sync/push",
        world["c1"],
        {"mutations": [{**save(str(uuid.uuid4()), {"shop_name": "\ud800"}), "mutation_id": "\ud800"}]},
    )
    assert r.status_code == 422 and ("mutations.0.mutation_id", "text.surrogate") in [
        (f["field"], f["code"]) for f in r.json()["fields"]
    ], r.text
    r = post(api, "/sync/push", world["c1"], {"mutations": [{"mutation_id": 5, "x\ud800\x00": {"\udc00": 1}}]})
    assert r.status_code == 422 and r.json()["fields"], r.text  # the models' reasons, their field names made safe


def test_monthly_report_months_out_of_range_are_422_on_month(api, world):
    cases = {
        "9999-12": "month.range",
        "0001-01": "month.range",
        "1969-12": "month.range",
        "3000-01": "month.range",
        "0000-01": "month.format",
        "2026-13": "month.format",
        "2999-12": "month.future",
    }
    for month, code in cases.items():
        r = api.call("GET", f"/reports/monthly?month={month}", world["s1"])
        assert r.status_code == 422, (month, r.text)
        assert [(f["field"], f["code"]) for f in r.json()["fields"]] == [("month", code)], (month, r.text)
    r = api.call("GET", "/reports/monthly?month=2026-1", world["s1"])  # the route's own pattern
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "month", r.text
    r = api.call("GET", "/reports/monthly?month=1970-01", world["s1"])
    assert r.status_code == 200 and r.json()["month"] == "1970-01", r.text


# ---- property: a push never answers 5xx, whatever the text and the nesting ----------------------------
odd_char = st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff", "\ufffe"]))
odd_text = st.text(odd_char, max_size=8)
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**20),
    st.sampled_from([2**64 - 1, 2**64, -(2**63), -(2**63) - 1]),
    odd_text,
    st.sampled_from(["9999-12-31", "0001-01-01", "+10000-01-01", "2026-02-30"]),
)
value = st.one_of(
    st.recursive(
        leaf,
        lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(odd_text, inner, max_size=2)),
        max_leaves=6,
    ),
    st.builds(nested, st.integers(20, 400), leaf),
)
FIELDS = ["shop_name", "address", "contact_phone", "business_area", "licence_expiry_date", "remarks"]


@st.composite
def mutation(draw, record_ids: list[str]):
    kind = draw(
        st.sampled_from(["customer.save", "customer.submit", "visit.create", "review.decide", "customer.check"])
    )
    rid = draw(st.sampled_from(record_ids)) if kind != "customer.save" or draw(st.booleans()) else str(uuid.uuid4())
    m: dict[str, Any] = {"mutation_id": mid(), "kind": kind, "record_id": rid, "base_version": draw(st.integers(0, 3))}
    if kind == "customer.save":
        keys = draw(st.lists(st.one_of(st.sampled_from(FIELDS), odd_text), min_size=1, max_size=3, unique=True))
        m["changes"] = {k: {"old": draw(value), "new": draw(value)} for k in keys}
    elif kind == "customer.submit":
        m["note"] = draw(odd_text)
    elif kind == "visit.create":
        m["visit"] = {
            "id": str(uuid.uuid4()),
            "visited_on": draw(st.sampled_from(["9999-12-31", "0001-01-01", "2026-01-01", "x"])),
            "notes": draw(odd_text),
            "purpose": draw(odd_text),
        }
    elif kind == "review.decide":
        m["decision"] = {"action": draw(st.sampled_from(["approve", "return"])), "reason": draw(odd_text)}
    else:
        m["check"] = {"kind": "quarterly", "day": draw(st.sampled_from(["9999-12-31", "0001-01-01", "2026-01-01"]))}
    if draw(st.booleans()):
        m["provenance"] = {
            "source": "phone",
            "source_ref": draw(odd_text),
            "info_date": draw(st.sampled_from([None, "9999-12-31", "0001-01-01"])),
            "at": draw(odd_text),
        }
    return m


def _bad(v: Any) -> bool:
    from server.wirecheck import bad_content

    return bad_content(v, depth=2) is not None


def test_a_push_never_answers_5xx_and_refuses_exactly_the_bad_mutations(api, world, db):
    record_ids = [create(api, world["c1"])["id"] for _ in range(2)]

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(mutation(record_ids), min_size=1, max_size=4), st.sampled_from(["c1", "s1"]))
    def check(batch, who):
        r = post(api, "/sync/push", world[who], {"mutations": batch})
        assert r.status_code < 500, r.text
        assert r.status_code == 200, r.text  # every mutation here is well-formed in shape
        results = r.json()["results"]
        assert [x["mutation_id"] for x in results] == [m["mutation_id"] for m in batch]
        for m, res in zip(batch, results, strict=True):
            refused_for_content = res["status"] == "rejected" and res["errors"][0]["code"] in CONTENT_CODES
            assert refused_for_content == _bad(m), (m, res)

    check()

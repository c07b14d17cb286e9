"""Governed access on the server (docs/domain.md "Access to personal data"): who looked at a customer,
read from the uploaded audit trails, for its supervisor and admins only; export requests approved by
the applicant's supervisor or an admin, never by the applicant, once."""

from __future__ import annotations

import json
from typing import Any

from app.models.audit_chain import GENESIS, entry_hash
from tests.server.helpers import create


def access_trail(device: str, actor: str, views: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """A device's trail of (kind, customer id or "", time) access entries, chained as a client writes them."""
    out, prev = [], GENESIS
    for seq, (kind, cid, at) in enumerate(views, start=1):
        e = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "device": device,
            "entity": "export" if kind == "export" else "access",
            "entity_id": cid or f"own-id-{seq}",
            "action": kind,
            "field": None,
            "old": None,
            "new": json.dumps({"kind": kind, **({"customer": cid} if cid else {"query": "王"})}, ensure_ascii=False),
            "source": "system",
            "source_ref": "",
            "info_date": None,
        }
        e["prev_hash"], e["hash"] = prev, entry_hash(prev, e)
        prev = e["hash"]
        out.append(e)
    return out


def test_who_looked_at_a_customer_for_its_supervisor_and_admins(api, world) -> None:
    mine = create(api, world["c1"])["id"]
    other_team = create(api, world["c3"])["id"]
    c1 = access_trail(
        "dev-c1",
        "c1",
        [
            ("open", mine, "2026-11-23T08:00:00.000Z"),
            ("search", "", "2026-11-23T08:01:00.000Z"),
            ("open", other_team, "2026-11-23T08:02:00.000Z"),
        ],
    )
    c2 = access_trail("dev-c2", "c2", [("open", mine, "2026-11-23T09:00:00.000Z")])
    assert api.call("POST", "/audit", world["c1"], json={"entries": c1}).status_code == 200
    assert api.call("POST", "/audit", world["c2"], json={"entries": c2}).status_code == 200

    r = api.call("GET", f"/records/{mine}/access", world["s1"])
    assert r.status_code == 200, r.text
    got = [(e["user"], e["kind"], e["at"], e["device"]) for e in r.json()["entries"]]
    assert got == [
        ("c1", "open", "2026-11-23T08:00:00.000Z", "dev-c1"),
        ("c2", "open", "2026-11-23T09:00:00.000Z", "dev-c2"),
    ]
    assert api.call("GET", f"/records/{mine}/access", world["admin"]).json()["entries"] == r.json()["entries"]
    # a collector does not list who looked; another team's supervisor does not see the customer at all
    refused = api.call("GET", f"/records/{mine}/access", world["c1"])
    assert refused.status_code == 403 and "supervisors and admins" in refused.json()["message"]
    assert api.call("GET", f"/records/{mine}/access", world["s2"]).status_code == 404
    theirs = api.call("GET", f"/records/{other_team}/access", world["s2"]).json()["entries"]
    assert [(e["user"], e["kind"]) for e in theirs] == [("c1", "open")]


def _ask(api, token, unmasked=True) -> Any:
    body = {"target": "s1 团队全部客户", "purpose": "核对银行账号", "reason": "结算账户变更核对", "unmasked": unmasked}
    return api.call("POST", "/export-requests", token, json=body)


def test_an_export_request_is_approved_by_someone_else_once(api, world) -> None:
    r = _ask(api, world["c1"])
    assert r.status_code == 200, r.text
    req = r.json()
    assert (req["applicant"], req["state"], req["unmasked"], req["approver"]) == ("c1", "pending", True, None)
    rid = req["id"]
    # the applicant cannot approve their own request, nor can another team's supervisor
    own = api.call("POST", f"/export-requests/{rid}/decide", world["c1"], json={"approve": True})
    assert own.status_code == 403 and "someone else" in own.json()["message"], own.text
    assert api.call("POST", f"/export-requests/{rid}/decide", world["s2"], json={"approve": True}).status_code == 404
    assert api.call("POST", f"/export-requests/{rid}/decide", world["c2"], json={"approve": True}).status_code == 404
    ok = api.call("POST", f"/export-requests/{rid}/decide", world["s1"], json={"approve": True, "note": "同意"})
    assert ok.status_code == 200, ok.text
    done = ok.json()
    assert (done["state"], done["approver"], done["note"]) == ("approved", "s1", "同意")
    assert done["valid_until"] - done["decided_at"] == 7 * 86400
    again = api.call("POST", f"/export-requests/{rid}/decide", world["admin"], json={"approve": False})
    assert again.status_code == 409 and "already decided" in again.json()["message"]
    # who sees which requests
    assert [q["id"] for q in api.call("GET", "/export-requests", world["c1"]).json()["requests"]] == [rid]
    assert api.call("GET", "/export-requests", world["c2"]).json()["requests"] == []
    assert [q["id"] for q in api.call("GET", "/export-requests", world["s1"]).json()["requests"]] == [rid]
    assert api.call("GET", "/export-requests", world["s2"]).json()["requests"] == []
    assert [q["id"] for q in api.call("GET", "/export-requests", world["admin"]).json()["requests"]] == [rid]


def test_an_admins_own_request_needs_another_person_and_bad_requests_are_refused(api, world) -> None:
    rid = _ask(api, world["admin"], unmasked=False).json()["id"]
    own = api.call("POST", f"/export-requests/{rid}/decide", world["admin"], json={"approve": True})
    assert own.status_code == 403
    refused = api.call("POST", f"/export-requests/{rid}/decide", world["s1"], json={"approve": True})
    assert refused.status_code == 404  # the admin is not of s1's team
    empty = api.call("POST", "/export-requests", world["c1"], json={"target": "", "purpose": "x", "reason": "y"})
    assert empty.status_code == 422 and "target" in empty.text

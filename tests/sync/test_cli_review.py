"""The review round trip as scripts do it: `submit`, `sync`, `review list/return/approve` in real
processes, two archives, a real server on 127.0.0.1 (no keyring: `sync` signs in again with the
password from the environment)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.services import records
from tests.complete import complete_customers
from tests.forkserver import run_app
from tests.sync.conftest import PASSPHRASE, ROOT, SERVER_PASSWORD


def cli(home: Path, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDARCHIVE_")}
    env.update(
        FIELDARCHIVE_HOME=str(home),
        PYTHONPATH=str(ROOT),
        FIELDARCHIVE_PASSPHRASE=PASSPHRASE,
        FIELDARCHIVE_SERVER_PASSWORD=SERVER_PASSWORD,
    )
    return run_app(args, env=env, timeout=180)


def ok(proc) -> str:
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


def test_submit_return_fix_resubmit_approve_from_the_command_line(server, clients) -> None:
    c1 = clients("c1")
    values = complete_customers(c1.session, 3, seed=31)
    ids = [records.save_draft(c1.session, v)[0].id for v in values]
    # each value is valid, together they are not (issued after it expires): saved, but not submittable
    broken = records.save_draft(
        c1.session,
        {"shop_name": "日期有误的草稿", "licence_issue_date": "2025-03-01", "licence_expiry_date": "2024-03-01"},
    )[0].id
    c1.session.close()
    c1.session = None
    s1 = clients("s1")
    s1.session.close()
    s1.session = None
    ok(cli(c1.home, "login", "--server", server.url, "--user", "c1"))
    ok(cli(s1.home, "login", "--server", server.url, "--user", "s1"))

    refused = cli(c1.home, "review", "approve", ids[0])
    assert refused.returncode == 2 and "市场经理" in refused.stderr and "Traceback" not in refused.stderr

    out = cli(c1.home, "submit", "--all", "--note", "新店三户，请审核")
    assert out.returncode == 1, out.stderr  # one was refused
    assert f"未提交 {broken}" in out.stdout and "已提交 3 户" in out.stdout
    c1.__enter__()  # the server refuses such a draft too: correct it before syncing
    records.save_changes(c1.session, broken, {"licence_expiry_date": "2030-03-01"})
    c1.session.close()
    c1.session = None
    ok(cli(c1.home, "sync"))
    ok(cli(s1.home, "sync"))
    queue = json.loads(ok(cli(s1.home, "review", "list", "--json")))
    assert set(ids) <= {q["id"] for q in queue}
    first = next(q for q in queue if q["id"] == ids[0])
    assert first["kind"] == "new" and first["owner"] == "c1" and first["note"] == "新店三户，请审核"
    assert first["deadline"] and first["submitted_at"]

    ok(cli(s1.home, "review", "return", ids[0], "--reason", "联系电话与店主不符，请核实", "--fields", "contact_phone"))
    out = ok(cli(s1.home, "review", "approve", ids[1], ids[2]))
    assert "已记录 2 项决定" in out
    ok(cli(s1.home, "sync"))
    ok(cli(c1.home, "sync"))
    listed = {r["id"]: r for r in json.loads(ok(cli(c1.home, "list", "--json")))}
    assert listed[ids[0]]["status"] == "returned"
    assert listed[ids[1]]["status"] == "approved" and listed[ids[1]]["code_official"]
    assert listed[ids[1]]["code"].isdigit() and len(listed[ids[1]]["code"]) == 12

    # the collector fixes the flagged field and resubmits; the supervisor approves the second round
    c1.__enter__()
    c = c1.session._archive.customers.get(ids[0])
    assert c.review["reason"] == "联系电话与店主不符，请核实" and c.review["fields"] == ["contact_phone"]
    records.save_changes(c1.session, ids[0], {"contact_phone": "13709112233"})
    c1.session.close()
    c1.session = None
    ok(cli(c1.home, "submit", ids[0]))
    ok(cli(c1.home, "sync"))
    ok(cli(s1.home, "sync"))
    ok(cli(s1.home, "review", "approve", ids[0]))
    ok(cli(s1.home, "sync"))
    ok(cli(c1.home, "sync"))
    listed = {r["id"]: r for r in json.loads(ok(cli(c1.home, "list", "--json")))}
    assert listed[ids[0]]["status"] == "approved"
    assert listed[broken]["status"] == "draft"

"""Issue 19 end to end: a fake licence system and a fake distribution system (tests/sync/fake_system.py) and a
webhook receiver (tests/server/webhook_receiver.py), each its own process on loopback, with a real server
process and real SQLCipher client archives. Licensees arrive and become draft customers in the collector's
archive and onboarding cases in the collector's to-do list; an assignment fills 客户经理 on every client; an
approved change reaches the receiver exactly once through 500s and a dropped connection; a replayed batch
changes nothing; a cancelled licence closes the outlet on every client; a token outside its scope is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.i18n import language
from app.models.record import CustomerStatus
from app.services import onboarding, records, review
from app.sync.client import MemoryTokens, SyncClient
from tests.complete import complete_customers
from tests.server.test_webhooks import Receiver, wait_for
from tests.sync.conftest import ROOT, SERVER_PASSWORD, free_port

FAKE = ROOT / "tests" / "sync" / "fake_system.py"
QUICK = {
    "FIELDARCHIVE_WEBHOOK_POLL": "0.2",
    "FIELDARCHIVE_WEBHOOK_RETRY_BASE": "0.2",
    "FIELDARCHIVE_WEBHOOK_RETRY_CAP": "0.8",
}
LICENSEE = {
    "licence_no": "610111300001",
    "licence_type": "individual",
    "shop_name": "惠民便利店",
    "legal_person": "李四",
    "address": "陕西省西安市灞桥区建设路12号",
    "region_code": "610111",
    "location": "34.27,108.95",
    "licence_issue_date": "2026-01-15",
}


def send(tmp: Path, url: str, endpoint: str, token: str, items: list) -> dict:
    """One batch sent by the fake system's own process; its HTTP status and answer."""
    batch = tmp / f"batch-{endpoint}-{len(list(tmp.glob('batch-*')))}.json"
    batch.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(FAKE), url, endpoint, token, str(batch)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_systems_of_record_through_a_real_server_and_real_archives(server, clients, tmp_path) -> None:
    steps = tmp_path / "steps.json"  # the collector's visit first, so it is in c1's to-do list at once
    steps.write_text(json.dumps([{"code": "visit", "name": "实地走访", "owner": "role:collector", "hours": 8}]))
    server.admin("onboarding", "steps", "--file", str(steps))
    server.admin("licensee-rule", "set", "6101", "c1")
    zm = server.admin("integration", "add", "zm", "--department", "专卖局", "--scope", "licensees:write").stdout.strip()
    dist = server.admin(
        "integration", "add", "dist", "--department", "营销中心", "--scope", "assignments:write"
    ).stdout.strip()
    server.admin("integration", "add", "crm", "--department", "营销中心", "--scope", "feed:read")
    port = free_port()
    secret = server.admin("webhook", "set", "crm", f"http://127.0.0.1:{port}/hook").stdout.strip()
    (tmp_path / "hook").mkdir()
    receiver = Receiver(tmp_path / "hook", secret, port, "--fail", "2", "--drop", "1")
    server.stop()
    server.start(env=QUICK)
    try:
        # the licence system sends a new licensee: a draft in c1's archive, a case in c1's to-do list
        item = {"external_id": "XK-E1", "version": 1, "issued_at": "2026-03-02T09:00:00+08:00", "values": LICENSEE}
        first = send(tmp_path, server.url, "licensees", zm, [item])
        assert first["status"] == 200 and first["answer"]["accepted"] == 1, first
        rid = first["answer"]["items"][0]["record_id"]
        c1, s1 = clients("c1"), clients("s1")
        c1.login(server)
        assert c1.sync().complete
        draft = records.get(c1.session, rid)
        assert draft is not None and draft.status is CustomerStatus.DRAFT
        assert draft.values["shop_name"] == "惠民便利店" and draft.values["licence_no"] == "610111300001"
        client = SyncClient(server.url, MemoryTokens(), "dev-e2e")
        try:
            client.login("c1", SERVER_PASSWORD, "test")
            todo = [w for w in onboarding.waiting(client) if w.record_id == rid]
            assert len(todo) == 1 and todo[0].source == "integration:zm" and todo[0].step.code == "visit"
            assert todo[0].step.started_at is not None and todo[0].step.overdue  # from 2 March 2026
            assert todo[0].late_feed  # issued on 2 March, arrived today: more than 0.5 working day late
            with language("zh_CN"):
                assert onboarding.origin_text(todo[0]) == "许可证系统（zm），转发超时"
            with language("en"):
                assert onboarding.origin_text(todo[0]) == "Licence system (zm), forwarded late"
        finally:
            client.close()

        # a replayed batch changes nothing: the same answer, the same version in the archive
        assert send(tmp_path, server.url, "licensees", zm, [item]) == first
        before = records.get(c1.session, rid)
        assert c1.sync().complete
        assert records.get(c1.session, rid).version == before.version

        # a customer the collector keyed by hand is approved; the distribution system assigns its manager
        values = {**complete_customers(c1.session, 1, seed=19)[0], "licence_no": "610111300002"}
        own, _ = records.save_draft(c1.session, values)
        assert records.submit(c1.session, [own.id])[0] == [own.id]
        assert c1.sync().complete
        s1.login(server)
        assert s1.sync().complete
        assert review.decide(s1.session, [own.id], "approve") == 1
        assert s1.sync().complete
        assert c1.sync().complete
        code = records.get(c1.session, own.id).code
        assignment = {"external_id": "FP-E1", "version": 1, "customer": code, "values": {"customer_manager": "王经理"}}
        assert send(tmp_path, server.url, "assignments", dist, [assignment])["answer"]["accepted"] == 1
        for who in (c1, s1):
            assert who.sync().complete
            assert records.get(who.session, own.id).values["customer_manager"] == "王经理"

        # the approval and the assignment reach the receiver, each change once, through two 500s and a drop
        applied = wait_for(lambda: len(receiver.applied()) >= 2 and receiver.applied())
        assert [r for _, r, _ in applied] == [own.id, own.id]
        whats = [a["what"] for a in receiver.attempts()]
        assert whats[:3] == ["500", "500", "dropped-after-apply"] and "applied" not in whats[:3]
        assert whats.count("applied") + whats.count("dropped-after-apply") == len({d for _, _, d in applied})

        # a token outside its scope is refused; the licence system's cancellation closes the outlet
        refused = send(tmp_path, server.url, "licensees", dist, [item])
        assert refused["status"] == 403 and "licensees:write" in refused["answer"]["message"]
        cancel = {"external_id": "XK-E2", "version": 1, "values": {"licence_no": "610111300002"}}
        cancel["cancellation"] = {"kind": "cancelled", "reason": "自行申请注销"}
        closed = send(tmp_path, server.url, "licensees", zm, [cancel])["answer"]["items"][0]
        assert closed["status"] == "accepted" and closed["closed"] and closed["record_id"] == own.id
        for who in (c1, s1):
            assert who.sync().complete
            got = records.get(who.session, own.id)
            assert got.closed and "自行申请注销" in got.closure["reason"]
    finally:
        receiver.stop()

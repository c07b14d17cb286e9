"""A destruction reaches the webhook batches formed before it (issue 18): on SQLite and PostgreSQL, two approved
customers go to an integration's webhook in one frozen batch (no receiver answers, so it stays kept); one is
deleted (a third change), destroyed once its retention ends, and every table of the server database is scanned
for its values before (the batch holds them) and after (nothing); the other customer's values stay in the batch,
which keeps its delivery id and now says which change was redacted (docs/domain.md, "A destruction reaches the
outbound batches")."""

from __future__ import annotations

import json

from sqlalchemy import select

from server.accounts import get_user
from server.forms import current_form
from server.records import UnitOfWork
from server.schema import customers, destructions
from server.schema_integrations import webhook_deliveries
from server.scope import Directory
from tests.server.conftest import free_port
from tests.server.test_destruction_redaction import forms, server_hits
from tests.server.test_outbound import add, approved_customers, people

SECRET_KEYS = ("shop_name", "address", "contact_phone", "licence_no")


def values_of(db, rid: str) -> dict:  # noqa: ANN001
    with db.read() as conn:
        return json.loads(conn.execute(select(customers.c.data).where(customers.c.id == rid)).scalar_one())


def delete_customer(db, rid: str) -> None:  # noqa: ANN001
    """The admin deletes the approved customer through the server's unit of work (a ``deleted`` change)."""

    def work(tx) -> None:  # noqa: ANN001
        admin = get_user(tx.conn, "admin")
        assert admin is not None
        uow = UnitOfWork(tx, admin, current_form(tx.conn), Directory.load(tx.conn))
        uow.load([rid])
        rec = uow.records[rid]
        rec.deleted = True
        uow.touch(rec, "delete", {}, None)
        uow.flush()

    db.write(work)


def test_a_destruction_redacts_the_webhook_batches_formed_before(db, db_url, run, monkeypatch) -> None:
    people(db)
    add(run, "crm", "--department", "营销中心", "--scope", "feed:read")
    code, _secret, err = run("webhook", "set", "crm", f"http://127.0.0.1:{free_port()}/hook", "--from-start")
    assert code == 0, err
    gone, kept = approved_customers(db, "c1", 2)
    gone_values, kept_values = values_of(db, gone), values_of(db, kept)
    delete_customer(db, gone)
    code, _out, err = run("webhook", "deliver")  # the batch is formed; nobody answers: it stays pending
    assert code == 0, err
    with db.read() as conn:
        batches = conn.execute(select(webhook_deliveries)).all()
    assert len(batches) == 1 and batches[0].state == "pending" and batches[0].size == 3

    secret = {str(gone_values[k]) for k in SECRET_KEYS if gone_values.get(k)}
    assert secret and not secret & {str(v) for v in kept_values.values()}
    needles = set().union(*(forms(v) for v in secret))
    kept_key = next(k for k in SECRET_KEYS if kept_values.get(k))  # demo data leaves a shop name out at times
    kept_needles = forms(str(kept_values[kept_key]))
    before = server_hits(db_url, needles)
    assert any(h.startswith("webhook_deliveries:") for h in before), before

    monkeypatch.setenv("FIELDARCHIVE_RETENTION_DELETED_DAYS", "0")
    code, _out, err = run("retention", "destroy", gone, "--by", "admin", "--reason", "满期销毁（测试）")
    assert code == 0, err
    assert server_hits(db_url, needles) == []
    assert any(h.startswith("webhook_deliveries:") for h in server_hits(db_url, kept_needles))
    with db.read() as conn:
        after = conn.execute(select(webhook_deliveries)).one()
        removed = json.loads(conn.execute(select(destructions.c.removed)).scalar_one())
    assert after.id == batches[0].id and after.state == "pending"  # the same delivery, sent redacted
    body = json.loads(after.body)
    mine = [c for c in body["changes"] if c["record_id"] == gone]
    assert [c["kind"] for c in mine] == ["approved", "deleted"]
    assert all(c["redacted"] is True and c["values"] is None and c["code"] is None for c in mine)
    other = [c for c in body["changes"] if c["record_id"] == kept]
    assert other[0]["values"][kept_key] == kept_values[kept_key] and "redacted" not in other[0]
    assert removed["webhook_batches"] == 1 and removed["outbound_changes"] == 2

"""The rules around a sync: local work is never overwritten, catalogue versions arrive, photos resume,
tokens refresh silently, a revoked device signs out without losing anything."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest

from app.errors import SyncError, SyncErrorKind
from app.models.record import CustomerStatus
from app.services import records, syncing
from app.services.demo import generate
from app.services.sync_store import sync_store
from app.sync.client import SyncClient


def test_local_work_is_never_overwritten_by_the_feed(server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    c, _ = records.save_draft(c1.session, next(generate(1, seed=31)))
    c1.login(server)
    s1.login(server)
    c1.sync()
    s1.sync()
    records.save_draft(s1.session, {**s1.session._archive.customers.get(c.id).values, "business_area": "321"}, c.id)
    s1.sync()
    records.save_draft(c1.session, {**c1.session._archive.customers.get(c.id).values, "brand_count": 99}, c.id)
    store = sync_store(c1.session)
    client = syncing.client_for(c1.session)
    page = client.pull(0, 100)
    store.answers.apply_feed_page(page.changes, page.cursor, None)  # a pull while the edit is still unsent
    local = c1.session._archive.customers.get(c.id).values
    assert local["brand_count"] == 99 and local.get("business_area") != "321"
    assert c1.sync().complete  # the push result brings the server's change in, beside ours
    merged = c1.session._archive.customers.get(c.id).values
    assert merged["brand_count"] == 99 and merged["business_area"] == "321"


def test_a_published_catalogue_arrives_and_drafts_keep_their_values(server, clients, tmp_path) -> None:
    c1 = clients("c1")
    values = next(generate(1, seed=32))
    c, _ = records.save_draft(c1.session, values)
    form = c1.session.form.to_dict()
    form["version"] = new = form["version"] + 1
    form["fields"].append(
        {
            "key": "wechat_id",
            "group": "other",
            "label_zh": "微信号",
            "label_en": "WeChat ID",
            "type": "text",
            "required": "optional",
            "max_length": 40,
        }
    )
    path = tmp_path / "form-v2.json"
    path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    server.admin("form", "publish", str(path))
    c1.login(server)
    assert c1.sync().complete
    assert c1.session.form.version == new and "wechat_id" in c1.session.form
    assert c1.session._archive.customers.get(c.id).values == {k: v for k, v in c.values.items()}
    records.save_draft(c1.session, {**c.values, "wechat_id": "laowang888"}, c.id)
    assert c1.sync().complete
    c1.__exit__()
    c1.__enter__()  # a new start uses the newest catalogue it knows
    assert c1.session.form.version == new


def test_photos_upload_in_chunks_and_resume_where_they_stopped(server, clients, monkeypatch) -> None:
    c1 = clients("c1")
    data = os.urandom(2_500_000)
    info = c1.session._archive.media.put_photo(data, "image/jpeg", 2000, 1500)
    values = {**next(generate(1, seed=33)), "photo_storefront": [info.sha256]}
    c, _ = records.save_draft(c1.session, values)
    c1.login(server)
    real = SyncClient.photo_chunk
    calls = []

    def cut_after_first(self, sha, offset, total, chunk):  # the network goes after the first chunk
        calls.append(offset)
        if len(calls) > 1:
            raise SyncError(SyncErrorKind.OFFLINE, "offline")
        return real(self, sha, offset, total, chunk)

    monkeypatch.setattr(SyncClient, "photo_chunk", cut_after_first)
    with pytest.raises(SyncError):
        c1.sync()
    client = syncing.client_for(c1.session)
    status = client.photo_status(info.sha256)
    assert dataclasses.asdict(status) == {"complete": False, "offset": 1024 * 1024}
    assert c1.session._archive.outbox.outbox_count() == 1  # the customer waits for its photo
    monkeypatch.setattr(SyncClient, "photo_chunk", real)
    out = c1.sync()
    assert out.complete and out.photos_up == 1
    assert out.bytes_sent < len(data)  # resumed at 1 MiB, not from the start
    assert client.photo_status(info.sha256).complete
    assert client.photo_get(info.sha256) == data


def test_an_expired_access_token_is_refreshed_silently(server, clients) -> None:
    c1 = clients("c1")
    records.save_draft(c1.session, next(generate(1, seed=34)))
    c1.login(server)
    store = syncing.token_store(server.url, "c1")
    tokens = store.get()
    store.set({**tokens, "access_token": "expired-or-forged"})
    assert c1.sync().complete
    assert store.get()["access_token"] not in ("expired-or-forged", tokens["access_token"])
    assert store.get()["refresh_token"] != tokens["refresh_token"]  # rotated


def test_a_revoked_device_signs_out_and_loses_nothing(server, clients) -> None:
    c1 = clients("c1")
    c1.login(server)
    c1.sync()
    server.admin("devices", "revoke", "c1", c1.session._archive.meta.device_id)
    c, _ = records.save_draft(c1.session, next(generate(1, seed=35)))
    with pytest.raises(SyncError) as e:
        c1.sync()
    assert e.value.kind is SyncErrorKind.AUTH
    assert not syncing.signed_in(c1.session)  # the tokens are gone …
    assert c1.session._archive.outbox.outbox_count() == 1  # … the work is not
    c1.login(server)  # signing in again with the password
    assert c1.sync().complete


def test_sign_out_clears_the_tokens(server, clients) -> None:
    c1 = clients("c1")
    c1.login(server)
    assert syncing.signed_in(c1.session)
    syncing.logout(c1.session)
    assert not syncing.signed_in(c1.session)
    with pytest.raises(SyncError) as e:
        c1.sync()
    assert e.value.kind is SyncErrorKind.AUTH


def test_a_submission_not_yet_sent_can_be_withdrawn(server, clients) -> None:
    c1 = clients("c1")
    c, _ = records.save_draft(c1.session, next(generate(1, seed=36)))
    records.submit(c1.session, [c.id])
    assert records.withdraw(c1.session, c.id)
    assert c1.session._archive.customers.get(c.id).status is CustomerStatus.DRAFT
    records.submit(c1.session, [c.id])
    c1.login(server)
    c1.sync()
    assert not records.withdraw(c1.session, c.id)  # sent: it is the market manager's now

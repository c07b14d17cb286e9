"""One owner for the form: a form the server publishes while the app is open reaches the screens that are
already open, through the session's event and the context's Qt adapter, without a restart. The real app
(DB thread, network thread) against a real server process on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from app.models.catalogue import RequiredLevel
from tests.conftest import PASSPHRASE
from tests.ui.test_sync_ui import sign_in, status_text


def publish_v2(srv: Any, form: Any, path: Path) -> None:
    """Version 2 on the server: the mailing address required nationally, and a new way to promote."""
    data = form.to_dict()
    data["version"] = form.version + 1
    for f in data["fields"]:
        if f["key"] == "mailing_address":
            f["required"] = RequiredLevel.NATIONAL.value
        if f["key"] == "promotion":
            f["choices"].append({"value": "member_days", "label_zh": "会员日", "label_en": "Member days"})
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    srv.admin("form", "publish", str(path))


def missing(form_widget: Any) -> list[str]:
    return [i.field for i in form_widget.validate_record().missing]


def test_a_form_published_during_the_session_is_enforced_by_the_open_form(
    qtbot, running, srv, memory_keyring, monkeypatch, tmp_path
) -> None:
    win, ctx = running.window, running.ctx
    sign_in(qtbot, running, srv, monkeypatch)
    qtbot.waitUntil(lambda: status_text(running).startswith("已是最新"), timeout=20_000)
    win.new_customer()
    form = win.panel.form_widget
    form.rows["shop_name"].editor.edit.setText("发布之前的店")
    form._edited("shop_name")
    before = ctx.form
    assert "mailing_address" not in missing(form)
    assert form.rows["promotion"].editor.combo.findData("member_days") == -1

    heard: list[tuple[int, bool]] = []  # (version, on the GUI thread) of each change the screens hear of
    ctx.sig_form_changed.connect(
        lambda f: heard.append((f.version, threading.current_thread() is threading.main_thread()))
    )
    publish_v2(srv, before, tmp_path / "form-v2.json")
    win.coordinator.sync(manual=True)
    qtbot.waitUntil(lambda: ctx.form.version == before.version + 1, timeout=20_000)

    # every open screen has the new form, told once on the GUI thread (the sync ran on other threads)
    assert heard == [(before.version + 1, True)]
    assert form.form is ctx.form and win.form is ctx.form and win.review.form is ctx.form
    assert win.panel.history.form is ctx.form
    assert form.rows["shop_name"].editor.edit.text() == "发布之前的店" and form.is_dirty()  # the typing stays
    # a field made required is required in the open form, marked and listed
    assert "mailing_address" in missing(form)
    assert '<span style="color:#c62828">*</span>' in form.rows["mailing_address"].label.text()
    # a new choice is offered and accepted
    form.rows["promotion"].editor.set_value("member_days")
    form._edited("promotion")
    assert form.field_issues["promotion"] == [] and form.validate_record().values["promotion"] == "member_days"

    # locking and unlocking reuses the main window: it still validates with the published form
    running.lock()
    qtbot.waitUntil(lambda: running.unlock_dialog is not None and running.unlock_dialog.isVisible(), timeout=10_000)
    running.unlock_dialog.passphrase.setText(PASSPHRASE)
    running.unlock_dialog.try_unlock()
    qtbot.waitUntil(lambda: ctx.session is not None, timeout=10_000)
    assert running.window is win and ctx.form.version == before.version + 1
    win.new_customer()
    qtbot.waitUntil(
        lambda: win.panel.form_widget.customer is None and win.panel.form_widget.autosave_key != "", timeout=5000
    )
    assert win.panel.form_widget.form is ctx.form and "mailing_address" in missing(win.panel.form_widget)

"""Opening change requests through the client's sync layer (app.services.change_requests over
SyncClient.open_change) against a real server process: the emergency path with its phone call (the first step
done right after opening, the call recorded), without one (the step waits in 市场部's 待办), and every refusal
in Chinese: fields of two departments and an incomplete call before anything is sent; a value the server's
validators refuse, a field not the customer manager's own, a path not the user's, an unknown customer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.errors import UserFacingError
from app.i18n import language
from app.models.catalogue import load_form
from app.services import change_requests as service
from app.services.changes import Notice
from app.sync.client import MemoryTokens, SyncClient
from tests.server.helpers import demo_values
from tests.server.test_cli import write_xlsx
from tests.sync.conftest import SERVER_PASSWORD

CODES = ("610102008870", "610102008871")


def test_requests_opened_through_the_sync_layer(server, tmp_path: Path) -> None:
    server.admin("user", "add", "mkt", "--role", "collector")
    server.admin("place", "mkt", "--department", "market")
    rows = demo_values(2, seed=13)
    for code, r in zip(CODES, rows, strict=True):
        r["customer_code"] = code
    sheet = tmp_path / "customers.xlsx"
    write_xlsx(sheet, rows, ["customer_code", "shop_name", "licence_no", "region_code", "address"])
    server.admin("import-customers", str(sheet), "--owner", "c1")
    form = load_form()
    mkt, c1 = SyncClient(server.url, MemoryTokens(), "dev-mkt"), SyncClient(server.url, MemoryTokens(), "dev-c1")
    try:
        mkt.login("mkt", SERVER_PASSWORD, "test")
        c1.login("c1", SERVER_PASSWORD, "test")
        call = Notice("县区营销部 王科长", "029-88881234", "已接听，同意代填")
        done = service.open_request(
            mkt, form, CODES[0], "emergency", {"contact_phone": "13912345678"}, "客户来电", call
        )
        assert done.first_step_done and done.case.path == "emergency" and done.case.status == "open"
        assert [(s.code, s.owner) for s in done.case.steps] == [
            ("fill", "department:market"),
            ("review", "department:county"),
            ("apply", "department:market"),
        ]
        shown = json.loads(server.admin("change", "show", done.case.case_id, "--user", "mkt").stdout)
        assert shown["steps"][0]["done_by"] == "mkt" and shown["revision"] == 2
        assert [(n["party"], n["number"], n["outcome"]) for n in shown["notices"]] == [
            ("县区营销部 王科长", "029-88881234", "已接听，同意代填")
        ]
        waits = service.open_request(mkt, form, CODES[1], "emergency", {"contact_phone": "13912345679"}, "客户来电")
        assert not waits.first_step_done
        assert [(w.case_id, w.step.code) for w in mkt.changes_waiting()] == [(waits.case.case_id, "fill")]

        def refused(client: SyncClient, path: str, changes: dict[str, object], phone: Notice | None = None) -> str:
            with pytest.raises(UserFacingError) as caught:
                service.open_request(client, form, CODES[1], path, changes, "原因", phone)
            with language("zh_CN"):
                return caught.value.message()

        before = server.admin("change", "waiting", "--user", "c1").stdout
        assert refused(mkt, "emergency", {"contact_phone": "13912345678", "shop_name": "新名"}) == (
            "这些字段分属多个部门：请按部门分别提交修改申请。"
        )
        assert (
            refused(mkt, "emergency", {"contact_phone": "13912345678"}, Notice("", "", "已接听")) == "请填写通知了谁。"
        )
        assert refused(mkt, "emergency", {"contact_phone": "not a phone"}) == (
            "服务器拒绝了新值：联系电话。请更正后重新发送。"
        )
        assert refused(c1, "own", {"shop_name": "新名"}) == (
            "有字段不在您自身维护权限内，不能当日修改：请选择其他路径。"
        )
        assert refused(c1, "city", {"retail_format": "grocery"}) == (
            "这条路径不能由您为这位客户发起：请选择其他路径，或请相关部门发起。"
        )
        with pytest.raises(UserFacingError) as caught:
            service.open_request(c1, form, "610102009999", "own", {"contact_name": "王五"}, "原因")
        with language("zh_CN"):
            assert caught.value.message() == "服务器上没有这位客户，或您无权查看：请先同步。"
        assert server.admin("change", "waiting", "--user", "c1").stdout == before  # nothing opened
    finally:
        mkt.close()
        c1.close()

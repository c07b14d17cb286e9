"""The maintenance checks on the desktop (issue 17): the server's answer decoded into ``MaintenanceCheck`` (a
wrong shape is a protocol error naming the place), and the simple rules said in Chinese before anything is
sent (app.services.checks.precheck)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.models.checks import MaintenanceCheck
from app.services import checks as service
from app.sync.checks_client import check
from app.sync.decoding import decode

ANSWER = {
    "id": 7,
    "kind": "monthly",
    "month": "2026-11",
    "collector": "c1",
    "checker": "s1",
    "checked_on": "2026-11-20",
    "timeliness": "ok",
    "objectivity": "ok",
    "accuracy": "deficient",
    "sample": None,
    "score": None,
    "findings": "地址未更新",
    "recorded_at": "2026-11-20T08:00:00Z",
}


def test_an_answer_is_decoded_and_a_wrong_one_named() -> None:
    got = decode(check, ANSWER, "checks")
    assert isinstance(got, MaintenanceCheck)
    assert (got.accuracy, got.sample, got.findings) == ("deficient", None, "地址未更新")
    assert service.result_text(got) == "及时性 合格 · 客观性 合格 · 准确性 不合格"
    spot = decode(check, ANSWER | {"kind": "spot", "accuracy": None, "sample": 20, "score": 90}, "checks")
    assert service.result_text(spot) == "抽查 20 份档案，评分 90"
    for bad, place in (({"accuracy": "so-so"}, "accuracy"), ({"kind": "yearly"}, "kind"), ({"score": "90"}, "score")):
        with pytest.raises(SyncError) as caught:
            decode(check, ANSWER | bad, "checks")
        assert caught.value.kind is SyncErrorKind.PROTOCOL and f"checks.{place}" in caught.value.message()


def test_the_simple_rules_are_said_before_sending() -> None:
    today = dt.date(2026, 12, 6)
    assert service.precheck(" c1 ", " 2026-11 ", "2026-11-30", today) == ("c1", "2026-11", "2026-11-30")
    cases = [
        (("", "2026-11", "2026-11-30"), "请填写客户经理的账号。"),
        (("c1", "2026-13", "2026-11-30"), "月份格式为 YYYY-MM，例如 2026-11。"),
        (("c1", "2026-11", "2026-11-31"), "检查日期须为日期，格式为 YYYY-MM-DD。"),
        (("c1", "2026-11", "2026-10-31"), "检查日期须在所查月份第一天或之后，且不能晚于今天。"),
        (("c1", "2026-11", "2026-12-07"), "检查日期须在所查月份第一天或之后，且不能晚于今天。"),
    ]
    for args, message in cases:
        with pytest.raises(UserFacingError) as caught:
            service.precheck(*args, today)
        assert caught.value.message() == message

"""The ledger's answers are decoded once into typed values; a wrong shape is SyncError(PROTOCOL) naming where."""

from __future__ import annotations

import pytest

from app.errors import SyncError, SyncErrorKind
from app.models.remote import LedgerPath
from app.sync import protocol_reports
from app.sync.decoding import decode

ROW = {
    "completed_at": "2026-10-08T02:00:00.000000Z",
    "path": "review",
    "record_id": "r1",
    "code": "610102000001",
    "shop_name": "新世纪便利店",
    "collector": "c1",
    "collector_name": "张三",
    "field": "shop_name",
    "field_label_zh": "店铺名称",
    "field_label_en": "Shop name",
    "group": "identification",
    "old": "旧店名",
    "new": "新世纪便利店",
    "changed_by": "c1",
    "changed_by_name": "张三",
    "approved_by": "s1",
    "approved_by_name": "李四",
    "source": "visit",
}
PAGE = {
    "start": "2026-10-01",
    "end": "2026-10-31",
    "generated_at": "2026-11-01T00:00:00.000000Z",
    "collector": None,
    "scope": {"user": "s1", "display_name": "李四", "role": "supervisor", "collectors": [{"name": "c1"}]},
    "masked": True,
    "rows": [ROW],
    "next_cursor": "1.5:r1:3",
}


def test_a_page_and_a_summary_decode() -> None:
    page = decode(protocol_reports.ledger_page_answer, PAGE, "ledger")
    assert page.rows[0].path is LedgerPath.REVIEW and page.rows[0].approved_by_name == "李四"
    assert page.collectors[0].display_name == "c1" and page.masked and page.next_cursor == "1.5:r1:3"
    summary = decode(
        protocol_reports.ledger_summary_answer,
        {
            "total": 3,
            "customers": 1,
            "by_group": [{"group": "identification", "label_zh": "识别信息", "label_en": "Identification", "count": 2}],
            "by_collector": [{"collector": "c1", "display_name": "张三", "count": 3, "by_path": {"review": 3}}],
            "by_path": {"review": 2, "own_save": 1},
        },
        "ledger",
    )
    assert summary.by_path == ((LedgerPath.REVIEW, 2), (LedgerPath.OWN_SAVE, 1))
    assert summary.by_collector[0].by_path == ((LedgerPath.REVIEW, 3),)


@pytest.mark.parametrize(
    ("answer", "where"),
    [
        ({**PAGE, "rows": [{**ROW, "path": "teleport"}]}, "ledger.rows[0].path"),
        ({**PAGE, "rows": [{**ROW, "field": 7}]}, "ledger.rows[0].field"),
        ({**PAGE, "masked": "yes"}, "ledger.masked"),
        ({**PAGE, "scope": None}, "ledger.scope"),
    ],
)
def test_a_wrong_shape_names_where(answer: dict, where: str) -> None:
    with pytest.raises(SyncError) as info:
        decode(protocol_reports.ledger_page_answer, answer, "ledger")
    assert info.value.kind is SyncErrorKind.PROTOCOL and where in info.value.message("en")


def test_a_change_requests_paths_decode_and_are_named_in_chinese() -> None:
    """Issue 17: the server lists a change request's county, city and emergency paths (server/ledger.py)."""
    from app.services.ledger import path_label

    rows = [{**ROW, "path": p} for p in ("county", "city", "emergency")]
    page = decode(protocol_reports.ledger_page_answer, {**PAGE, "rows": rows}, "ledger")
    paths = [r.path for r in page.rows]
    assert paths == [LedgerPath.COUNTY, LedgerPath.CITY, LedgerPath.EMERGENCY]
    assert [path_label(p, "zh_CN") for p in paths] == ["县区营销部发起的修改", "营销中心任务单", "应急变更"]

"""The service records' workbook: plans (overdue flagged), care dates and surveys (valid and invalid apart),
and the survey answers one per question; identifiers and text written as text (a leading = is no formula)."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook

from app.services import records, service
from app.validation.service import questionnaire


def test_the_export_holds_every_kind_and_writes_text_safely(session, tmp_path) -> None:
    c, _ = records.save_draft(session, {"shop_name": '=HYPERLINK("http://x")', "market_type": "rural"})
    today = session.today()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    service.plan_visit(session, c.id, yesterday, "=1+1 季度走访")
    service.add_care_date(session, c.id, "1985-06-01", "anniversary", True, "店庆")
    ids = questionnaire().question_ids
    service.add_survey(session, c.id, today.isoformat(), "phone", True, dict.fromkeys(ids, 3))
    path = tmp_path / "service.xlsx"
    service.add_survey(
        session, c.id, today.isoformat(), "visit", True, dict(zip(ids, [5, 4] * 4 + [3, 3], strict=True))
    )
    service.add_observation(session, c.id, today.isoformat(), [["=中华", "12", "30", "45"], ["芙蓉王", "", "", "25.5"]])
    n = service.export_service(session, path, lang="zh_CN")
    assert n == 5 + 2 * len(ids) + 3 + 2  # records, answers, results (collector, area, market type), brands
    wb = load_workbook(path)
    main, answers = wb.worksheets[0], wb.worksheets[1]
    rows = [[cell.value for cell in row] for row in main.iter_rows(min_row=2)]
    assert {r[2] for r in rows} == {"拜访计划", "亲情联络", "满意度问卷", "终端观察"}
    plan = next(r for r in rows if r[2] == "拜访计划")
    assert plan[3] == yesterday and plan[5] == "是" and plan[6].startswith("=1+1")
    assert sorted(r[4] for r in rows if r[2] == "满意度问卷") == ["无效", "有效"]
    assert any("所有题目答案相同" in r[6] for r in rows if r[2] == "满意度问卷")
    for row in main.iter_rows(min_row=2):
        assert row[1].data_type == "s" and row[6].data_type == "s"  # text, never a formula
    got = [[cell.value for cell in row] for row in answers.iter_rows(min_row=2)]
    assert len(got) == 2 * len(ids) and {r[3] for r in got} >= {"一般", "很满意"}
    results = [[cell.value for cell in row] for row in wb.worksheets[2].iter_rows(min_row=2)]
    assert ["市场类型", "乡村", 1, 1, 4.2] in results  # the invalid one counted apart, out of the mean
    assert [r[0] for r in results].count("采集人") == 1
    brands = [[cell.value for cell in row] for row in wb.worksheets[3].iter_rows(min_row=2)]
    assert [b[2:] for b in brands] == [["=中华", 12, 30, 45], ["芙蓉王", None, None, 25.5]]
    assert wb.worksheets[3]["C2"].data_type == "s"  # a brand starting with = stays text

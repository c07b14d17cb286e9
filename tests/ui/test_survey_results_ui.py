"""Archive → 满意度测评结果… in the running app: the surveys held here per collector, area and market type,
invalid questionnaires counted apart and out of the mean (F0 L17), the market type by its label."""

from __future__ import annotations

from typing import Any

import app.ui.records.survey_results as results_ui
from app.services import records, service
from app.validation.service import questionnaire
from tests.ui.test_report_ui import _menu_action


def _surveys(session: Any) -> None:
    ids = questionnaire().question_ids
    today = session.today().isoformat()
    a = records.save_draft(session, {"shop_name": "甲店", "market_type": "rural", "region_code": "610102"})[0].id
    b = records.save_draft(session, {"shop_name": "乙店", "market_type": "urban", "region_code": "610103"})[0].id
    service.add_survey(session, a, today, "visit", True, dict(zip(ids, [5, 4] * 4 + [3, 3], strict=True)))
    service.add_survey(session, a, today, "phone", True, dict.fromkeys(ids, 3))  # the same answer: invalid
    service.add_survey(session, b, today, "visit", True, dict(zip(ids, [4, 4, 5, 3, 4, 4, 2, 4, 5, 4], strict=True)))


def test_the_survey_results_screen(qtbot, running, monkeypatch) -> None:
    win = running.window
    running.runner.call_db(lambda: _surveys(running.ctx.session))
    shown: list[results_ui.SurveyResultsDialog] = []
    monkeypatch.setattr(results_ui.SurveyResultsDialog, "open", lambda self: shown.append(self))
    _menu_action(win, "满意度测评结果…").trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    d = shown[0]
    assert d.summary.text().startswith("本机共有问卷 3 份。 其中有效 2 份。")

    def rows(kind: str) -> list[list[str]]:
        t = d.tables[kind]
        return [[t.item(r, c).text() for c in range(4)] for r in range(t.rowCount())]

    assert rows("collector") == [["tester", "2", "1", "4.05"]]  # (4.2 + 3.9) / 2; the invalid one apart
    assert rows("area") == [["610102", "1", "1", "4.20"], ["610103", "1", "0", "3.90"]]
    assert sorted(rows("market")) == [["乡村", "1", "1", "4.20"], ["城镇", "1", "0", "3.90"]]

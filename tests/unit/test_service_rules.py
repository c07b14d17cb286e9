"""The service records' rules (app.validation.service): questionnaire validity as property tests (F0 L17:
incomplete or randomly filled questionnaires are invalid), the respondent told first (F0 L393), care dates
coming up (F3 L41) and visit plans overdue (F3 L68)."""

from __future__ import annotations

import datetime as dt
import uuid

from hypothesis import given
from hypothesis import strategies as st

from app.validation import service as rules

Q = rules.questionnaire()
N = len(Q.question_ids)
score = st.sampled_from(Q.scores)


def answers(values: list[int | None]) -> dict[str, int | None]:
    return dict(zip(Q.question_ids, values, strict=True))


def test_the_questionnaire_is_the_standard_one() -> None:
    assert N >= 6 and len(set(Q.question_ids)) == N and Q.scores == (1, 2, 3, 4, 5) and Q.period == "quarter"
    assert all(q["zh_CN"] and q["en"] for q in Q.questions)


@given(st.lists(st.one_of(score, st.none()), min_size=N, max_size=N).filter(lambda v: None in v))
def test_a_questionnaire_with_an_unanswered_question_is_incomplete(values: list[int | None]) -> None:
    assert rules.validity(answers(values)) == "incomplete"


@given(score)
def test_the_same_answer_to_every_question_is_invalid(s: int) -> None:
    assert rules.validity(answers([s] * N)) == "straight"


@given(st.integers(2, N // 2).flatmap(lambda p: st.lists(score, min_size=p, max_size=p)))
def test_answers_repeating_a_short_cycle_are_invalid(cycle: list[int]) -> None:
    values = (cycle * N)[:N]
    assert rules.validity(answers(values)) in ("pattern", "straight")
    if len(set(cycle)) > 1:
        assert rules.validity(answers(values)) == "pattern"


@given(st.lists(score, min_size=N, max_size=N))
def test_a_valid_questionnaire_is_complete_and_follows_no_pattern(values: list[int]) -> None:
    reason = rules.validity(answers(values))
    if reason == "":
        assert len(set(values)) > 1
        assert not any(all(values[i] == values[i - p] for i in range(p, N)) for p in range(2, N // 2 + 1))
    else:
        assert reason in ("straight", "pattern")


def test_a_considered_questionnaire_is_valid_and_scored() -> None:
    got = answers([5, 4, 4, 3, 5, 4, 2, 4, 5, 4])
    assert rules.validity(got) == "" and rules.score(got) == 4.0
    assert rules.initial_status("survey", {"answers": got}) == "valid"
    assert rules.initial_status("survey", {"answers": answers([1, 5] * (N // 2))}) == "invalid"


def survey(**over: object) -> dict[str, object]:
    body = {"questionnaire": Q.id, "channel": "phone", "informed": True, "answers": answers([4] * N)}
    return {"id": str(uuid.uuid4()), "kind": "survey", "on_date": "2026-03-01", "body": {**body, **over}}


def test_a_survey_is_refused_unless_the_respondent_was_told_first() -> None:
    today = dt.date(2026, 3, 2)
    assert rules.record_problems(survey(), today) == []
    assert rules.record_problems(survey(informed=False), today) == [("informed", "service.informed")]
    assert rules.record_problems(survey(informed="yes"), today) == [("informed", "service.informed")]
    assert ("questionnaire", "service.questionnaire") in rules.record_problems(survey(questionnaire="old"), today)
    assert ("answers", "service.answers") in rules.record_problems(survey(answers={"nope": 3}), today)
    assert ("answers", "service.answers") in rules.record_problems(survey(answers={"ordering": True}), today)
    late = {**survey(), "on_date": "2026-03-05"}
    assert rules.record_problems(late, today) == [("on_date", "service.survey_date")]


def test_care_dates_come_up_in_the_coming_week_every_year_or_once() -> None:
    today = dt.date(2026, 12, 28)
    assert rules.upcoming("1980-01-02", True, today) == dt.date(2027, 1, 2)  # across the new year
    assert rules.upcoming("1980-01-04", True, today) is None  # 7 days: the 28th to the 3rd
    assert rules.upcoming("1980-12-28", True, today) == today
    assert rules.upcoming("2026-12-30", False, today) == dt.date(2026, 12, 30)
    assert rules.upcoming("2025-12-30", False, today) is None  # once, and past
    assert rules.next_occurrence("2024-02-29", True, dt.date(2027, 2, 1)) == dt.date(2027, 2, 28)
    assert rules.next_occurrence("2024-02-29", True, dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)


def test_plans_are_overdue_after_their_day_while_open_and_steps_follow_their_state() -> None:
    today = dt.date(2026, 5, 10)
    assert rules.is_overdue("plan", "open", "2026-05-09", today)
    assert not rules.is_overdue("plan", "open", "2026-05-10", today)
    assert not rules.is_overdue("plan", "done", "2026-05-01", today)
    assert not rules.is_overdue("care", "active", "2026-05-01", today)
    done = {"action": "done", "done_on": "2026-05-10", "visit_id": str(uuid.uuid4())}
    assert rules.step_problems("plan", "open", done, today) == []
    assert rules.step_problems("plan", "done", done, today) == [("action", "service.transition")]
    assert rules.step_problems("care", "active", done, today) == [("action", "service.action")]
    assert rules.step_problems("plan", "open", {**done, "done_on": "2026-05-12"}, today) == [
        ("done_on", "service.done_on")
    ]
    assert rules.step_problems("plan", "open", {**done, "visit_id": "v1"}, today) == [("visit_id", "service.visit")]
    assert rules.step_problems("care", "active", {"action": "cancel", "reason": " "}, today) == [
        ("reason", "service.reason")
    ]
    plan = {"id": str(uuid.uuid4()), "kind": "plan", "on_date": "2027-05-12", "body": {"purpose": "走访"}}
    assert rules.record_problems(plan, today) == [("on_date", "service.plan_date")]
    care = {"id": "x", "kind": "care", "on_date": "2026-02-30", "body": {"occasion": "wedding", "yearly": 1}}
    assert rules.record_problems(care, today) == [
        ("id", "service.id"),
        ("on_date", "service.date"),
        ("yearly", "service.yearly"),
    ]


def test_the_visit_cycle_makes_the_next_visit_due() -> None:
    today = dt.date(2026, 3, 10)
    assert rules.cycle_due("weekly", "2026-03-02", today) == dt.date(2026, 3, 9)
    assert rules.cycle_due("biweekly", "2026-03-02T09:00:00", today) == dt.date(2026, 3, 16)
    assert rules.cycle_due("monthly", "2026-01-31", today) == dt.date(2026, 2, 28)
    assert rules.cycle_due("monthly", "2026-12-15", today) == dt.date(2027, 1, 15)
    assert rules.cycle_due("weekly", None, today) == today  # never visited: due now
    assert rules.cycle_due("", "2026-03-02", today) is None


def observation(**body: object) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "kind": "observation", "on_date": "2026-03-01", "body": body}


def test_an_observation_is_structured_per_brand_with_the_display_promotions_and_competitors() -> None:
    today = dt.date(2026, 3, 2)
    brands = [{"brand": "中华(硬)", "sales": 12, "stock": 30, "price": 45}, {"brand": "芙蓉王", "price": 25.5}]
    assert rules.record_problems(observation(brands=brands, display="good", competitors="电子烟"), today) == []
    assert rules.record_problems(observation(display="poor"), today) == []
    assert rules.record_problems(observation(), today) == [("brands", "service.observation_empty")]
    assert rules.record_problems(observation(brands=[{"brand": "", "sales": 1}]), today) == [
        ("brands", "service.brands")
    ]
    assert rules.record_problems(observation(brands=[{"brand": "x", "sales": 1.5}]), today) == [
        ("brands", "service.quantity")
    ]
    assert rules.record_problems(observation(brands=[{"brand": "x", "stock": -1}]), today) == [
        ("brands", "service.quantity")
    ]
    assert rules.record_problems(observation(brands=[{"brand": "x", "price": "贵"}]), today) == [
        ("brands", "service.price")
    ]
    assert rules.record_problems(observation(brands=[{"brand": "x"}] * 31), today) == [("brands", "service.brands")]
    assert rules.record_problems(observation(display="shiny"), today) == [("display", "service.display")]
    assert rules.record_problems({**observation(display="good"), "on_date": "2026-03-04"}, today) == [
        ("on_date", "service.observed_on")
    ]
    assert rules.initial_status("observation", {}) == "recorded"


def test_a_visit_fulfils_the_plans_due_by_its_day_else_the_next_within_a_week() -> None:
    plans = [("late", "2026-03-01"), ("due", "2026-03-10"), ("next", "2026-03-14"), ("later", "2026-03-30")]
    assert rules.plans_fulfilled(plans, "2026-03-10") == ["late", "due"]  # overdue ones too: visited
    assert rules.plans_fulfilled(plans[2:], "2026-03-10") == ["next"]  # four days early
    assert rules.plans_fulfilled(plans[3:], "2026-03-10") == []  # 20 days early: another visit's plan
    assert rules.plans_fulfilled(plans[2:], "2026-03-07") == ["next"]  # exactly EARLY_DAYS before
    assert rules.plans_fulfilled(plans[2:], "2026-03-06") == []
    assert rules.plans_fulfilled(plans, "not a day") == []


@given(st.lists(st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)), max_size=8), st.dates(dt.date(2025, 6, 1)))
def test_a_visit_never_fulfils_a_plan_more_than_a_week_ahead(days: list[dt.date], visited: dt.date) -> None:
    plans = [(str(i), d.isoformat()) for i, d in enumerate(days)]
    chosen = rules.plans_fulfilled(plans, visited.isoformat())
    limit = visited + dt.timedelta(days=rules.EARLY_DAYS)
    assert all(dt.date.fromisoformat(days[int(pid)].isoformat()) <= limit for pid in chosen)
    if any(d <= visited for d in days):  # every plan due is closed, and only those
        assert sorted(chosen, key=int) == [str(i) for i, d in enumerate(days) if d <= visited]
    else:
        assert len(chosen) <= 1

"""The service records' rules (客户服务记录): visit plans (拜访计划, F3 L68, L26, L86), care dates
(亲情联络, F3 L41), satisfaction surveys (满意度测评, F3 L44; validity F0 L17; telling the respondent
first F0 L393) and terminal observations on a visit (终端信息, F0 L221–238), shared by the client's entry
paths and the server's ``service.add`` / ``service.step``.

Pure functions over plain values: each check returns the problems as ``(field, code)``; ``MESSAGES`` gives
each code's message id (English source, zh_CN in the catalogue). docs/domain.md lists each rule with its line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.i18n import N_
from app.paths import resource_dir

KINDS = ("plan", "care", "survey", "observation")
KIND_LABELS = {
    "plan": N_("Visit plan"),
    "care": N_("Care date"),
    "survey": N_("Satisfaction survey"),
    "observation": N_("Terminal observation"),
}
#: How the display looks (F0 L236 零售终端的陈列情况).
DISPLAYS = ("good", "fair", "poor")
DISPLAY_LABELS = {"good": N_("Display: good"), "fair": N_("Display: fair"), "poor": N_("Display: poor")}
#: An observation's brand rows: sales and stock in cartons, the actual retail price in yuan per pack
#: (F0 L225–231: 不同品牌的销售情况, 库存数量, 实际销售价格).
BRANDS_MAX = 30
QUANTITY_MAX = 100_000
PRICE_MAX = 10_000
#: The occasions of personal contact (F3 L41: 重大节日、主要亲属重大疾病、子女上学、店面搬迁、店庆、婚礼;
#: the owner's birthday is one of the "important days" it ends with).
OCCASIONS = ("festival", "illness", "school", "relocation", "anniversary", "wedding", "birthday", "other")
OCCASION_LABELS = {
    "festival": N_("Festival"),
    "illness": N_("Serious illness of a close relative"),
    "school": N_("A child starting school"),
    "relocation": N_("Shop relocation"),
    "anniversary": N_("Shop anniversary"),
    "wedding": N_("Wedding"),
    "birthday": N_("Owner's birthday"),
    "other": N_("Other important day"),
}
#: Each kind's statuses: the first is the one a new record gets (a survey's is worked out: valid/invalid).
STATUSES = {
    "plan": ("open", "done", "cancelled"),
    "care": ("active", "cancelled"),
    "survey": ("valid", "invalid"),
    "observation": ("recorded",),
}
STATUS_LABELS = {
    "open": N_("Planned"),
    "done": N_("Visited"),
    "cancelled": N_("Cancelled"),
    "active": N_("Reminding"),
    "valid": N_("Valid"),
    "invalid": N_("Invalid"),
    "recorded": N_("Recorded"),
}
#: The steps each kind allows, from which status, and the status they lead to.
STEPS = {
    ("plan", "done"): ("open", "done"),
    ("plan", "cancel"): ("open", "cancelled"),
    ("care", "cancel"): ("active", "cancelled"),
}
CHANNELS = ("visit", "phone")
CHANNEL_LABELS = {"visit": N_("On a visit"), "phone": N_("By phone")}
#: Why a survey is invalid (F0 L17: 填写不完整的问卷、随意填写的问卷等都不能算作有效的问卷).
INVALID_LABELS = {
    "incomplete": N_("Incomplete: not every question answered"),
    "straight": N_("Random: the same answer to every question"),
    "pattern": N_("Random: the answers repeat a pattern"),
}
#: Care dates shown as coming up: the next 7 days (the issue's "coming week").
UPCOMING_DAYS = 7
#: A plan may be made up to a year ahead.
PLAN_AHEAD_DAYS = 366
TEXT_MAX = 200
NOTE_MAX = 2000
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

MESSAGES: dict[str, str] = {
    "service.kind": N_("Choose a visit plan, a care date, a satisfaction survey or an observation."),
    "service.observed_on": N_("Enter the observation's date as YYYY-MM-DD, not in the future."),
    "service.observation_empty": N_("Record at least one brand, the display, a promotion or the competitors."),
    "service.brands": N_("At most 30 brands, each named (at most 50 characters)."),
    "service.quantity": N_("Sales and stock are whole numbers of cartons from 0 to 100000."),
    "service.price": N_("The price is a number of yuan per pack from 0 to 10000."),
    "service.display": N_("Choose how the display looks (good, fair, poor)."),
    "service.id": N_("The record's id is not valid."),
    "service.date": N_("Enter the date as YYYY-MM-DD."),
    "service.plan_date": N_("A visit is planned for a date from 2000 to a year from today (YYYY-MM-DD)."),
    "service.survey_date": N_("Enter the survey's date as YYYY-MM-DD, not in the future."),
    "service.purpose": N_("Say what the visit is for (at most 200 characters)."),
    "service.note": N_("The note is too long (at most 2000 characters)."),
    "service.occasion": N_("Choose the occasion (festival, illness, school start, relocation, anniversary, …)."),
    "service.yearly": N_("Say whether the date comes back every year."),
    "service.questionnaire": N_("This questionnaire is not the one in use; answer the current questionnaire."),
    "service.channel": N_("Choose how the survey was answered (on a visit or by phone)."),
    "service.informed": N_("Tell the respondent how the answers will be used before asking, and record that."),
    "service.answers": N_("Each answer is one of the questionnaire's scores, to one of its questions."),
    "service.action": N_("This step does not exist for this record."),
    "service.transition": N_("This step cannot follow the record's present state ({status})."),
    "service.done_on": N_("The visit's date is a date (YYYY-MM-DD) not in the future."),
    "service.visit": N_("The visit that fulfils the plan is not valid."),
    "service.reason": N_("Say why (at most 200 characters)."),
    "service.duplicate": N_("This record is on the server already."),
    "service.not_found": N_("There is no such record."),
    "service.stale": N_("The record changed meanwhile; look at it again."),
}


@dataclass(frozen=True)
class Questionnaire:
    """The standard questionnaire (resources/surveys/satisfaction.json): its questions and answer scale."""

    id: str
    title: Mapping[str, str]
    period: str
    scale: tuple[Mapping[str, Any], ...]
    questions: tuple[Mapping[str, str], ...]

    @property
    def scores(self) -> tuple[int, ...]:
        return tuple(int(s["score"]) for s in self.scale)

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q["id"] for q in self.questions)


@cache
def questionnaire() -> Questionnaire:
    d = json.loads((resource_dir() / "surveys" / "satisfaction.json").read_text(encoding="utf-8"))
    return Questionnaire(d["id"], d["title"], d["period"], tuple(d["scale"]), tuple(d["questions"]))


def day(text: Any) -> dt.date | None:
    try:
        found = dt.date.fromisoformat(str(text))
    except ValueError:
        return None
    return found if found.year >= 1900 else None


def _text(value: Any, required: bool, limit: int) -> bool:
    if value is None or value == "":
        return not required
    return isinstance(value, str) and len(value) <= limit and (bool(value.strip()) or not required)


def validity(answers: Mapping[str, Any], q: Questionnaire | None = None) -> str:
    """ "" when the answers make a valid questionnaire, else the reason it is invalid (``INVALID_LABELS``):
    not every question answered; the same answer to every question; or the answers repeating a cycle of at
    most half the questions with more than one value (1-5-1-5…, 1-2-3-1-2-3…, a ramp 1…5 twice)."""
    q = q or questionnaire()
    got = [answers.get(k) for k in q.question_ids]
    if any(not isinstance(a, int) or isinstance(a, bool) for a in got):
        return "incomplete"
    if len(set(got)) == 1:
        return "straight"
    n = len(got)
    for period in range(2, n // 2 + 1):
        if all(got[i] == got[i - period] for i in range(period, n)):
            return "pattern"
    return ""


def score(answers: Mapping[str, Any]) -> float | None:
    """The mean score of the answered questions (None: none answered)."""
    got = [a for a in answers.values() if isinstance(a, int) and not isinstance(a, bool)]
    return round(sum(got) / len(got), 2) if got else None


def _survey_problems(body: Mapping[str, Any], q: Questionnaire) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if body.get("questionnaire") != q.id:
        out.append(("questionnaire", "service.questionnaire"))
    if body.get("channel") not in CHANNELS:
        out.append(("channel", "service.channel"))
    if body.get("informed") is not True:
        out.append(("informed", "service.informed"))
    answers = body.get("answers")
    if not isinstance(answers, Mapping) or any(
        k not in q.question_ids or (a is not None and (isinstance(a, bool) or a not in q.scores))
        for k, a in answers.items()
    ):
        out.append(("answers", "service.answers"))
    return out


def _number(value: Any, limit: float, whole: bool) -> bool:
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float) or (whole and not isinstance(value, int)):
        return False
    return 0 <= value <= limit


def _observation_problems(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    brands = body.get("brands", [])
    if not isinstance(brands, list) or len(brands) > BRANDS_MAX:
        return [("brands", "service.brands")]
    for b in brands:
        if not isinstance(b, Mapping) or not _text(b.get("brand"), True, 50):
            out.append(("brands", "service.brands"))
        elif not (_number(b.get("sales"), QUANTITY_MAX, True) and _number(b.get("stock"), QUANTITY_MAX, True)):
            out.append(("brands", "service.quantity"))
        elif not _number(b.get("price"), PRICE_MAX, False):
            out.append(("brands", "service.price"))
    if body.get("display") not in (None, "", *DISPLAYS):
        out.append(("display", "service.display"))
    for key in ("promotion", "competitors"):
        if not _text(body.get(key), False, TEXT_MAX):
            out.append((key, "service.note"))
    if not out and not (brands or body.get("display") or body.get("promotion") or body.get("competitors")):
        out.append(("brands", "service.observation_empty"))
    visit = body.get("visit_id")
    if visit not in (None, "") and (not isinstance(visit, str) or not _UUID.fullmatch(visit)):
        out.append(("visit_id", "service.visit"))
    return out[:1] if out else out


def record_problems(r: Mapping[str, Any], today: dt.date, slack_days: int = 0) -> list[tuple[str, str]]:
    """A new service record's problems: ``id``, ``kind``, ``on_date`` (a plan's visit day, a care date, a
    survey's day) and its ``body`` by kind."""
    out: list[tuple[str, str]] = []
    if not isinstance(r.get("id"), str) or not _UUID.fullmatch(r["id"]):
        out.append(("id", "service.id"))
    kind, body = r.get("kind"), r.get("body")
    if kind not in KINDS:
        return [*out, ("kind", "service.kind")]
    if not isinstance(body, Mapping):
        body = {}
    on = day(r.get("on_date"))
    if kind == "plan":
        if on is None or on.year < 2000 or on > today + dt.timedelta(days=PLAN_AHEAD_DAYS + slack_days):
            out.append(("on_date", "service.plan_date"))
        if not _text(body.get("purpose"), True, TEXT_MAX):
            out.append(("purpose", "service.purpose"))
    elif kind == "care":
        if on is None:
            out.append(("on_date", "service.date"))
        if body.get("occasion") not in OCCASIONS:
            out.append(("occasion", "service.occasion"))
        if not isinstance(body.get("yearly"), bool):
            out.append(("yearly", "service.yearly"))
    elif kind == "observation":
        if on is None or on > today + dt.timedelta(days=slack_days):
            out.append(("on_date", "service.observed_on"))
        out += _observation_problems(body)
    else:
        if on is None or on > today + dt.timedelta(days=slack_days):
            out.append(("on_date", "service.survey_date"))
        out += _survey_problems(body, questionnaire())
    if not _text(body.get("note"), False, NOTE_MAX):
        out.append(("note", "service.note"))
    return out


def initial_status(kind: str, body: Mapping[str, Any]) -> str:
    if kind == "survey":
        return "invalid" if validity(body.get("answers") or {}) else "valid"
    return STATUSES[kind][0]


def step_problems(
    kind: str, status: str, step: Mapping[str, Any], today: dt.date, slack_days: int = 0
) -> list[tuple[str, str]]:
    """A step's problems: ``done`` (a plan visited on ``done_on``, maybe by the visit ``visit_id``) or
    ``cancel`` (a plan or a care date, with its ``reason``), from the status it may follow."""
    action = step.get("action")
    rule = STEPS.get((kind, action)) if isinstance(action, str) else None
    if rule is None:
        return [("action", "service.action")]
    if status != rule[0]:
        return [("action", "service.transition")]
    out: list[tuple[str, str]] = []
    if action == "done":
        done = day(step.get("done_on"))
        if done is None or done > today + dt.timedelta(days=slack_days):
            out.append(("done_on", "service.done_on"))
        visit = step.get("visit_id")
        if visit not in (None, "") and (not isinstance(visit, str) or not _UUID.fullmatch(visit)):
            out.append(("visit_id", "service.visit"))
    elif not _text(step.get("reason"), True, TEXT_MAX):
        out.append(("reason", "service.reason"))
    return out


def is_overdue(kind: str, status: str, on_date: str, today: dt.date) -> bool:
    """A visit plan still open after its day."""
    return kind == "plan" and status == "open" and bool(on_date) and on_date < today.isoformat()


#: A visit made up to this many days before a plan's day fulfils it (visited early), when no plan is due.
EARLY_DAYS = 7


def plans_fulfilled(plans: Sequence[tuple[str, str]], visited_on: str) -> list[str]:
    """The open visit plans (``(id, planned day)``) a visit on ``visited_on`` fulfils: every plan due on or
    before that day (overdue ones too: the customer has been visited), else the first one planned within
    ``EARLY_DAYS`` after it (an early visit); none when the visit's day is not a date."""
    on = day(visited_on)
    if on is None:
        return []
    due = [pid for pid, planned in plans if planned and planned <= on.isoformat()]
    if due:
        return due
    until = (on + dt.timedelta(days=EARLY_DAYS)).isoformat()
    early = sorted((planned, pid) for pid, planned in plans if planned and on.isoformat() < planned <= until)
    return [early[0][1]] if early else []


def next_occurrence(on_date: str, yearly: bool, today: dt.date) -> dt.date | None:
    """The care date's next day on or after ``today``: the date itself, or for a yearly one its day this year
    or next (29 February falls on the 28th in other years); None when it is past and not yearly."""
    on = day(on_date)
    if on is None:
        return None
    if not yearly:
        return on if on >= today else None
    for year in (today.year, today.year + 1):
        try:
            found = on.replace(year=year)
        except ValueError:
            found = dt.date(year, 2, 28)
        if found >= today:
            return found
    return None  # not reached: next year's day is always after today


def upcoming(on_date: str, yearly: bool, today: dt.date, days: int = UPCOMING_DAYS) -> dt.date | None:
    """The day the care date comes up within ``days`` from today (inclusive of today), or None."""
    found = next_occurrence(on_date, yearly, today)
    return found if found is not None and found < today + dt.timedelta(days=days) else None


#: The visit cycle's choices (catalogue field ``visit_cycle``, F3 L86 拜访周期) as days, a month as one month on.
CYCLE_DAYS = {"weekly": 7, "biweekly": 14}
CYCLES = ("weekly", "biweekly", "monthly")


def cycle_due(cycle: str, last_visit: str | None, today: dt.date) -> dt.date | None:
    """The day the next visit is due by the customer's visit cycle: the last visit plus the cycle (a month: the
    same day next month, or the month's last day); never visited: today. None without a known cycle."""
    if cycle not in CYCLES:
        return None
    last = day((last_visit or "")[:10])
    if last is None:
        return today
    if cycle in CYCLE_DAYS:
        return last + dt.timedelta(days=CYCLE_DAYS[cycle])
    year, month = (last.year + 1, 1) if last.month == 12 else (last.year, last.month + 1)
    for d in range(last.day, 27, -1):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    return dt.date(year, month, min(last.day, 28))


def summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Surveys counted: valid and invalid apart (the results per collector / area use it)."""
    out = {"valid": 0, "invalid": 0}
    for r in rows:
        out["invalid" if r.get("status") == "invalid" else "valid"] += 1
    return out

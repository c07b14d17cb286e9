"""The service records' use cases (客户服务记录): visit plans, care dates, satisfaction surveys; the overdue
plans, the coming care dates, the survey results and the export.

Every entry path checks the shared rules (app.validation.service) before anything is stored, and refuses a
bad value with its message (UserFacingError); the server checks them again when the change arrives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from app import scratch
from app.errors import UserFacingError
from app.export.xlsx import Column, write_sheet
from app.i18n import N_, current_language, translate
from app.models.record import Provenance, Source, new_id
from app.models.service import ServiceItem, ServiceRecord
from app.services.session import Session
from app.validation import service as rules


def _refuse(problems: Sequence[tuple[str, str]], **params: Any) -> None:
    """The first problem as the user's error (each message says what to enter)."""
    if problems:
        raise UserFacingError(rules.MESSAGES[problems[0][1]], **params)


def _add(session: Session, customer_id: str, kind: str, on_date: str, body: dict[str, Any]) -> ServiceRecord:
    customer = session._archive.customers.get(customer_id)
    if customer is None:
        raise UserFacingError(N_("There is no such customer in this archive."))
    if customer.closed:
        raise UserFacingError(N_("This outlet is closed (销户); reopen it first."))
    body = {k: v for k, v in body.items() if v not in ("", None)}
    rec = ServiceRecord(new_id(), customer_id, kind, on_date.strip(), body)
    _refuse(rules.record_problems({"id": rec.id, "kind": kind, "on_date": rec.on_date, "body": body}, session.today()))
    if kind == "survey":
        body = {**body, "invalid": rules.validity(body["answers"]), "score": rules.score(body["answers"])}
    rec = ServiceRecord(rec.id, customer_id, kind, rec.on_date, body, rules.initial_status(kind, body))
    source = {"visit": Source.VISIT, "phone": Source.PHONE}.get(str(body.get("channel")), Source.MANUAL)
    source = Source.VISIT if kind == "observation" else source
    info = rec.on_date if kind in ("survey", "observation") else session.today().isoformat()
    return session._archive.service.add(rec, Provenance(session.user, source, info_date=info))


def plan_visit(session: Session, customer_id: str, on_date: str, purpose: str, note: str = "") -> ServiceRecord:
    """A visit planned for ``on_date`` (拜访计划, F3 L68)."""
    return _add(session, customer_id, "plan", on_date, {"purpose": purpose.strip(), "note": note.strip()})


def add_care_date(
    session: Session, customer_id: str, on_date: str, occasion: str, yearly: bool, note: str = ""
) -> ServiceRecord:
    """An occasion of personal contact (亲情联络, F3 L41), once or every year."""
    return _add(session, customer_id, "care", on_date, {"occasion": occasion, "yearly": yearly, "note": note.strip()})


def add_survey(
    session: Session,
    customer_id: str,
    on_date: str,
    channel: str,
    informed: bool,
    answers: Mapping[str, int | None],
    note: str = "",
) -> ServiceRecord:
    """A satisfaction questionnaire answered (满意度测评, F3 L44): refused unless the respondent was told first
    (F0 L393); stored as invalid, with the reason, when incomplete or patterned (F0 L17)."""
    body = {
        "questionnaire": rules.questionnaire().id,
        "channel": channel,
        "informed": informed,
        "answers": {k: v for k, v in answers.items() if v is not None},
        "note": note.strip(),
    }
    return _add(session, customer_id, "survey", on_date, body)


def _parse(text: str, whole: bool, code: str) -> int | float | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        value: int | float = int(text) if whole else float(text)
    except ValueError:
        raise UserFacingError(rules.MESSAGES[code]) from None
    return int(value) if not whole and float(value).is_integer() else value


def add_observation(
    session: Session,
    customer_id: str,
    on_date: str,
    brands: Sequence[Sequence[str]],
    display: str = "",
    promotion: str = "",
    competitors: str = "",
    visit_id: str = "",
    note: str = "",
) -> ServiceRecord:
    """What the customer manager saw at the terminal (F0 L221–238): per brand its sales and stock (cartons) and
    the actual retail price (yuan per pack), the display, promotions and competitors; rows as typed (brand,
    sales, stock, price), the empty ones left out."""
    rows = []
    for brand, sales, stock, price in brands:
        if not any(x.strip() for x in (brand, sales, stock, price)):
            continue
        row: dict[str, Any] = {"brand": brand.strip()}
        for key, text, whole, code in (
            ("sales", sales, True, "service.quantity"),
            ("stock", stock, True, "service.quantity"),
            ("price", price, False, "service.price"),
        ):
            value = _parse(text, whole, code)
            if value is not None:
                row[key] = value
        rows.append(row)
    body = {
        "brands": rows,
        "display": display,
        "promotion": promotion.strip(),
        "competitors": competitors.strip(),
        "visit_id": visit_id,
        "note": note.strip(),
    }
    return _add(session, customer_id, "observation", on_date, body)


def step(
    session: Session, record_id: str, action: str, done_on: str = "", visit_id: str = "", reason: str = ""
) -> ServiceRecord:
    """A visit plan done (with the visit that fulfils it) or cancelled; a care date cancelled."""
    rec = session._archive.service.get(record_id)
    if rec is None:
        raise UserFacingError(N_("There is no such record in this archive."))
    s = {"action": action, "done_on": done_on.strip(), "visit_id": visit_id.strip(), "reason": reason.strip()}
    status = translate(rules.STATUS_LABELS.get(rec.status, rec.status))
    _refuse(rules.step_problems(rec.kind, rec.status, s, session.today()), status=status)
    prov = Provenance(session.user, Source.MANUAL, info_date=done_on or session.today().isoformat())
    return session._archive.service.step(rec, s, prov)


def fulfil_plans(session: Session, customer_id: str, visit_id: str, visited_on: str) -> list[ServiceRecord]:
    """A visit recorded closes the customer's visit plans it fulfils (``rules.plans_fulfilled``): each done
    on the visit's day, naming the visit; they reach the server as steps like one done by hand."""
    plans = [r for r in of_customer(session, customer_id) if r.kind == "plan" and r.status == "open"]
    chosen = set(rules.plans_fulfilled([(r.id, r.on_date) for r in plans], visited_on))
    return [step(session, r.id, "done", done_on=visited_on, visit_id=visit_id) for r in plans if r.id in chosen]


def of_customer(session: Session, customer_id: str) -> list[ServiceRecord]:
    return session._archive.service.of_customer(customer_id)


def plan_from_cycle(session: Session, days: int = 7) -> list[ServiceRecord]:
    """Plans for the customers the user keeps whose visit cycle (``visit_cycle``, F3 L86) makes a visit due
    within ``days`` days and that have no open plan: each planned for its due day (today at the earliest), the
    visit batch (``visit_batch``, F3 L26) in its note. Each through the same checks, audit and queue."""
    today = session.today()
    arc = session._archive
    planned = {i.record.customer_id for i in arc.service.listed(("plan",), ("open",))}
    made = []
    for c in arc.customers.iterate():
        if c.closed or c.id in planned or (c.owner is not None and c.owner != session.user):
            continue
        cycle = str(c.values.get("visit_cycle") or "")
        due = rules.cycle_due(cycle, c.last_visit, today)
        if due is None or due >= today + dt.timedelta(days=days):
            continue
        label = translate(CYCLE_LABELS.get(cycle, cycle))
        batch = str(c.values.get("visit_batch") or "")
        note = translate(N_("Visit batch: {batch}")).format(batch=batch) if batch else ""
        purpose = translate(N_("Visit by the cycle ({cycle})")).format(cycle=label)
        made.append(plan_visit(session, c.id, max(due, today).isoformat(), purpose, note))
    return made


CYCLE_LABELS = {"weekly": N_("weekly"), "biweekly": N_("every two weeks"), "monthly": N_("monthly")}


def overdue_plans(session: Session) -> list[ServiceItem]:
    """Visit plans still open after their day, of the customers this archive holds (the to-do list)."""
    today = session.today()
    return [i for i in session._archive.service.listed(("plan",), ("open",)) if i.record.overdue(today)]


def due_plans(session: Session, days: int = 7) -> list[ServiceItem]:
    """Visit plans open and due in the next ``days`` days, overdue ones included (the week's visits)."""
    until = (session.today() + dt.timedelta(days=days)).isoformat()
    return [i for i in session._archive.service.listed(("plan",), ("open",)) if i.record.on_date < until]


def upcoming_care(session: Session) -> list[tuple[dt.date, ServiceItem]]:
    """The care dates coming up in the next ``UPCOMING_DAYS`` days, soonest first."""
    today = session.today()
    found = []
    for item in session._archive.service.listed(("care",), ("active",)):
        day = item.record.coming_up(today)
        if day is not None:
            found.append((day, item))
    return sorted(found, key=lambda p: (p[0], p[1].code))


def answer_label(score: int | None, lang: str | None = None) -> str:
    key = "zh_CN" if (lang or current_language()).startswith("zh") else "en"
    for s in rules.questionnaire().scale:
        if s["score"] == score:
            return str(s[key])
    return ""


def question_label(question: Mapping[str, str], lang: str | None = None) -> str:
    return question["zh_CN" if (lang or current_language()).startswith("zh") else "en"]


def _observed(b: Mapping[str, Any], t: Any) -> str:
    """An observation in one line: each brand with its figures, the display, the promotion, the competitors."""
    labels = (("sales", N_("sales")), ("stock", N_("stock")), ("price", N_("price")))
    brands = [
        str(x.get("brand")) + "".join(f" {t(label)} {x[k]}" for k, label in labels if k in x)
        for x in b.get("brands") or []
    ]
    parts = ["、".join(brands)] if brands else []
    if b.get("display"):
        parts.append(t(rules.DISPLAY_LABELS.get(str(b["display"]), str(b["display"]))))
    parts += [t(label).format(text=b[k]) for k, label in _TEXTS if b.get(k)]
    return " · ".join(parts)


_TEXTS = (("promotion", N_("promotion: {text}")), ("competitors", N_("competitors: {text}")))


def describe(rec: ServiceRecord, lang: str | None = None) -> str:
    """What the record says, in one line (the tab and the export)."""

    def t(msgid: str) -> str:
        return translate(msgid, lang)

    b = rec.body
    if rec.kind == "plan":
        text = str(b.get("purpose") or "")
        if rec.status == "done":
            text += " · " + t(N_("visited on {day}")).format(day=b.get("done_on", ""))
    elif rec.kind == "care":
        text = t(rules.OCCASION_LABELS.get(str(b.get("occasion")), str(b.get("occasion"))))
        if b.get("yearly"):
            text += " · " + t(N_("every year"))
    elif rec.kind == "observation":
        text = _observed(b, t)
    else:
        text = (
            t(rules.CHANNEL_LABELS.get(str(b.get("channel")), ""))
            + " · "
            + t(N_("score {score}")).format(score=b.get("score") if b.get("score") is not None else "—")
        )
        if b.get("invalid"):
            text += " · " + t(rules.INVALID_LABELS.get(str(b["invalid"]), str(b["invalid"])))
    if b.get("cancel_reason"):
        text += " · " + str(b["cancel_reason"])
    if b.get("note"):
        text += " · " + str(b["note"])
    return text


#: What the survey results are grouped by: the collector who took it, the customer's division (area) and its
#: market type (town or country: F3 L44 城乡兼顾).
RESULT_GROUPS = {"collector": N_("Collector"), "area": N_("Area (division code)"), "market": N_("Market type")}


def survey_results(session: Session, lang: str | None = None) -> list[tuple[str, str, int, int, float | None]]:
    """The surveys per collector, per area and per market type: (group kind, group, valid, invalid, the mean
    score of the valid ones); invalid questionnaires are counted apart and left out of the mean (F0 L17).
    A market type is named by its label on the form (``lang``), an area by its division code."""
    arc = session._archive
    items = arc.service.listed(("survey",))
    customers = arc.customers.many(sorted({i.record.customer_id for i in items}))
    groups: dict[tuple[str, str], list[ServiceRecord]] = {}
    for i in items:
        values = customers[i.record.customer_id].values if i.record.customer_id in customers else {}
        for kind, key in (
            ("collector", i.record.recorded_by),
            ("area", str(values.get("region_code") or "")),
            ("market", str(values.get("market_type") or "")),
        ):
            groups.setdefault((kind, key), []).append(i.record)
    market = session.form.get("market_type")
    out = []
    for (kind, key), recs in sorted(groups.items()):
        valid = [float(r.body.get("score") or 0) for r in recs if r.status == "valid"]
        mean = round(sum(valid) / len(valid), 2) if valid else None
        choice = market.choice(key) if kind == "market" and market is not None else None
        name = choice.label(lang or current_language()) if choice is not None else key
        out.append((kind, name, len(valid), len(recs) - len(valid), mean))
    return out


def export_service(session: Session, path: Path, lang: str | None = None) -> int:
    """One workbook: every service record of the customers held here (plans, care dates, surveys), and the
    survey answers one per row and question; returns the rows."""
    lang = lang or current_language()

    def t(msgid: str) -> str:
        return translate(msgid, lang)

    arc, today = session._archive, session.today()
    cols = [
        Column(t(N_("Customer code")), 16.0),
        Column(t(N_("Shop name")), 24.0),
        Column(t(N_("Kind")), 14.0),
        Column(t(N_("Date")), 12.0),
        Column(t(N_("Status")), 10.0),
        Column(t(N_("Overdue")), 8.0),
        Column(t(N_("Details")), 48.0),
        Column(t(N_("Recorded by")), 12.0),
    ]
    items = arc.service.listed()
    rows = [
        [
            i.code,
            i.shop_name,
            t(rules.KIND_LABELS.get(i.record.kind, i.record.kind)),
            i.record.on_date,
            t(rules.STATUS_LABELS.get(i.record.status, i.record.status)),
            t(N_("yes")) if i.record.overdue(today) else "",
            describe(i.record, lang),
            i.record.recorded_by,
        ]
        for i in items
    ]
    q = rules.questionnaire()
    answer_cols = [
        Column(t(N_("Customer code")), 16.0),
        Column(t(N_("Date")), 12.0),
        Column(t(N_("Question")), 36.0),
        Column(t(N_("Chosen answer")), 14.0),
        Column(t(N_("Score")), 8.0),
        Column(t(N_("Status")), 10.0),
    ]
    answers = [
        [
            i.code,
            i.record.on_date,
            question_label(question, lang),
            answer_label(i.record.body.get("answers", {}).get(question["id"]), lang),
            i.record.body.get("answers", {}).get(question["id"]),
            t(rules.STATUS_LABELS.get(i.record.status, i.record.status)),
        ]
        for i in items
        if i.record.kind == "survey"
        for question in q.questions
    ]
    result_cols = [
        Column(t(N_("Grouped by")), 14.0),
        Column(t(N_("Group")), 18.0),
        Column(t(N_("Valid")), 8.0),
        Column(t(N_("Invalid")), 8.0),
        Column(t(N_("Mean score of the valid ones")), 14.0),
    ]
    results = [[t(RESULT_GROUPS[k]), g, v, i, m] for k, g, v, i, m in survey_results(session, lang)]
    seen_cols = [
        Column(t(N_("Customer code")), 16.0),
        Column(t(N_("Date")), 12.0),
        Column(t(N_("Brand")), 18.0),
        Column(t(N_("Sales (cartons)")), 10.0),
        Column(t(N_("Stock (cartons)")), 10.0),
        Column(t(N_("Retail price (yuan/pack)")), 12.0),
    ]
    seen = [
        [i.code, i.record.on_date, str(b.get("brand", "")), b.get("sales"), b.get("stock"), b.get("price")]
        for i in items
        if i.record.kind == "observation"
        for b in i.record.body.get("brands") or []
    ]
    n = write_sheet(
        path,
        cols,
        rows,
        title=t(N_("Service records")),
        extra_sheets=[
            (t(N_("Survey answers")), answer_cols, answers),
            (t(N_("Survey results")), result_cols, results),
            (t(N_("Terminal observation")), seen_cols, seen),
        ],
        scratch_dir=scratch.archive_scratch(arc.path),
    )
    return n + len(answers) + len(results) + len(seen)

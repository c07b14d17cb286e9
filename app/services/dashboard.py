"""The dashboard's figures, from the archive as it is here (so offline too): submissions waiting
by age, completeness by customer manager, customers by business format and scale, credit grades."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.i18n import N_, current_language, translate
from app.services import review
from app.services.session import Session

AGE_BUCKETS = (N_("today or yesterday"), N_("2–3 working days"), N_("4–5 working days"), N_("more than 5"))


@dataclass
class Dashboard:
    pending_by_age: list[tuple[str, int, int]] = field(default_factory=list)  # (bucket, on time, overdue)
    completeness: list[tuple[str, int, float, int]] = field(default_factory=list)  # (who, customers, mean %, missing)
    formats: list[str] = field(default_factory=list)  # business formats, by size
    scales: list[str] = field(default_factory=list)  # scale labels (large, medium, small, unrated)
    by_format_scale: dict[str, list[int]] = field(default_factory=dict)
    credit: list[tuple[str, int]] = field(default_factory=list)  # (grade, customers)
    total: int = 0


def _label(session: Session, key: str, value: object, lang: str) -> str:
    if value in (None, ""):
        return translate(N_("not set"), lang)
    spec = session.form.get(key)
    choice = spec.choice(str(value)) if spec is not None else None
    return choice.label(lang) if choice else str(value)


def build(session: Session, now: dt.datetime | None = None) -> Dashboard:
    lang, cal = current_language(), session.calendar
    now = now or dt.datetime.now(dt.UTC)
    d = Dashboard()
    buckets = [[0, 0] for _ in AGE_BUCKETS]
    today = now.astimezone(review.CHINA).date()
    for it in review.queue(session, now):
        submitted = (it.submitted_at or now).astimezone(review.CHINA).date()
        age = cal.workdays_between(submitted, today)
        b = 0 if age <= 1 else 1 if age <= 3 else 2 if age <= 5 else 3
        buckets[b][1 if it.overdue else 0] += 1
    d.pending_by_age = [(translate(name, lang), a, b) for name, (a, b) in zip(AGE_BUCKETS, buckets, strict=True)]
    arc = session._archive
    d.completeness = [
        (owner or translate(N_("(this computer)"), lang), n, float(mean or 0), int(missing or 0))
        for owner, n, mean, missing in arc.figures.completeness_by_owner()
    ]
    d.total = sum(n for _o, n, _m, _x in d.completeness)
    fmt_spec, scale_spec = session.form.get("retail_format"), session.form.get("business_scale")
    scale_values: list[object] = [c.value for c in scale_spec.choices] if scale_spec and scale_spec.choices else []
    d.scales = [_label(session, "business_scale", v, lang) for v in scale_values] + [translate(N_("not rated"), lang)]
    table: dict[str, list[int]] = {}
    for fmt, scale, n in arc.figures.value_counts("retail_format", "business_scale"):
        row = table.setdefault(_label(session, "retail_format", fmt, lang), [0] * len(d.scales))
        idx = scale_values.index(scale) if scale in scale_values else len(scale_values)
        row[idx] += n
    d.formats = sorted(table, key=lambda k: -sum(table[k]))
    d.by_format_scale = table
    grades = {g: n for g, n in arc.figures.value_counts("credit_grade")}
    credit_spec = session.form.get("credit_grade")
    order = (
        [c.value for c in credit_spec.choices]
        if credit_spec and credit_spec.choices
        else sorted(g for g in grades if g)
    )
    d.credit = [(_label(session, "credit_grade", g, lang), grades.get(g, 0)) for g in order]
    d.credit.append((translate(N_("not rated"), lang), sum(n for g, n in grades.items() if g not in order)))
    if fmt_spec is None:
        d.formats, d.by_format_scale = [], {}
    return d

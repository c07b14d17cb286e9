"""Property tests: no validator raises on any input, and parsing is stable.

``parse_field`` turns a parser exception into an ``invalid`` issue (so a bug can never
take the form down); these tests assert that this fallback is never reached.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.models.catalogue import FieldType, load_form
from app.validation import parse_field, validate_values

FORM = load_form()
TODAY = dt.date(2026, 11, 22)
ONE_PER_TYPE = {f.type: f for f in FORM.fields}
NASTY = st.sampled_from(["\x00", "\u200b", "\u202e", "\u2066", "\ufeff", "😀", "🇨🇳", "\r\n", "\t", "'", '"', "=",
                         "+", "-", "@", "１", "ａ", "\u3000", "\U0002a6a5", "\ud7ff", "X", "x", ",", "，", "、", "年"])
TEXTS = st.one_of(
    st.text(),
    st.lists(st.one_of(NASTY, st.text(alphabet="0123456789", min_size=1, max_size=20)), max_size=30).map("".join),
)
VALUES = st.one_of(TEXTS, st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
                   st.dates(), st.lists(TEXTS, max_size=5), st.dictionaries(st.text(max_size=5), TEXTS, max_size=3))


def assert_no_crash(issues) -> None:
    assert all(i.code != "invalid" for i in issues), issues


@pytest.mark.parametrize("ftype", list(FieldType), ids=lambda t: t.value)
@given(raw=VALUES)
@settings(max_examples=150)
def test_no_parser_raises(ftype: FieldType, raw) -> None:
    spec = ONE_PER_TYPE[ftype]
    value, issues = parse_field(spec, raw, TODAY)
    assert_no_crash(issues)
    if value is not None:  # whatever was accepted parses again to itself
        again, issues2 = parse_field(spec, value, TODAY)
        assert again == value
        assert not [i for i in issues2 if i.severity.value == "error"]


@given(values=st.dictionaries(st.sampled_from([f.key for f in FORM.fields]), VALUES, max_size=20))
@settings(max_examples=200)
def test_whole_record_validation_never_raises(values) -> None:
    report = validate_values(FORM, values, today=TODAY)
    assert_no_crash(report.issues)
    assert 0.0 <= report.completeness <= 1.0


@pytest.mark.parametrize("ftype", list(FieldType), ids=lambda t: t.value)
@pytest.mark.parametrize("filler", ["1", "店", "😀", "\u200b", "1,", "-"])
def test_one_megabyte_inputs(ftype: FieldType, filler: str) -> None:
    spec = ONE_PER_TYPE[ftype]
    raw = filler * (1_000_000 // len(filler.encode("utf-8")))
    value, issues = parse_field(spec, raw, TODAY)
    assert_no_crash(issues)
    if value is not None:  # only free text could ever accept it, and then within its length limit
        assert len(str(value)) <= (spec.max_length or 200) or ftype is FieldType.MULTICHOICE

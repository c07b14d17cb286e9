"""Property tests: no validator raises on any input, and parsing is stable.

``parse_field`` turns a parser exception into an ``invalid`` issue (so a bug can never
take the form down); these tests assert that this fallback is never reached.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.models.catalogue import FieldSpec, FieldType, load_form
from app.validation import parse_field, validate_values
from app.validation.compiled import compiled

FORM = load_form()
TODAY = dt.date(2026, 11, 22)
#: The default form's phones take a landline too (``phone``): mobile_phone gets a field of its own.
ONE_PER_TYPE = {f.type: f for f in FORM.fields} | {
    FieldType.MOBILE_PHONE: FieldSpec("mobile", "other", "手机", "Mobile", FieldType.MOBILE_PHONE)
}
NASTY = st.sampled_from(
    [
        "\x00",
        "\u200b",
        "\u202e",
        "\u2066",
        "\ufeff",
        "😀",
        "🇨🇳",
        "\r\n",
        "\t",
        "'",
        '"',
        "=",
        "+",
        "-",
        "@",
        "１",
        "ａ",
        "\u3000",
        "\U0002a6a5",
        "\ud7ff",
        "X",
        "x",
        ",",
        "，",
        "、",
        "年",
    ]
)
TEXTS = st.one_of(
    st.text(),
    st.lists(st.one_of(NASTY, st.text(alphabet="0123456789", min_size=1, max_size=20)), max_size=30).map("".join),
)
VALUES = st.one_of(
    TEXTS,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates(),
    st.lists(TEXTS, max_size=5),
    st.dictionaries(st.text(max_size=5), TEXTS, max_size=3),
)


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


# ---- the fast paths agree with the reference implementations ---------------------------------
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_uscc_check_digit_matches_stdnum(first17: str) -> None:
    from stdnum.cn import uscc

    from app.validation.types import uscc_check_digit

    assert uscc_check_digit(first17) == uscc.calc_check_digit(first17)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_id_check_digit_matches_stdnum(first17: str, last: str) -> None:
    from stdnum.cn import ric

    from app.validation.types import id_check_digit

    assert id_check_digit(first17 + last) == ric.calc_check_digit(first17 + last)


@settings(max_examples=500)
@given(
    st.from_regex(r"0[1-9][0-9]{8,10}", fullmatch=True)
    | st.sampled_from(["01012345678", "02161234567", "075512345678", "031187654321", "0851123456789"[:12]])
)
def test_landline_area_length_matches_a_full_phonenumbers_parse(digits: str) -> None:
    import phonenumbers

    from app.validation.phones import _landline_area_length

    num = phonenumbers.parse(digits, "CN")
    fixed = phonenumbers.is_valid_number(num) and phonenumbers.number_type(num) in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    expected = 1 + phonenumbers.length_of_geographical_area_code(num) if fixed else 0
    assert _landline_area_length.__wrapped__(digits) == expected


@given(st.text(alphabet="0123456789", min_size=1, max_size=25))
def test_luhn_matches_stdnum(digits: str) -> None:
    from stdnum import luhn

    from app.validation.types import luhn_valid

    assert luhn_valid(digits) == luhn.is_valid(digits)


@pytest.mark.parametrize("ftype", [FieldType.DECIMAL, FieldType.GPS], ids=lambda t: t.value)
@given(
    raw=st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
        st.tuples(st.floats(-90, 90), st.floats(-180, 180)).map(lambda p: f"{p[0]:.6f},{p[1]:.6f}"),
        st.floats(0, 1e7).map(lambda x: f"{x:.4f}".rstrip("0").rstrip(".")),
    )
)
def test_canonical_fast_paths_give_what_the_full_parse_gives(ftype: FieldType, raw: str) -> None:
    """A value the parser produced parses to itself, with the same issues, through the fast path."""
    spec = ONE_PER_TYPE[ftype]
    value, issues = parse_field(spec, raw, TODAY)
    if value is None:
        return
    again, issues_again = parse_field(spec, value, TODAY)
    assert again == value and [i.code for i in issues_again] == [i.code for i in issues]
    # and the slow path agrees: the same value written in a non-canonical way
    slow, _ = parse_field(spec, " " + value.replace(",", " , ") + " ", TODAY)
    assert slow == value


# ---- remembered parses (compiled.MEMO_TYPES) -------------------------------------------------------
MEMO_FIELDS = [
    f.key
    for f in FORM.fields
    if f.type.value in ("choice", "multichoice", "date", "integer", "decimal", "boolean", "region_code", "postal_code")
]
# a small pool per field, so that values repeat from record to record (what the memo is for), good and bad
POOL = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "1",
            "0",
            "2026-11-21",
            "2026-11-23",
            "2027-01-01",
            "2026-02-30",
            "12.5",
            "-3",
            "610104",
            "710007",
            "individual",
            "urban",
            "cigarettes,liquor",
            "是",
            "否",
            "１２",
            "abc",
        ]
    ),
    st.sampled_from([1, 0, True, False, 2.5, -1]),
    st.lists(st.sampled_from(["cigarettes", "liquor", "daily_goods", "x", "mon"]), max_size=3),
)


@given(
    records=st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(MEMO_FIELDS), POOL, max_size=12),
            st.sampled_from([TODAY, TODAY + dt.timedelta(days=1), dt.date(2027, 1, 2)]),
        ),
        min_size=1,
        max_size=8,
    )
)
@settings(max_examples=150)
def test_remembered_parses_give_the_report_a_fresh_parse_gives(records) -> None:
    """Each record validated with what earlier records left in the memo, then again with nothing remembered."""
    for values, today in records:
        got = validate_values(FORM, values, today=today)
        compiled(FORM).forget_parses()
        want = validate_values(FORM, values, today=today)
        assert got.values == want.values and got.issues == want.issues
        assert {k: parse_field(FORM[k], v, today)[0] for k, v in values.items()} == {
            k: v for k, v in want.values.items()
        } | {k: None for k in values if k not in want.values}


def test_a_remembered_list_is_handed_out_as_a_copy() -> None:
    first = validate_values(FORM, {"business_scope": ["cigarettes", "liquor"]}, today=TODAY).values["business_scope"]
    first.append("changed by the caller")
    again = validate_values(FORM, {"business_scope": ["cigarettes", "liquor"]}, today=TODAY).values["business_scope"]
    assert again == ["cigarettes", "liquor"] and again is not first


def test_a_remembered_date_check_follows_the_day() -> None:
    """ "Not in the future" depends on the day: the memo is the day's."""
    values = {"binding_date": "2026-11-23"}

    def codes(today: dt.date) -> list[str]:
        return [i.code for i in validate_values(FORM, values, today=today, required=False).issues]

    assert codes(TODAY) == ["date.future"]
    assert codes(TODAY + dt.timedelta(days=1)) == []
    assert codes(TODAY) == ["date.future"]


def test_equal_inputs_of_other_types_are_remembered_apart() -> None:
    """True == 1 for a dict key; for an integer field one is a number and the other is not."""

    def brand_count(raw):
        return validate_values(FORM, {"brand_count": raw}, today=TODAY, required=False)

    assert brand_count(1).values == {"brand_count": 1} and brand_count(1).issues == []
    assert [i.code for i in brand_count(True).issues] == ["integer.invalid"]
    assert [i.code for i in brand_count(True).issues] == ["integer.invalid"] and brand_count(1).issues == []

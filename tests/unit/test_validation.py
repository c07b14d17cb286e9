"""Validators per type, normalisation, cross-field rules and messages."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import ric

from app.models.catalogue import FieldSpec, FieldType
from app.validation import Severity, parse_field, validate_values

#: A mobile-only field (the default form's phones take a landline too, see test_phone_fields_take_a_landline).
MOBILE = FieldSpec("mobile", "other", "联系电话（手机）", "Contact mobile", FieldType.MOBILE_PHONE)


def id_number(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def codes(issues):
    return [(i.severity.value, i.code) for i in issues]


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("13812345678", "13812345678"),
        ("１３８ １２３４ ５６７８", "13812345678"),  # full-width digits and ideographic spaces
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("138\u200b1234\u200d5678", "13812345678"),  # zero-width characters pasted from chat
        ("\u202e13812345678", "13812345678"),  # right-to-left override
    ],
)
def test_mobile_numbers_are_normalised(form, today, raw, expected) -> None:
    assert parse_field(MOBILE, raw, today) == (expected, [])


@pytest.mark.parametrize("raw", ["12345", "12812345678", "1381234567", "138123456789", "phone", "13812345678x"])
def test_bad_mobile_numbers_are_errors(form, today, raw) -> None:
    value, issues = parse_field(MOBILE, raw, today)
    assert value is None and codes(issues) == [("error", "mobile.format")]


def test_mobile_outside_known_ranges_is_a_warning_not_an_error(form, today) -> None:
    value, issues = parse_field(MOBILE, "14012345678", today)
    assert value == "14012345678" and codes(issues) == [("warning", "mobile.unallocated")]


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("029-88881234", "029-88881234"),
        ("(029)88881234", "029-88881234"),
        ("029 8888 1234 转 123", "029-88881234-123"),
        ("0755-12345678-8", "0755-12345678-8"),
        ("010-12345678", "010-12345678"),
        ("400-123-4567", "400-123-4567"),
    ],
)
def test_landlines(form, today, raw, expected) -> None:
    value, issues = parse_field(form["landline"], raw, today)
    assert value == expected and [i for i in issues if i.severity is Severity.ERROR] == []


# "0089 0101": 00 is no area code (phonenumbers read it as an unknown country code and raised; found by
# test_validation_properties.test_no_parser_raises)
@pytest.mark.parametrize("raw", ["88881234", "029-123", "abc", "13812345678", "0089 0101"])
def test_landline_without_area_code_is_an_error(form, today, raw) -> None:
    assert codes(parse_field(form["landline"], raw, today)[1]) == [("error", "landline.format")]


def test_id_with_district_created_after_birth_is_accepted(form, today) -> None:
    """610102 (新城区, used since 1983) with a 1962 birth date: real and common; stdnum's is_valid rejects it."""
    number = id_number("61010219620315001")
    assert not ric.is_valid(number)
    assert parse_field(form["id_card"], number, today) == (number, [])


def test_id_lower_case_x_and_spaces(form, today) -> None:
    assert parse_field(form["id_card"], "110105 19491231 002x", today) == ("11010519491231002X", [])


@pytest.mark.parametrize(
    "raw,code",
    [
        ("110105194912310021", "id_card.checksum"),
        ("1101051949123100", "id_card.length"),
        ("11010519491231002A", "id_card.format"),
        (id_number("11010519490230001"), "id_card.birth_date"),  # 30 February
        (id_number("11010520990101001"), "id_card.birth_future"),
        (id_number("93010519800101001"), "id_card.foreign_province"),  # 9 + "30": no province has the code 30
        (id_number("96184019800101001"), None),  # foreign permanent resident ID: 9, 61, 840 (USA)
        (id_number("00010519800101001"), "id_card.region"),
        ("110105491231002", None),  # legacy 15-digit form
        ("110105491331002", "id_card.birth_date"),
    ],
)
def test_id_card_rules(form, today, raw, code) -> None:
    value, issues = parse_field(form["id_card"], raw, today)
    if code is None:
        assert value == raw and issues == []
    else:
        assert value is None and codes(issues) == [("error", code)]


def test_id_birth_date_in_the_future_uses_today(form) -> None:
    number = id_number("11010520260101001")
    assert parse_field(form["id_card"], number, dt.date(2026, 1, 1))[0] == number
    assert codes(parse_field(form["id_card"], number, dt.date(2025, 12, 31))[1]) == [("error", "id_card.birth_future")]


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("91110000600037341L", ("91110000600037341L", [])),
        ("9111 0000 6000 3734 1l", ("91110000600037341L", [])),
        ("91110000600037341M", (None, [("error", "uscc.checksum")])),
        ("9111000060003734", (None, [("error", "uscc.length")])),
        ("9111000060003734IL", (None, [("error", "uscc.format")])),  # I is not in the alphabet
    ],
)
def test_uscc(form, today, raw, expected) -> None:
    value, issues = parse_field(form["uscc"], raw, today)
    assert (value, codes(issues)) == expected


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("610102100123", ("610102100123", [])),
        ("6101 0210 0123", ("610102100123", [])),
        ("61010210012", (None, [("error", "licence.format")])),
        ("991102100123", (None, [("error", "licence.region")])),
    ],
)
def test_tobacco_licence(form, today, raw, expected) -> None:
    value, issues = parse_field(form["licence_no"], raw, today)
    assert (value, codes(issues)) == expected


def test_bank_account_luhn_is_only_a_warning(form, today) -> None:
    assert parse_field(form["bank_account"], "6222 0212 3456 7890 128", today) == ("6222021234567890128", [])
    value, issues = parse_field(form["bank_account"], "6222021234567890", today)
    assert value == "6222021234567890" and codes(issues) == [("warning", "bank.luhn")]
    assert codes(parse_field(form["bank_account"], "12345678901", today)[1]) == [("error", "bank.format")]


@pytest.mark.parametrize(
    "key,raw,expected",
    [
        ("region_code", "610102", "610102"),
        ("region_code", "６１０１０２", "610102"),
        ("postal_code", "710001", "710001"),
        ("email", "Wang.Li@Example.COM", "Wang.Li@example.com"),
        ("location", "34.2583, 108.9426", "34.258300,108.942600"),
        ("location", "34.2583，108.9426", "34.258300,108.942600"),
        ("registered_capital", "12.50万元", "12.5"),
        ("registered_capital", 12.5, "12.5"),
        ("business_area", "1,200", "1200"),
        ("brand_count", "35个", 35),
        ("brand_count", 35.0, 35),
        ("licence_issue_date", "2024年3月5日", "2024-03-05"),
        ("licence_issue_date", "2024/3/5", "2024-03-05"),
        ("licence_issue_date", dt.datetime(2024, 3, 5, 0, 0), "2024-03-05"),
        ("order_method", "网上订货", "online"),
        ("order_method", "PHONE", "phone"),
        ("order_cycle", "周一、周三", ["mon", "wed"]),
        ("order_cycle", ["wed", "mon", "wed"], ["mon", "wed"]),
        ("pickup", "是", True),
        ("pickup", "FALSE", False),
        ("pickup", 1, True),
        ("taxpayer_no", "91110000600037341l", "91110000600037341L"),
        ("shop_name", "  老王\u200b烟酒\u3000店 ", "老王烟酒 店"),
    ],
)
def test_values_are_parsed_to_canonical_form(form, today, key, raw, expected) -> None:
    assert parse_field(form[key], raw, today) == (expected, [])


@pytest.mark.parametrize(
    "key,raw,code",
    [
        ("region_code", "61010", "region.format"),
        ("region_code", "990102", "region.province"),
        ("postal_code", "71000", "postal.format"),
        ("email", "not-an-email", "email.format"),
        ("location", "108.9426,34.2583", "gps.swapped"),
        ("location", "48.85,2.35", "gps.outside"),
        ("location", "north", "gps.format"),
        ("registered_capital", "1.234", "decimal.places"),
        ("registered_capital", "-3", "number.min"),
        ("business_area", "abc", "decimal.invalid"),
        ("brand_count", "3.5", "integer.invalid"),
        ("brand_count", "5000", "number.max"),
        ("licence_issue_date", "2030-01-01", "date.future"),
        ("licence_issue_date", "2024-02-30", "date.invalid"),
        ("licence_issue_date", "1899-12-31", "date.too_old"),
        ("order_method", "飞鸽传书", "choice.invalid"),
        ("pickup", "maybe", "boolean.invalid"),
        ("shop_name", "店" * 101, "text.too_long"),
        ("taxpayer_no", "12345", "text.pattern"),
        ("photo_storefront", "not-a-hash", "photo.invalid"),
    ],
)
def test_bad_values_are_errors(form, today, key, raw, code) -> None:
    value, issues = parse_field(form[key], raw, today)
    assert value is None and codes(issues) == [("error", code)]


def test_parsing_is_idempotent_on_canonical_values(form, today) -> None:
    samples = {
        "contact_phone": "138-1234-5678",
        "landline": "(029)88881234转12",
        "location": "34.2583,108.9426",
        "registered_capital": "12.50",
        "order_cycle": "周一、周三",
        "licence_issue_date": "2024年3月5日",
    }
    for key, raw in samples.items():
        first, _ = parse_field(form[key], raw, today)
        assert parse_field(form[key], first, today) == (first, []), key


def test_empty_input_is_not_an_issue(form, today) -> None:
    for key in ("contact_phone", "shop_name", "order_cycle", "pickup"):
        assert parse_field(form[key], "  \u200b ", today) == (None, [])


def test_required_fields_missing_is_its_own_severity(form, today) -> None:
    report = validate_values(form, {"shop_name": "老王烟酒店"}, today=today)
    missing = {i.field for i in report.missing}
    assert "contact_phone" in missing and "shop_name" not in missing
    assert not report.has_errors and not report.is_complete
    # System-maintained fields (customer code, credit grade) never count against the collector.
    assert "customer_code" not in missing and "credit_grade" not in missing
    assert 0 < report.completeness < 0.1


def test_required_if(form, today) -> None:
    r1 = validate_values(form, {"pickup": "否"}, today=today)
    assert "pickup_point" not in {i.field for i in r1.missing}
    r2 = validate_values(form, {"pickup": "是"}, today=today)
    assert "pickup_point" in {i.field for i in r2.missing}


@pytest.mark.parametrize(
    "values,field,code,severity",
    [
        (
            {"licence_issue_date": "2025-01-01", "licence_expiry_date": "2024-12-31"},
            "licence_issue_date",
            "licence.issue_after_expiry",
            "error",
        ),
        (
            {
                "licence_issue_date": "2025-01-01",
                "licence_expiry_date": "2030-01-01",
                "annual_review_date": "2024-06-01",
            },
            "annual_review_date",
            "licence.review_outside",
            "error",
        ),
        (
            {
                "licence_issue_date": "2025-01-01",
                "licence_expiry_date": "2030-01-01",
                "annual_review_date": "2031-06-01",
            },
            "annual_review_date",
            "licence.review_outside",
            "error",
        ),
        ({"licence_expiry_date": "2026-12-10"}, "licence_expiry_date", "licence.expires_soon", "warning"),
        ({"licence_expiry_date": "2026-11-01"}, "licence_expiry_date", "licence.expired", "warning"),
        ({"consent_signed": "否"}, "consent_signed", "consent.not_signed", "warning"),
    ],
)
def test_cross_field_rules(form, today, values, field, code, severity) -> None:
    report = validate_values(form, values, today=today)
    assert (severity, code) in [(i.severity.value, i.code) for i in report.issues if i.field == field]


def test_licence_dates_in_order_have_no_cross_field_issue(form, today) -> None:
    report = validate_values(
        form,
        {"licence_issue_date": "2024-01-01", "licence_expiry_date": "2029-01-01", "annual_review_date": "2025-01-01"},
        today=today,
    )
    assert not [i for i in report.issues if i.code.startswith("licence.")]


@pytest.mark.parametrize("key", ["contact_phone", "order_phone"])
@pytest.mark.parametrize(
    "raw,expected",
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("029-88881234", "029-88881234"),  # a shop without a mobile (F3 L16, L88: 电话号码, 订货电话号码)
        ("(029) 8888 1234", "029-88881234"),
        ("０２９－８８８８１２３４", "029-88881234"),
    ],
)
def test_phone_fields_take_a_mobile_or_a_landline(form, today, key, raw, expected) -> None:
    assert parse_field(form[key], raw, today) == (expected, [])


@pytest.mark.parametrize("raw", ["12345", "1381234567", "phone", "029-12"])
def test_a_phone_that_is_neither_is_one_clear_error(form, today, raw) -> None:
    value, issues = parse_field(form["contact_phone"], raw, today)
    assert value is None and codes(issues) == [("error", "phone.format")]
    zh = issues[0].message(form["contact_phone"].label("zh_CN"), "zh_CN")
    assert zh.startswith("联系电话") and "029-88881234" in zh


def test_messages_name_the_field_in_both_languages(form, today) -> None:
    issue = parse_field(MOBILE, "12345", today)[1][0]
    zh = issue.message(MOBILE.label("zh_CN"), "zh_CN")
    en = issue.message(MOBILE.label("en"), "en")
    assert zh.startswith("联系电话（手机）") and "11 位" in zh
    assert en.startswith("Contact mobile") and "11 digits" in en
    missing = validate_values(form, {}, today=today).missing[0]
    assert missing.message(form[missing.field].label("zh_CN"), "zh_CN").endswith("为必填项。")


def test_mobile_range_cache_agrees_with_phonenumbers(form, today) -> None:
    """The cached range check keys on the first 5 digits; compare it with a full parse (or our table)."""
    import random

    import phonenumbers

    from app.validation.mobile_ranges import allocated

    rng = random.Random(5)
    for _ in range(3000):
        number = "1" + str(rng.randrange(3, 10)) + "".join(str(rng.randrange(10)) for _ in range(9))
        parsed = phonenumbers.parse(number, "CN")
        full = phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
        _, issues = parse_field(MOBILE, number, today)
        assert (not issues) == (full or allocated(number)), number


def test_mobile_range_check_agrees_with_a_full_parse_for_every_prefix() -> None:
    """Every 5-digit prefix a mobile number can start with (1[3-9]xxx), both ends of its range."""
    import phonenumbers

    from app.validation.mobile_ranges import allocated
    from app.validation.phones import _mobile_range_known

    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    for prefix in (f"1{d}{n:03d}" for d in range(3, 10) for n in range(1000)):
        for number in (prefix + "000000", prefix + "999999"):
            parsed = phonenumbers.parse(number, "CN")
            full = phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in kinds
            assert _mobile_range_known.__wrapped__(prefix) == (full or allocated(number)), number


@pytest.mark.parametrize("role", ["collector", "supervisor"])
def test_completeness_matches_its_definition(form, today, role) -> None:
    """The missing fields and the counts are those of ``is_required`` and ``counts_for``, field by field."""
    import random

    from app.services.demo import generate
    from app.validation.validator import counts_for, is_required

    rng = random.Random(5)
    for values in generate(60, seed=8, today=today):
        for key in rng.sample(sorted(values), rng.randrange(0, 12)):
            values[key] = rng.choice([None, "", []])
        values["pickup"] = rng.choice(["是", "否", None])
        report = validate_values(form, values, today=today, role=role)
        failed = {i.field for i in report.errors}
        wanted = [f for f in form.fields if counts_for(f, role) and is_required(f, report.values)]
        assert report.required_total == len(wanted)
        assert {i.field for i in report.missing} == {
            f.key for f in wanted if f.key not in failed and report.values.get(f.key) in (None, "", [])
        }
        assert report.required_filled == len(wanted) - len(report.missing) - len([f for f in wanted if f.key in failed])


@pytest.mark.parametrize("key", ["shop_name", "address"])
def test_text_that_cannot_be_stored_is_cleaned_or_refused_at_entry(form, today, key) -> None:
    """A NUL is dropped like the other control characters; a lone surrogate (a broken character from a
    bad paste) cannot be dropped without losing what was meant: it is refused, with a clear message."""
    assert parse_field(form[key], "好又多\x00超市", today) == ("好又多超市", [])
    assert parse_field(form[key], "好又多😀", today) == ("好又多😀", [])
    value, issues = parse_field(form[key], "好又\ud800多", today)
    assert value is None and codes(issues) == [("error", "text.surrogate")]
    message = issues[0].message(form[key].label("zh_CN"), "zh_CN")
    assert message.startswith(form[key].label("zh_CN")) and "损坏的字符" in message
    report = validate_values(form, {key: "\udfff"}, today=today, required=False)
    assert [(i.field, i.code) for i in report.errors] == [(key, "text.surrogate")] and key not in report.values


def test_a_value_with_an_error_is_neither_filled_in_nor_missing(form, today) -> None:
    """Completeness counts valid values only: an own error (a wrong check character) or one against
    another field (issued after it expired) takes the field out of "filled", not into "missing"."""
    ok = {
        "licence_issue_date": "2020-01-01",
        "licence_expiry_date": "2022-01-01",
        "id_card": id_number("11010119900307123"),
    }
    base = validate_values(form, ok, today=today)
    wrong_id = validate_values(form, {**ok, "id_card": ok["id_card"][:-1] + "0"}, today=today)
    crossed = validate_values(form, {**ok, "licence_issue_date": "2023-01-01"}, today=today)
    for report, field in ((wrong_id, "id_card"), (crossed, "licence_issue_date")):
        assert report.required_filled == base.required_filled - 1
        assert report.required_total == base.required_total
        assert field not in {i.field for i in report.missing} and field in {i.field for i in report.errors}

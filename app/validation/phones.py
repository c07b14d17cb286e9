"""The parsers of telephone numbers: mobile (with our dated table of MIIT's ranges where the library's
metadata lags), landline (area code, subscriber number, extension; 400/800 service numbers) and a field
that takes either. Fast paths are checked against phonenumbers' public calls by the tests.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

import phonenumbers

from app.models.catalogue import FieldSpec
from app.validation import mobile_ranges
from app.validation.normalize import MAX_INSPECT, fold, is_ascii_digits
from app.validation.parsing import DIGITS, MOBILE, Result, as_text, compact, err, fail, warn
from app.validation.report import Issue


def _strip_country(digits: str) -> str:
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (10, 11):
            return digits[len(prefix) :]
    return digits


def parse_mobile(spec: FieldSpec, raw: Any) -> Result:
    s = compact(raw).lstrip("+")
    if not is_ascii_digits(s) or len(s) > 15:
        return fail(spec, raw, "mobile.format")
    s = _strip_country(s)
    if not MOBILE.fullmatch(s):
        return fail(spec, raw, "mobile.format")
    issues = [] if _mobile_range_known(s[:5]) else [warn(spec, "mobile.unallocated", value=s)]
    return s, issues


@cache  # at most 7,000 prefixes: 1[3-9]xxx
def _mobile_range_known(prefix5: str) -> bool:
    """Whether an 11-digit CN mobile number starting with ``prefix5`` lies in an allocated range: in our own
    dated table (app/validation/mobile_ranges.py, MIIT's allocations) or in the phonenumbers metadata.

    Mobile ranges are allocated by their first digits (号段); our table and the CN mobile patterns of the
    phonenumbers metadata depend on at most the first 5 (e.g. ``1740[0-5]``), so the answer for
    one number of a 5-digit prefix holds for all of them. Caching it saves a parse per value
    (a test checks the 5-digit assumption against the metadata).
    """
    if mobile_ranges.allocated(prefix5):
        return True
    num = phonenumbers.PhoneNumber(country_code=86, national_number=int(prefix5 + "000000"))  # what parse() makes
    return phonenumbers.is_valid_number(num) and phonenumbers.number_type(num) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def warm_mobile_ranges() -> None:
    """Work out the range check for every prefix a mobile number can have (1[3-9]xxx, 7,000 of them;
    about 0.1 s). A long-running server calls it once at start, so that no push pays for
    the first numbers of a prefix."""
    for d in range(3, 10):
        for n in range(1000):
            _mobile_range_known(f"1{d}{n:03d}")


_EXT = re.compile(r"^(.*?)(?:\s*(?:转|分机|ext\.?|x|#|,)\s*([0-9]{1,6}))$", re.IGNORECASE)
#: China's country code before a landline (+86, 0086, (+86), or 86 alone: a domestic number starts with 0);
#: the area code then follows without its trunk 0 (ITU-T E.164; +86 10 1234 5678 is Beijing's 010-12345678).
_INTL = re.compile(r"\(?\s*(?:\+|00)?\s*86\s*\)?[\s\-]*")
_LANDLINE_CHARS = re.compile(r"[0-9\s\-()]*")
_LANDLINE_DIGITS = re.compile(r"0[0-9]{6,11}")
_SERVICE = re.compile(r"(400|800)[0-9]{7}")


def _complete_landline(digits: str, first_group: str, subscriber: bool = False) -> bool:
    """Whether ``digits`` is a whole number: one phonenumbers knows as a fixed line, or else the first group
    as written (3 or 4 digits) as the area code and a 7- or 8-digit local number. With ``subscriber``, only
    a 7- or 8-digit local number counts (a 95xxx service number takes no implicit extension)."""
    if not _LANDLINE_DIGITS.fullmatch(digits):
        return False
    area = _landline_area_length(digits)
    if area:
        return not subscriber or 7 <= len(digits) - area <= 8
    return 3 <= len(first_group) <= 4 and 7 <= len(digits) - len(first_group) <= 8


def parse_landline(spec: FieldSpec, raw: Any) -> Result:
    """A fixed-line number → ``area-local`` or ``area-local-extension`` (or 400/800 ``xxx-xxx-xxxx``).

    - Domestic form: the area code with its trunk 0 (010, 021, 0755), then the local number: 7 or 8
      digits (area codes of 3 digits for 010 and 02x, else 4); what phonenumbers knows as a CN fixed line
      is split as it splits it (also the 5–6 digit 95xxx/96xxx service numbers), anything else is a warning.
    - International form: +86 / 0086 and the area code **without** its 0 (+86 10 1234 5678, +861012345678,
      +86 (21) 3422-5814); a written trunk 0 (+86 (0)10 …) is tolerated, as libphonenumber does.
    - A local number split into groups (010 1234 5678, 021-3422-5814, (0755)8610-5638) is one number; a
      last group is an extension only when explicit (转, 分机, ext, x, #) or when the number is whole
      without it and not whole with it (0755-12345678-8).
    """
    s = fold(as_text(raw)[:MAX_INSPECT])
    ext = ""
    m = _EXT.match(s)
    if m and DIGITS.search(m.group(1)):
        s, ext = m.group(1), m.group(2)
    intl = _INTL.match(s)
    if intl:
        s = s[intl.end() :]
    if not _LANDLINE_CHARS.fullmatch(s):
        return fail(spec, raw, "landline.format")
    groups = DIGITS.findall(s)
    if not groups:
        return fail(spec, raw, "landline.format")
    if intl:
        if _SERVICE.fullmatch("".join(groups)):
            groups = ["".join(groups)]
        elif not groups[0].startswith("0"):
            groups[0] = "0" + groups[0]
    digits = "".join(groups)
    if _SERVICE.fullmatch(digits):
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", []
    if not ext and len(groups) >= 3 and len(groups[-1]) <= 6:
        head = digits[: len(digits) - len(groups[-1])]
        if _complete_landline(head, groups[0], subscriber=True) and not _complete_landline(digits, groups[0]):
            digits, ext, groups = head, groups[-1], groups[:-1]
    # 010 is the only area code starting 01: 01x… is a mobile number with a 0 in front (+86 138…).
    if not _LANDLINE_DIGITS.fullmatch(digits) or (digits[1] == "1" and digits[2] != "0"):
        return fail(spec, raw, "landline.format")
    issues: list[Issue] = []
    known_area = _landline_area_length(digits)
    if known_area:  # libphonenumber's split (its local numbers include the 5- and 6-digit 95xxx/96xxx services)
        area_len = known_area
    else:
        area_len = len(groups[0]) if len(groups) >= 2 and 3 <= len(groups[0]) <= 4 else (3 if digits[1] in "12" else 4)
        issues.append(warn(spec, "landline.unknown", value=digits))
        if not 7 <= len(digits) - area_len <= 8:
            return fail(spec, raw, "landline.format")
    local = digits[area_len:]
    value = f"{digits[:area_len]}-{local}" + (f"-{ext}" if ext else "")
    return value, issues


def parse_phone(spec: FieldSpec, raw: Any) -> Result:
    """A mobile number, or a landline where the shop has no mobile (联系电话/订货电话, F3 L16, L88):
    what reads as a mobile is a mobile (``13812345678``), anything else must be a landline
    (``029-88881234``); neither is ``phone.format``."""
    value, issues = parse_mobile(spec, raw)
    if value is not None:
        return value, issues
    value, issues = parse_landline(spec, raw)
    if value is not None or any(i.code == "digits.not_ascii" for i in issues):
        return value, issues
    return None, err(spec, "phone.format")


@lru_cache(maxsize=8192)
def _landline_area_length(digits: str) -> int:
    """1 + the area code's length when phonenumbers knows ``digits`` as a CN fixed line, else 0.

    Cached per number: stored and pushed records are validated again and again with the same
    numbers, and one phonenumbers parse costs about 0.1 ms.
    """
    if digits[1] != "0":  # what parse() makes of "0" + a national number, without its text handling
        nsn = digits[1:]  # national_significant_number of PhoneNumber(86, int(nsn)): no leading zero here
        if _CN_TYPES is not None and _CN_FORMATS is not None:  # the library's two calls, compiled once
            return 1 + _nsn_destination_code_length(nsn) if _is_cn_fixed_line(nsn, _CN_TYPES) else 0
        num = phonenumbers.PhoneNumber(country_code=86, national_number=int(nsn))
    else:  # "00…": to the library, the international prefix and a country code, or nothing it knows
        try:
            num = phonenumbers.parse(digits, "CN")
        except phonenumbers.NumberParseException:
            return 0
    # One type check instead of four: for +86 (one region) is_valid_number is number_type's "not UNKNOWN",
    # and length_of_geographical_area_code of a fixed line in a country with a national prefix (CN: 0;
    # a test checks it) is length_of_national_destination_code, both after a number_type of their own.
    if phonenumbers.number_type(num) in _FIXED_TYPES:
        return 1 + _destination_code_length(num)
    return 0


#: A PhoneNumberDesc of CN's metadata as (its possible lengths, or None for any; its pattern compiled), or
#: None for a description that matches nothing (absent, or without a pattern: _is_number_matching_desc).
_Desc = tuple[frozenset[int] | None, re.Pattern[str]] | None


def _compiled_desc(desc: Any) -> _Desc:
    if desc is None or not desc.national_number_pattern:
        return None
    return (frozenset(desc.possible_length) or None, re.compile(desc.national_number_pattern))


def _cn_types() -> tuple[_Desc, tuple[_Desc, ...], _Desc] | None:
    """CN's descriptions as number_type reads them: the general one (a valid number), the types it tries
    before a fixed line (premium rate … voicemail: a number of one of these is not a fixed line), and the
    fixed line's; compiled once. None without CN metadata (the library is asked then)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    if meta is None:
        return None
    before = (
        meta.premium_rate,
        meta.toll_free,
        meta.shared_cost,
        meta.voip,
        meta.personal_number,
        meta.pager,
        meta.uan,
        meta.voicemail,
    )
    return (
        _compiled_desc(meta.general_desc),
        tuple(_compiled_desc(d) for d in before),
        _compiled_desc(meta.fixed_line),
    )


def _matches(nsn: str, desc: _Desc) -> bool:
    """phonenumbers' _is_number_matching_desc of a compiled description."""
    if desc is None:
        return False
    lengths, pattern = desc
    return (lengths is None or len(nsn) in lengths) and pattern.fullmatch(nsn) is not None


def _is_cn_fixed_line(nsn: str, types: tuple[_Desc, tuple[_Desc, ...], _Desc]) -> bool:
    """``number_type(PhoneNumber(86, int(nsn))) in _FIXED_TYPES`` (a test compares them), with CN's patterns
    compiled once: number_type walks the same descriptions in the same order, but looks up the region and
    the metadata and compiles (from its cache) each pattern on every call, ~0.1 ms a number."""
    general, before, fixed = types
    if not _matches(nsn, general) or any(_matches(nsn, d) for d in before):
        return False
    return _matches(nsn, fixed)  # then FIXED_LINE or FIXED_LINE_OR_MOBILE, both fixed lines


def _destination_code_length(num: phonenumbers.PhoneNumber) -> int:
    """length_of_national_destination_code of a CN fixed-line number (tests compare the two).

    The library formats the number internationally ("+86 29 8505 8251") and measures the group after
    "+86" when another follows; it asks number_type again only for a MOBILE number, which this is not.
    When every international format of CN's metadata writes its first group first and then a space
    (``\\1 \\2…``, true of the metadata today), that group is the first group of the format the library
    would choose, found here with the formats' patterns compiled once; otherwise the library formats."""
    if _CN_FORMATS is None:
        groups = _NON_DIGITS.split(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
        return len(groups[2]) if len(groups) > 3 else 0
    return _nsn_destination_code_length(phonenumbers.national_significant_number(num))


def _nsn_destination_code_length(nsn: str) -> int:
    """``_destination_code_length`` of a national significant number, with the formats compiled once."""
    assert _CN_FORMATS is not None
    for leading, pattern in _CN_FORMATS:  # as the library's _choose_formatting_pattern_for_number
        if leading is None or leading.match(nsn):
            m = pattern.fullmatch(nsn)
            if m:
                return len(m.group(1))
    return 0  # no format: the library writes "+86 <number>", one group


def _cn_formats() -> tuple[tuple[re.Pattern[str] | None, re.Pattern[str]], ...] | None:
    """(last leading-digits pattern, pattern) of the formats the library uses for CN's international
    format, compiled once; None when one of them is not of the form ``\\1 \\2…``."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    formats = (meta.intl_number_format or meta.number_format) if meta is not None else ()
    if not formats or not all((f.format or "").startswith("\\1 \\2") and f.pattern for f in formats):
        return None
    return tuple(
        (re.compile(f.leading_digits_pattern[-1]) if f.leading_digits_pattern else None, re.compile(f.pattern or ""))
        for f in formats
    )


_NON_DIGITS = phonenumbers.phonenumberutil.NON_DIGITS_PATTERN  # what length_of_national_destination_code splits by
_CN_FORMATS = _cn_formats()
_CN_TYPES = _cn_types()


_FIXED_TYPES = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)

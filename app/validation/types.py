"""One parser per field type: raw input (typed text or a spreadsheet cell) → canonical value + issues.

Parsers never raise on any input. They are idempotent: parsing a canonical value
gives it back unchanged, so stored records can be re-validated at any time.
Library checks are used where a well-kept library covers a rule (python-stdnum
for ID, USCC and Luhn and its GB/T 2260 code history; phonenumbers for CN mobile and
fixed-line ranges, with our own dated table of mobile ranges where its metadata lags);
the rest (tobacco licence, GPS bounds, dates) is written here.

Digits are ASCII digits: after NFKC (which turns full-width １ into 1) any other digit
(Arabic-Indic ٣, Devanagari ३, …) is refused with ``digits.not_ascii``; every pattern
below spells ``[0-9]``, never ``\\d`` (which matches every script's digits in Python).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from operator import mul
from typing import Any

import phonenumbers

from app.models.catalogue import FieldSpec, FieldType
from app.validation import gbt2260, mobile_ranges
from app.validation.identity import ByIdentity
from app.validation.iso3166 import CHINA, ISO3166_NUMERIC
from app.validation.normalize import (
    MAX_INSPECT,
    clean_text,
    compact_identifier,
    fold,
    foreign_digit,
    has_lone_surrogate,
    is_ascii_digits,
)
from app.validation.report import Issue, Severity

Result = tuple[Any, list[Issue]]

#: First two digits of a mainland province, or of Taiwan (71), Hong Kong (81), Macao (82),
#: and of the residence permits for Hong Kong, Macao and Taiwan residents (81, 82, 83).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
CHINA_LAT = (3.8, 53.6)
CHINA_LON = (73.4, 135.1)
_DIGITS = re.compile(r"[0-9]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_CANON_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,38})(?:\.[0-9]{0,20}[1-9])?")
_CANON_GPS = re.compile(r"-?[0-9]{1,3}\.[0-9]{6},-?[0-9]{1,3}\.[0-9]{6}")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LICENCE = re.compile(r"[0-9]{12}")
_BANK = re.compile(r"[0-9]{12,19}")
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_USCC = re.compile(r"[0-9A-HJ-NP-RTUWXY]{18}")


class FieldLookups:
    """What the parsers look up in one field, made once per field (``field_lookups``): its parsers,
    its own pattern compiled, its choice tables."""

    def __init__(self, spec: FieldSpec) -> None:
        self.parser: Callable[[FieldSpec, Any], Result] | None = PARSERS.get(spec.type)
        self.dated_parser: Callable[[FieldSpec, Any, dt.date], Result] | None = DATED_PARSERS.get(spec.type)
        self.pattern = re.compile(spec.pattern or "")
        self.choice_values = frozenset(c.value for c in spec.choices)
        self.choice_lookup: dict[str, str] = {}  # folded code, zh label and en label → code
        for c in reversed(spec.choices):
            for text in (c.label_en, c.label_zh, c.value):
                self.choice_lookup[fold(text).casefold()] = c.value


field_lookups: ByIdentity[FieldSpec, FieldLookups] = ByIdentity(FieldLookups)


def _spec_pattern(spec: FieldSpec) -> re.Pattern[str]:
    """The field's own pattern, compiled once."""
    return field_lookups(spec).pattern


def id_check_digit(s: str) -> str:
    """GB 11643's check character of an 18-character ID (its first 17 digits), as
    stdnum.cn.ric.calc_check_digit computes it, without the call overhead."""
    checksum = (1 - 2 * int(s[:17], 13)) % 11
    return "X" if checksum == 10 else str(checksum)


def uscc_check_digit(s: str) -> str:
    """GB 32100-2015's check character of the first 17 characters (as stdnum.cn.uscc, faster)."""
    total = sum(map(mul, _USCC_WEIGHTS, map(_USCC_VALUE.__getitem__, s[:17])))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def luhn_valid(s: str) -> bool:
    """The Luhn check of a digit string (as stdnum.luhn.is_valid, faster)."""
    digits = [ord(c) - 48 for c in s]
    return (sum(digits[-1::-2]) + sum(map(_LUHN_DOUBLED.__getitem__, digits[-2::-2]))) % 10 == 0


_TRUE = {"true", "t", "yes", "y", "1", "是", "对", "有", "√", "✓", "✔"}
_FALSE = {"false", "f", "no", "n", "0", "否", "不", "错", "无", "×", "✗", "✘"}
_SPLIT_MULTI = re.compile(r"[;,、|/\n]+")


def _err(spec: FieldSpec, code: str, /, **params: Any) -> list[Issue]:
    return [Issue.make(spec.key, Severity.ERROR, code, **params)]


def _warn(spec: FieldSpec, code: str, /, **params: Any) -> Issue:
    return Issue.make(spec.key, Severity.WARNING, code, **params)


def is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        stripped = raw.strip()
        return not stripped or (not stripped.isprintable() and not clean_text(stripped))
    if isinstance(raw, (list, tuple, set, dict)):
        return len(raw) == 0
    return False


def _as_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def parse_text(spec: FieldSpec, raw: Any) -> Result:
    limit = spec.max_length or 200
    if type(raw) is str and not spec.pattern and raw.isprintable() and "  " not in raw and raw == raw.strip():
        # the common case: text clean_text leaves as it is (printable: no surrogate), without the calls
        if len(raw) > limit:
            return None, _err(spec, "text.too_long", max=limit, length=len(raw))
        return raw, []
    multiline = limit >= 500
    s = _as_text(raw)
    if len(s) > 4 * limit + MAX_INSPECT:
        return None, _err(spec, "text.too_long", max=limit, length=len(s))
    if spec.pattern:
        value = compact_identifier(s)
        if len(value) > limit:
            return None, _err(spec, "text.too_long", max=limit, length=len(value))
        if not _spec_pattern(spec).fullmatch(value):
            return None, _err(spec, "text.pattern")
        return value, []
    value = clean_text(s, multiline=multiline)
    if len(value) > limit:
        return None, _err(spec, "text.too_long", max=limit, length=len(value))
    if has_lone_surrogate(value):  # NUL and other controls are dropped by clean_text; this cannot be
        return None, _err(spec, "text.surrogate")
    return value, []


def _strip_unit(spec: FieldSpec, s: str) -> str:
    s = fold(s).replace(",", "").replace(" ", "")
    for unit in (spec.unit_zh, spec.unit_en):
        if unit and s.endswith(unit):
            s = s[: -len(unit)]
    return s


def _range(spec: FieldSpec, value: Any) -> list[Issue]:
    if spec.min is not None and value < Decimal(str(spec.min)):
        return _err(spec, "number.min", min=spec.min)
    if spec.max is not None and value > Decimal(str(spec.max)):
        return _err(spec, "number.max", max=spec.max)
    return []


def parse_integer(spec: FieldSpec, raw: Any) -> Result:
    if isinstance(raw, bool):
        return None, _err(spec, "integer.invalid")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    else:
        s = _strip_unit(spec, _as_text(raw))
        if len(s) > 30 or not _INTEGER.fullmatch(s):
            return _fail(spec, raw, "integer.invalid")
        value = int(s)
    issues = _range(spec, Decimal(value))
    return (None if issues else value), issues


def canonical_decimal(d: Decimal) -> str:
    d = d.normalize() if d != 0 else Decimal(0)
    s = format(d, "f")
    return s


def parse_decimal(spec: FieldSpec, raw: Any) -> Result:
    if type(raw) is str and len(raw) <= 40 and _CANON_DECIMAL.fullmatch(raw):  # canonical (stored, synced)
        _, _, frac = raw.partition(".")
        if spec.decimals is not None and len(frac) > spec.decimals:
            return None, _err(spec, "decimal.places", decimals=spec.decimals)
        if raw == "-0":
            return "0", []
        issues = _range(spec, Decimal(raw)) if spec.min is not None or spec.max is not None else []
        return (None if issues else raw), issues
    if isinstance(raw, bool):
        return None, _err(spec, "decimal.invalid")
    try:
        if isinstance(raw, (int, float)):
            d = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        else:
            s = _strip_unit(spec, _as_text(raw))
            if len(s) > 60 or not _DECIMAL.fullmatch(s):
                return _fail(spec, raw, "decimal.invalid")
            d = Decimal(s)
    except (InvalidOperation, ValueError):
        return None, _err(spec, "decimal.invalid")
    if not d.is_finite() or len(canonical_decimal(d)) > 40:
        return None, _err(spec, "decimal.invalid")
    d = d.normalize() if d != 0 else Decimal(0)
    exp = d.as_tuple().exponent
    if spec.decimals is not None and isinstance(exp, int) and -exp > spec.decimals:
        return None, _err(spec, "decimal.places", decimals=spec.decimals)
    issues = _range(spec, d)
    return (None if issues else canonical_decimal(d)), issues


_DATE_PATTERNS = (
    re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})[日号]?"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
)


def to_date(raw: Any) -> dt.date | None:
    """A date from a date/datetime object or from text in a common format; None if it is not one."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    if len(raw) == 10 and raw[4] == raw[7] == "-" and raw.isascii():
        try:
            return dt.date.fromisoformat(raw)  # the canonical form, without any regex work
        except ValueError:
            pass
    s = fold(raw).replace(" ", "") if "年" in raw else fold(raw)
    for pat in _DATE_PATTERNS:
        m = pat.fullmatch(s)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def parse_date(spec: FieldSpec, raw: Any, today: dt.date) -> Result:
    d = to_date(raw)
    if d is None:
        return _fail(spec, raw, "date.invalid")
    iso = d.isoformat()
    if d.year < 1900:
        return None, _err(spec, "date.too_old", date=iso)
    if spec.not_future and d > today:
        return None, _err(spec, "date.future", date=iso)
    return iso, []


def _choice_lookup(spec: FieldSpec) -> dict[str, str]:
    """Folded code, zh label and en label → code."""
    return field_lookups(spec).choice_lookup


def _choice_values(spec: FieldSpec) -> frozenset[str]:
    return field_lookups(spec).choice_values


def parse_choice(spec: FieldSpec, raw: Any) -> Result:
    if isinstance(raw, str) and raw in _choice_values(spec):
        return raw, []  # already a code (the common case: stored values, pushed mutations)
    s = _as_text(raw)
    key = fold(s[:MAX_INSPECT]).casefold()
    value = _choice_lookup(spec).get(key)
    if value is None:
        return None, _err(spec, "choice.invalid", value=clean_text(s[:40]))
    return value, []


def parse_multichoice(spec: FieldSpec, raw: Any) -> Result:
    if isinstance(raw, list) and raw and all(isinstance(p, str) for p in raw) and set(raw) <= _choice_values(spec):
        chosen_codes = set(raw)
        return [c.value for c in spec.choices if c.value in chosen_codes], []
    parts = (
        [str(p) for p in raw]
        if isinstance(raw, (list, tuple, set))
        else _SPLIT_MULTI.split(fold(_as_text(raw))[:MAX_INSPECT])
    )
    lookup = _choice_lookup(spec)
    chosen: set[str] = set()
    for p in parts:
        p = fold(p)
        if not p:
            continue
        value = lookup.get(p.casefold())
        if value is None:
            return None, _err(spec, "choice.invalid", value=clean_text(p[:40]))
        chosen.add(value)
    return ([c.value for c in spec.choices if c.value in chosen] or None), []


def parse_boolean(spec: FieldSpec, raw: Any) -> Result:
    if isinstance(raw, bool):
        return raw, []
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw), []
    s = fold(_as_text(raw)[:32]).casefold()
    if s in _TRUE:
        return True, []
    if s in _FALSE:
        return False, []
    return None, _err(spec, "boolean.invalid")


def _compact(raw: Any) -> str:
    """compact_identifier, skipped for input that is already plain ASCII letters and digits."""
    if isinstance(raw, str) and raw.isascii() and raw.isalnum() and len(raw) <= 64:
        return raw.upper()
    return compact_identifier(_as_text(raw)[:MAX_INSPECT])


def _fail(spec: FieldSpec, raw: Any, code: str, /, **params: Any) -> Result:
    """A refused value: ``digits.not_ascii`` when it holds a digit of another script (which no pattern here
    accepts, so only refusals need to look), else ``code``. Costs nothing on the accepting path."""
    if type(raw) is str:
        c = foreign_digit(raw[:MAX_INSPECT])
        if c is not None:
            return None, _err(spec, "digits.not_ascii", char=c)
    return None, _err(spec, code, **params)


def _strip_country(digits: str) -> str:
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (10, 11):
            return digits[len(prefix) :]
    return digits


def parse_mobile(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw).lstrip("+")
    if not is_ascii_digits(s) or len(s) > 15:
        return _fail(spec, raw, "mobile.format")
    s = _strip_country(s)
    if not _MOBILE.fullmatch(s):
        return _fail(spec, raw, "mobile.format")
    issues = [] if _mobile_range_known(s[:5]) else [_warn(spec, "mobile.unallocated", value=s)]
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
    s = fold(_as_text(raw)[:MAX_INSPECT])
    ext = ""
    m = _EXT.match(s)
    if m and _DIGITS.search(m.group(1)):
        s, ext = m.group(1), m.group(2)
    intl = _INTL.match(s)
    if intl:
        s = s[intl.end() :]
    if not _LANDLINE_CHARS.fullmatch(s):
        return _fail(spec, raw, "landline.format")
    groups = _DIGITS.findall(s)
    if not groups:
        return _fail(spec, raw, "landline.format")
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
        return _fail(spec, raw, "landline.format")
    issues: list[Issue] = []
    known_area = _landline_area_length(digits)
    if known_area:  # libphonenumber's split (its local numbers include the 5- and 6-digit 95xxx/96xxx services)
        area_len = known_area
    else:
        area_len = len(groups[0]) if len(groups) >= 2 and 3 <= len(groups[0]) <= 4 else (3 if digits[1] in "12" else 4)
        issues.append(_warn(spec, "landline.unknown", value=digits))
        if not 7 <= len(digits) - area_len <= 8:
            return _fail(spec, raw, "landline.format")
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
    return None, _err(spec, "phone.format")


@lru_cache(maxsize=8192)
def _landline_area_length(digits: str) -> int:
    """1 + the area code's length when phonenumbers knows ``digits`` as a CN fixed line, else 0.

    Cached per number: stored and pushed records are validated again and again with the same
    numbers, and one phonenumbers parse costs about 0.1 ms.
    """
    if digits[1] != "0":  # what parse() makes of "0" + a national number, without its text handling
        num = phonenumbers.PhoneNumber(country_code=86, national_number=int(digits[1:]))
    else:
        num = phonenumbers.parse(digits, "CN")
    # One type check instead of four: for +86 (one region) is_valid_number is number_type's "not UNKNOWN",
    # and length_of_geographical_area_code of a fixed line in a country with a national prefix (CN: 0;
    # a test checks it) is length_of_national_destination_code, both after a number_type of their own.
    if phonenumbers.number_type(num) in _FIXED_TYPES:
        return 1 + _destination_code_length(num)
    return 0


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
    nsn = phonenumbers.national_significant_number(num)
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


_FIXED_TYPES = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


#: Mainland provinces (no 71, 81, 82, 83): where a foreign permanent resident ID card is issued.
MAINLAND_PROVINCES = PROVINCES - {"71", "81", "82", "83"}
#: GB 11643's example holder was born in 1880; an earlier year is possible in law but almost always a typo.
ID_BIRTH_WARN_BEFORE = 1890


def parse_id_card(spec: FieldSpec, raw: Any, today: dt.date) -> Result:
    """Citizen identity number (GB 11643-1999) or foreign permanent resident ID (2023 layout).

    GB 11643 §4: 6-digit address code (GB/T 2260) + 8-digit birth date (GB/T 7408) + 3-digit sequence +
    check character (ISO 7064 MOD 11-2, X for 10). The 15-digit numbers issued before 1999 have a 2-digit
    year and no check character. Numbers starting with 9 are foreign permanent resident IDs (see
    ``_foreign_permanent``)."""
    s = _compact(raw)
    if len(s) not in (15, 18):
        return _fail(spec, raw, "id_card.length")
    if len(s) == 15:
        if not is_ascii_digits(s):
            return _fail(spec, raw, "id_card.format")
        y, mth, d = 1900 + int(s[6:8]), int(s[8:10]), int(s[10:12])
    else:
        if not is_ascii_digits(s[:17]) or s[17] not in "0123456789X":
            return _fail(spec, raw, "id_card.format")
        if id_check_digit(s) != s[17]:
            return None, _err(spec, "id_card.checksum")
        y, mth, d = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if len(s) == 18 and s[0] == "9":
        issue = _foreign_permanent(spec, s)
        if issue:
            return None, issue
    elif not (gbt2260.is_known(s[:6]) or s[:6] in gbt2260.RESIDENCE_PERMIT_CODES):
        # Any code GB/T 2260 has ever listed: a number keeps the code of the place where it was first
        # registered, often years after birth (so not stdnum's ric.validate, which wants the code to
        # exist in the birth year and rejects 610102 with a 1962 birth date).
        if s[:2] not in PROVINCES:
            return None, _err(spec, "id_card.region", code=s[:2])
        return None, _err(spec, "id_card.address", code=s[:6])
    try:
        born = dt.date(y, mth, d)
    except ValueError:
        return None, _err(spec, "id_card.birth_date", date=f"{y:04d}-{mth:02d}-{d:02d}")
    if born > today:
        return None, _err(spec, "id_card.birth_future", date=born.isoformat())
    if born.year < ID_BIRTH_WARN_BEFORE:
        return s, [_warn(spec, "id_card.birth_old", date=born.isoformat())]
    return s, []


def _foreign_permanent(spec: FieldSpec, s: str) -> list[Issue]:
    """Foreign permanent resident ID card, 2023 layout (国家移民管理局, 2023-12-01): 9 + the 2-digit code of
    the province where it was issued + the 3-digit nationality code (GB/T 2659.1 = ISO 3166-1 numeric) +
    birth date (8) + sequence (3) + the same ISO 7064 MOD 11-2 check character (checked by the caller)."""
    if s[1:3] not in MAINLAND_PROVINCES:
        return _err(spec, "id_card.foreign_province", code=s[1:3])
    if s[3:6] not in ISO3166_NUMERIC or s[3:6] == CHINA:
        return _err(spec, "id_card.nationality", code=s[3:6])
    return []


def parse_uscc(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw)
    if len(s) != 18:
        return _fail(spec, raw, "uscc.length")
    if not _USCC.fullmatch(s):
        return _fail(spec, raw, "uscc.format")
    if uscc_check_digit(s) != s[17]:
        return None, _err(spec, "uscc.checksum")
    return s, []


def parse_licence(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw)
    if not _LICENCE.fullmatch(s):
        return _fail(spec, raw, "licence.format")
    if s[:2] not in PROVINCES:
        return None, _err(spec, "licence.region", code=s[:2])
    return s, []


def parse_bank_account(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw)
    if not _BANK.fullmatch(s):
        return _fail(spec, raw, "bank.format")
    issues = [] if luhn_valid(s) else [_warn(spec, "bank.luhn")]
    return s, issues


def parse_region(spec: FieldSpec, raw: Any) -> Result:
    """An administrative division code: 6 digits that GB/T 2260 lists or has listed (province 610000,
    prefecture 610100, county 610102; withdrawn codes such as 110103 崇文区 stay valid for old records)."""
    s = _compact(raw)
    if not _SIX_DIGITS.fullmatch(s):
        return _fail(spec, raw, "region.format")
    if s[:2] not in PROVINCES:
        return None, _err(spec, "region.province", code=s)
    if not gbt2260.is_known(s):
        return None, _err(spec, "region.unknown", code=s)
    return s, []


def parse_postal(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw)
    if not _SIX_DIGITS.fullmatch(s):
        return _fail(spec, raw, "postal.format")
    return s, []


_EMAIL_DOMAIN = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}"
)
#: RFC 5322 §3.2.3 atext (ALPHA, DIGIT and !#$%&'*+-/=?^_`{|}~) and the dots between atoms.
_EMAIL_LOCAL_ASCII = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~.")
_EMAIL_LOCAL_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]{1,64}(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]{1,63})*")


def _email_local_ok(local: str) -> bool:
    """The local part as a dot-atom (RFC 5322 §3.4.1: atext atoms joined by single dots, none leading or
    trailing) and, as RFC 6531 §3.3 allows (UTF8-non-ascii in atext), any non-ASCII letter, mark or digit
    (汉字@qq.com); at most 64 octets of UTF-8 (RFC 5321 §4.5.3.1.1). Quoted local parts are not taken."""
    if local.isascii():  # the common case, in one regex
        return len(local) <= 64 and _EMAIL_LOCAL_DOT_ATOM.fullmatch(local) is not None
    if not local or local[0] == "." or local[-1] == "." or ".." in local:
        return False
    for c in local:
        if c.isascii():
            if c not in _EMAIL_LOCAL_ASCII:
                return False
        elif unicodedata.category(c)[0] not in "LMN":
            return False
    return len(local.encode("utf-8")) <= 64


def parse_email(spec: FieldSpec, raw: Any) -> Result:
    s = fold(_as_text(raw)[:MAX_INSPECT]).replace(" ", "")
    local, at, domain = s.rpartition("@")
    if len(s) > 254 or not at or not _EMAIL_DOMAIN.fullmatch(domain) or not _email_local_ok(local):
        return None, _err(spec, "email.format")
    return f"{local}@{domain.lower()}", []


def _in_china(lat: float, lon: float) -> bool:
    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]


def parse_gps(spec: FieldSpec, raw: Any) -> Result:
    if type(raw) is str and _CANON_GPS.fullmatch(raw):  # already canonical: "lat,lon" to 6 places
        lat_s, lon_s = raw.split(",")
        lat, lon = float(lat_s), float(lon_s)
        if _in_china(lat, lon):
            return raw, []
    if isinstance(raw, dict):
        parts = [raw.get("lat"), raw.get("lon")]
    elif isinstance(raw, (list, tuple)):
        parts = list(raw)
    else:
        parts = re.split(r"\s*[,;\s]\s*", fold(_as_text(raw)[:200]).strip())
    for p in parts:
        if isinstance(p, str) and foreign_digit(p[:200]):  # Decimal("٣٤") would read it as 34
            return _fail(spec, p, "gps.format")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = (float(Decimal(str(p))) for p in parts)
    except (ValueError, TypeError, InvalidOperation):
        return None, _err(spec, "gps.format")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        if _in_china(lon, lat):
            return None, _err(spec, "gps.swapped")
        return None, _err(spec, "gps.format")
    if not _in_china(lat, lon):
        if _in_china(lon, lat):
            return None, _err(spec, "gps.swapped")
        return None, _err(spec, "gps.outside", value=f"{lat:.6f},{lon:.6f}")
    return f"{round(lat, 6):.6f},{round(lon, 6):.6f}", []


def parse_photo(spec: FieldSpec, raw: Any) -> Result:
    parts = list(raw) if isinstance(raw, (list, tuple)) else _SPLIT_MULTI.split(_as_text(raw)[:MAX_INSPECT])
    refs: list[str] = []
    for p in parts:
        p = str(p).strip().lower()
        if not p:
            continue
        if not _SHA256.fullmatch(p):
            return None, _err(spec, "photo.invalid")
        if p not in refs:
            refs.append(p)
    return (refs or None), []


PARSERS: dict[FieldType, Callable[..., Result]] = {
    FieldType.TEXT: parse_text,
    FieldType.INTEGER: parse_integer,
    FieldType.DECIMAL: parse_decimal,
    FieldType.CHOICE: parse_choice,
    FieldType.MULTICHOICE: parse_multichoice,
    FieldType.BOOLEAN: parse_boolean,
    FieldType.MOBILE_PHONE: parse_mobile,
    FieldType.LANDLINE: parse_landline,
    FieldType.PHONE: parse_phone,
    FieldType.USCC: parse_uscc,
    FieldType.TOBACCO_LICENCE: parse_licence,
    FieldType.BANK_ACCOUNT: parse_bank_account,
    FieldType.REGION_CODE: parse_region,
    FieldType.POSTAL_CODE: parse_postal,
    FieldType.EMAIL: parse_email,
    FieldType.GPS: parse_gps,
    FieldType.PHOTO: parse_photo,
}
DATED_PARSERS: dict[FieldType, Callable[..., Result]] = {
    FieldType.DATE: parse_date,
    FieldType.ID_CARD: parse_id_card,
}

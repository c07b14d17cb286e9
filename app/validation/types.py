"""One parser per field type: raw input (typed text or a spreadsheet cell) → canonical value + issues.

Parsers never raise on any input. They are idempotent: parsing a canonical value
gives it back unchanged, so stored records can be re-validated at any time.
Library checks are used where a well-kept library covers a rule (python-stdnum
for ID, USCC and Luhn; phonenumbers for CN mobile and fixed-line ranges); the
rest (tobacco licence, region codes, GPS bounds, dates) is written here.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable

import phonenumbers

from app.models.catalogue import FieldSpec, FieldType
from app.validation.normalize import MAX_INSPECT, clean_text, compact_identifier, fold, has_lone_surrogate
from app.validation.report import Issue, Severity

Result = tuple[Any, list[Issue]]

#: First two digits of a mainland province, or of Taiwan (71), Hong Kong (81), Macao (82),
#: and of the residence permits for Hong Kong, Macao and Taiwan residents (81, 82, 83).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
CHINA_LAT = (3.8, 53.6)
CHINA_LON = (73.4, 135.1)
_DIGITS = re.compile(r"\d+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_CANON_DECIMAL = re.compile(r"-?(?:0|[1-9]\d{0,38})(?:\.\d{0,20}[1-9])?")
_CANON_GPS = re.compile(r"-?\d{1,3}\.\d{6},-?\d{1,3}\.\d{6}")
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LICENCE = re.compile(r"\d{12}")
_BANK = re.compile(r"\d{12,19}")
_SIX_DIGITS = re.compile(r"\d{6}")
_USCC = re.compile(r"[0-9A-HJ-NP-RTUWXY]{18}")


def _spec_pattern(spec: FieldSpec) -> "re.Pattern[str]":
    """The field's own pattern, compiled once (cached on the field)."""
    pat = spec.memo.get("pattern")
    if pat is None:
        pat = spec.memo["pattern"] = re.compile(spec.pattern or "")
    return pat


def id_check_digit(s: str) -> str:
    """GB 11643's check character of an 18-character ID (its first 17 digits), as
    stdnum.cn.ric.calc_check_digit computes it, without the call overhead."""
    checksum = (1 - 2 * int(s[:17], 13)) % 11
    return "X" if checksum == 10 else str(checksum)


def uscc_check_digit(s: str) -> str:
    """GB 32100-2015's check character of the first 17 characters (as stdnum.cn.uscc, faster)."""
    total = sum(w * _USCC_VALUE[c] for w, c in zip(_USCC_WEIGHTS, s))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def luhn_valid(s: str) -> bool:
    """The Luhn check of a digit string (as stdnum.luhn.is_valid, faster)."""
    digits = [ord(c) - 48 for c in s]
    return (sum(digits[-1::-2]) + sum(_LUHN_DOUBLED[d] for d in digits[-2::-2])) % 10 == 0
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
            return None, _err(spec, "integer.invalid")
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
                return None, _err(spec, "decimal.invalid")
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
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
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
        return None, _err(spec, "date.invalid")
    iso = d.isoformat()
    if d.year < 1900:
        return None, _err(spec, "date.too_old", date=iso)
    if spec.not_future and d > today:
        return None, _err(spec, "date.future", date=iso)
    return iso, []


def _choice_lookup(spec: FieldSpec) -> dict[str, str]:
    """Folded code, zh label and en label → code (cached on the field)."""
    table = spec.memo.get("choices")
    if table is None:
        table = {}
        for c in reversed(spec.choices):
            for text in (c.label_en, c.label_zh, c.value):
                table[fold(text).casefold()] = c.value
        spec.memo["choices"] = table
    return table


def _choice_values(spec: FieldSpec) -> frozenset[str]:
    values = spec.memo.get("values")
    if values is None:
        values = spec.memo["values"] = frozenset(c.value for c in spec.choices)
    return values


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
    parts = [str(p) for p in raw] if isinstance(raw, (list, tuple, set)) else _SPLIT_MULTI.split(fold(_as_text(raw))[:MAX_INSPECT])
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


def _strip_country(digits: str) -> str:
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (10, 11):
            return digits[len(prefix):]
    return digits


def parse_mobile(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw).lstrip("+")
    if not s.isdigit() or len(s) > 15:
        return None, _err(spec, "mobile.format")
    s = _strip_country(s)
    if not _MOBILE.fullmatch(s):
        return None, _err(spec, "mobile.format")
    issues = [] if _mobile_range_known(s[:5]) else [_warn(spec, "mobile.unallocated", value=s)]
    return s, issues


@lru_cache(maxsize=None)  # at most 7,000 prefixes: 1[3-9]xxx
def _mobile_range_known(prefix5: str) -> bool:
    """Whether phonenumbers knows the range of an 11-digit CN mobile number starting with ``prefix5``.

    Mobile ranges are allocated by their first digits (号段); the CN mobile patterns of the
    phonenumbers metadata depend on at most the first 5 (e.g. ``1740[0-5]``), so the answer for
    one number of a 5-digit prefix holds for all of them. Caching it saves a parse per value
    (a test checks the 5-digit assumption against the metadata).
    """
    num = phonenumbers.PhoneNumber(country_code=86, national_number=int(prefix5 + "000000"))  # what parse() makes
    return phonenumbers.is_valid_number(num) and phonenumbers.number_type(num) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def warm_mobile_ranges() -> None:
    """Work out the range check for every prefix a mobile number can have (1[3-9]xxx, 7,000 of them;
    about 0.1 s). A long-running server calls it once at start, so that no push pays for
    the first numbers of a prefix."""
    for d in range(3, 10):
        for n in range(1000):
            _mobile_range_known(f"1{d}{n:03d}")


_EXT = re.compile(r"^(.*?)(?:\s*(?:转|分机|ext\.?|x|#|,)\s*(\d{1,6}))$", re.IGNORECASE)


def parse_landline(spec: FieldSpec, raw: Any) -> Result:
    s = fold(_as_text(raw)[:MAX_INSPECT])
    ext = ""
    m = _EXT.match(s)
    if m and re.search(r"\d", m.group(1)):
        s, ext = m.group(1), m.group(2)
    groups = _DIGITS.findall(s.replace("+86", "").replace("(", " ").replace(")", " "))
    if len(groups) == 3 and groups[0].startswith("0") and len(groups[2]) <= 6 and not ext:
        groups, ext = groups[:2], groups[2]
    digits = "".join(groups)
    if re.fullmatch(r"0086\d+", digits):
        digits = "0" + digits[4:]
    if re.fullmatch(r"(400|800)\d{7}", digits):
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", []
    if not re.fullmatch(r"0\d{9,11}", digits) or not re.fullmatch(r"[\d\s\-()（）]*", s.replace("+86", "")):
        return None, _err(spec, "landline.format")
    issues: list[Issue] = []
    known_area = _landline_area_length(digits)
    if known_area:
        area_len = known_area
    else:
        area_len = len(groups[0]) if len(groups) >= 2 and 3 <= len(groups[0]) <= 4 else (3 if digits[1] in "12" else 4)
        issues.append(_warn(spec, "landline.unknown", value=digits))
    local = digits[area_len:]
    if not 7 <= len(local) <= 8:
        return None, _err(spec, "landline.format")
    value = f"{digits[:area_len]}-{local}" + (f"-{ext}" if ext else "")
    return value, issues


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
    if phonenumbers.is_valid_number(num) and phonenumbers.number_type(num) in (
            phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return 1 + phonenumbers.length_of_geographical_area_code(num)
    return 0


def parse_id_card(spec: FieldSpec, raw: Any, today: dt.date) -> Result:
    s = _compact(raw)
    if len(s) not in (15, 18):
        return None, _err(spec, "id_card.length")
    if len(s) == 15:
        if not s.isdigit():
            return None, _err(spec, "id_card.format")
        y, mth, d = 1900 + int(s[6:8]), int(s[8:10]), int(s[10:12])
    else:
        if not s[:17].isdigit() or not (s[17].isdigit() or s[17] == "X"):
            return None, _err(spec, "id_card.format")
        if id_check_digit(s) != s[17]:
            return None, _err(spec, "id_card.checksum")
        y, mth, d = int(s[6:10]), int(s[10:12]), int(s[12:14])
    # The birth-place check of stdnum's ric.validate is not used: it rejects real IDs whose
    # district code was created after the holder's birth year (610102 with a 1962 birth date).
    if s[:2] not in PROVINCES and s[0] != "9":
        return None, _err(spec, "id_card.region", code=s[:2])
    try:
        born = dt.date(y, mth, d)
    except ValueError:
        return None, _err(spec, "id_card.birth_date", date=f"{y:04d}-{mth:02d}-{d:02d}")
    if born.year < 1890:
        return None, _err(spec, "id_card.birth_date", date=born.isoformat())
    if born > today:
        return None, _err(spec, "id_card.birth_future", date=born.isoformat())
    return s, []


def parse_uscc(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw)
    if len(s) != 18:
        return None, _err(spec, "uscc.length")
    if not _USCC.fullmatch(s):
        return None, _err(spec, "uscc.format")
    if uscc_check_digit(s) != s[17]:
        return None, _err(spec, "uscc.checksum")
    return s, []


def parse_licence(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw)
    if not _LICENCE.fullmatch(s):
        return None, _err(spec, "licence.format")
    if s[:2] not in PROVINCES:
        return None, _err(spec, "licence.region", code=s[:2])
    return s, []


def parse_bank_account(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw)
    if not _BANK.fullmatch(s):
        return None, _err(spec, "bank.format")
    issues = [] if luhn_valid(s) else [_warn(spec, "bank.luhn")]
    return s, issues


def parse_region(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw)
    if not _SIX_DIGITS.fullmatch(s):
        return None, _err(spec, "region.format")
    if s[:2] not in PROVINCES:
        return None, _err(spec, "region.province", code=s)
    return s, []


def parse_postal(spec: FieldSpec, raw: Any) -> Result:
    s = _compact(raw)
    if not _SIX_DIGITS.fullmatch(s):
        return None, _err(spec, "postal.format")
    return s, []


def parse_email(spec: FieldSpec, raw: Any) -> Result:
    s = fold(_as_text(raw)[:MAX_INSPECT]).replace(" ", "")
    if len(s) > 254 or not _EMAIL.fullmatch(s):
        return None, _err(spec, "email.format")
    local, _, domain = s.rpartition("@")
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

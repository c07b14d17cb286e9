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
from operator import mul
from typing import Any

from app.models.catalogue import FieldSpec, FieldType
from app.validation import gbt2260
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
from app.validation.parsing import Result, as_text, compact, err, fail, warn
from app.validation.phones import parse_landline, parse_mobile, parse_phone
from app.validation.report import Issue

#: First two digits of a mainland province, or of Taiwan (71), Hong Kong (81), Macao (82),
#: and of the residence permits for Hong Kong, Macao and Taiwan residents (81, 82, 83).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
CHINA_LAT = (3.8, 53.6)
CHINA_LON = (73.4, 135.1)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_CANON_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,38})(?:\.[0-9]{0,20}[1-9])?")
_CANON_GPS = re.compile(r"-?[0-9]{1,3}\.[0-9]{6},-?[0-9]{1,3}\.[0-9]{6}")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
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


def parse_text(spec: FieldSpec, raw: Any) -> Result:
    limit = spec.max_length or 200
    if type(raw) is str and not spec.pattern and raw.isprintable() and "  " not in raw and raw == raw.strip():
        # the common case: text clean_text leaves as it is (printable: no surrogate), without the calls
        if len(raw) > limit:
            return None, err(spec, "text.too_long", max=limit, length=len(raw))
        return raw, []
    multiline = limit >= 500
    s = as_text(raw)
    if len(s) > 4 * limit + MAX_INSPECT:
        return None, err(spec, "text.too_long", max=limit, length=len(s))
    if spec.pattern:
        value = compact_identifier(s)
        if len(value) > limit:
            return None, err(spec, "text.too_long", max=limit, length=len(value))
        if not _spec_pattern(spec).fullmatch(value):
            return None, err(spec, "text.pattern")
        return value, []
    value = clean_text(s, multiline=multiline)
    if len(value) > limit:
        return None, err(spec, "text.too_long", max=limit, length=len(value))
    if has_lone_surrogate(value):  # NUL and other controls are dropped by clean_text; this cannot be
        return None, err(spec, "text.surrogate")
    return value, []


def _strip_unit(spec: FieldSpec, s: str) -> str:
    s = fold(s).replace(",", "").replace(" ", "")
    for unit in (spec.unit_zh, spec.unit_en):
        if unit and s.endswith(unit):
            s = s[: -len(unit)]
    return s


def _range(spec: FieldSpec, value: Any) -> list[Issue]:
    if spec.min is not None and value < Decimal(str(spec.min)):
        return err(spec, "number.min", min=spec.min)
    if spec.max is not None and value > Decimal(str(spec.max)):
        return err(spec, "number.max", max=spec.max)
    return []


def parse_integer(spec: FieldSpec, raw: Any) -> Result:
    if isinstance(raw, bool):
        return None, err(spec, "integer.invalid")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    else:
        s = _strip_unit(spec, as_text(raw))
        if len(s) > 30 or not _INTEGER.fullmatch(s):
            return fail(spec, raw, "integer.invalid")
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
            return None, err(spec, "decimal.places", decimals=spec.decimals)
        if raw == "-0":
            return "0", []
        issues = _range(spec, Decimal(raw)) if spec.min is not None or spec.max is not None else []
        return (None if issues else raw), issues
    if isinstance(raw, bool):
        return None, err(spec, "decimal.invalid")
    try:
        if isinstance(raw, (int, float)):
            d = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        else:
            s = _strip_unit(spec, as_text(raw))
            if len(s) > 60 or not _DECIMAL.fullmatch(s):
                return fail(spec, raw, "decimal.invalid")
            d = Decimal(s)
    except (InvalidOperation, ValueError):
        return None, err(spec, "decimal.invalid")
    if not d.is_finite() or len(canonical_decimal(d)) > 40:
        return None, err(spec, "decimal.invalid")
    d = d.normalize() if d != 0 else Decimal(0)
    exp = d.as_tuple().exponent
    if spec.decimals is not None and isinstance(exp, int) and -exp > spec.decimals:
        return None, err(spec, "decimal.places", decimals=spec.decimals)
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
        return fail(spec, raw, "date.invalid")
    iso = d.isoformat()
    if d.year < 1900:
        return None, err(spec, "date.too_old", date=iso)
    if spec.not_future and d > today:
        return None, err(spec, "date.future", date=iso)
    return iso, []


def _choice_lookup(spec: FieldSpec) -> dict[str, str]:
    """Folded code, zh label and en label → code."""
    return field_lookups(spec).choice_lookup


def _choice_values(spec: FieldSpec) -> frozenset[str]:
    return field_lookups(spec).choice_values


def parse_choice(spec: FieldSpec, raw: Any) -> Result:
    if isinstance(raw, str) and raw in _choice_values(spec):
        return raw, []  # already a code (the common case: stored values, pushed mutations)
    s = as_text(raw)
    key = fold(s[:MAX_INSPECT]).casefold()
    value = _choice_lookup(spec).get(key)
    if value is None:
        return None, err(spec, "choice.invalid", value=clean_text(s[:40]))
    return value, []


def parse_multichoice(spec: FieldSpec, raw: Any) -> Result:
    if isinstance(raw, list) and raw and all(isinstance(p, str) for p in raw) and set(raw) <= _choice_values(spec):
        chosen_codes = set(raw)
        return [c.value for c in spec.choices if c.value in chosen_codes], []
    parts = (
        [str(p) for p in raw]
        if isinstance(raw, (list, tuple, set))
        else _SPLIT_MULTI.split(fold(as_text(raw))[:MAX_INSPECT])
    )
    lookup = _choice_lookup(spec)
    chosen: set[str] = set()
    for p in parts:
        p = fold(p)
        if not p:
            continue
        value = lookup.get(p.casefold())
        if value is None:
            return None, err(spec, "choice.invalid", value=clean_text(p[:40]))
        chosen.add(value)
    return ([c.value for c in spec.choices if c.value in chosen] or None), []


def parse_boolean(spec: FieldSpec, raw: Any) -> Result:
    if isinstance(raw, bool):
        return raw, []
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw), []
    s = fold(as_text(raw)[:32]).casefold()
    if s in _TRUE:
        return True, []
    if s in _FALSE:
        return False, []
    return None, err(spec, "boolean.invalid")


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
    s = compact(raw)
    if len(s) not in (15, 18):
        return fail(spec, raw, "id_card.length")
    if len(s) == 15:
        if not is_ascii_digits(s):
            return fail(spec, raw, "id_card.format")
        y, mth, d = 1900 + int(s[6:8]), int(s[8:10]), int(s[10:12])
    else:
        if not is_ascii_digits(s[:17]) or s[17] not in "0123456789X":
            return fail(spec, raw, "id_card.format")
        if id_check_digit(s) != s[17]:
            return None, err(spec, "id_card.checksum")
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
            return None, err(spec, "id_card.region", code=s[:2])
        return None, err(spec, "id_card.address", code=s[:6])
    try:
        born = dt.date(y, mth, d)
    except ValueError:
        return None, err(spec, "id_card.birth_date", date=f"{y:04d}-{mth:02d}-{d:02d}")
    if born > today:
        return None, err(spec, "id_card.birth_future", date=born.isoformat())
    if born.year < ID_BIRTH_WARN_BEFORE:
        return s, [warn(spec, "id_card.birth_old", date=born.isoformat())]
    return s, []


def _foreign_permanent(spec: FieldSpec, s: str) -> list[Issue]:
    """Foreign permanent resident ID card, 2023 layout (国家移民管理局, 2023-12-01): 9 + the 2-digit code of
    the province where it was issued + the 3-digit nationality code (GB/T 2659.1 = ISO 3166-1 numeric) +
    birth date (8) + sequence (3) + the same ISO 7064 MOD 11-2 check character (checked by the caller)."""
    if s[1:3] not in MAINLAND_PROVINCES:
        return err(spec, "id_card.foreign_province", code=s[1:3])
    if s[3:6] not in ISO3166_NUMERIC or s[3:6] == CHINA:
        return err(spec, "id_card.nationality", code=s[3:6])
    return []


def parse_uscc(spec: FieldSpec, raw: Any) -> Result:
    s = compact(raw)
    if len(s) != 18:
        return fail(spec, raw, "uscc.length")
    if not _USCC.fullmatch(s):
        return fail(spec, raw, "uscc.format")
    if uscc_check_digit(s) != s[17]:
        return None, err(spec, "uscc.checksum")
    return s, []


def parse_licence(spec: FieldSpec, raw: Any) -> Result:
    s = compact(raw)
    if not _LICENCE.fullmatch(s):
        return fail(spec, raw, "licence.format")
    if s[:2] not in PROVINCES:
        return None, err(spec, "licence.region", code=s[:2])
    return s, []


def parse_bank_account(spec: FieldSpec, raw: Any) -> Result:
    s = compact(raw)
    if not _BANK.fullmatch(s):
        return fail(spec, raw, "bank.format")
    issues = [] if luhn_valid(s) else [warn(spec, "bank.luhn")]
    return s, issues


def parse_region(spec: FieldSpec, raw: Any) -> Result:
    """An administrative division code: 6 digits that GB/T 2260 lists or has listed (province 610000,
    prefecture 610100, county 610102; withdrawn codes such as 110103 崇文区 stay valid for old records)."""
    s = compact(raw)
    if not _SIX_DIGITS.fullmatch(s):
        return fail(spec, raw, "region.format")
    if s[:2] not in PROVINCES:
        return None, err(spec, "region.province", code=s)
    if not gbt2260.is_known(s):
        return None, err(spec, "region.unknown", code=s)
    return s, []


def parse_postal(spec: FieldSpec, raw: Any) -> Result:
    s = compact(raw)
    if not _SIX_DIGITS.fullmatch(s):
        return fail(spec, raw, "postal.format")
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
    s = fold(as_text(raw)[:MAX_INSPECT]).replace(" ", "")
    local, at, domain = s.rpartition("@")
    if len(s) > 254 or not at or not _EMAIL_DOMAIN.fullmatch(domain) or not _email_local_ok(local):
        return None, err(spec, "email.format")
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
        parts = re.split(r"\s*[,;\s]\s*", fold(as_text(raw)[:200]).strip())
    for p in parts:
        if isinstance(p, str) and foreign_digit(p[:200]):  # Decimal("٣٤") would read it as 34
            return fail(spec, p, "gps.format")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = (float(Decimal(str(p))) for p in parts)
    except (ValueError, TypeError, InvalidOperation):
        return None, err(spec, "gps.format")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        if _in_china(lon, lat):
            return None, err(spec, "gps.swapped")
        return None, err(spec, "gps.format")
    if not _in_china(lat, lon):
        if _in_china(lon, lat):
            return None, err(spec, "gps.swapped")
        return None, err(spec, "gps.outside", value=f"{lat:.6f},{lon:.6f}")
    return f"{round(lat, 6):.6f},{round(lon, 6):.6f}", []


def parse_photo(spec: FieldSpec, raw: Any) -> Result:
    parts = list(raw) if isinstance(raw, (list, tuple)) else _SPLIT_MULTI.split(as_text(raw)[:MAX_INSPECT])
    refs: list[str] = []
    for p in parts:
        p = str(p).strip().lower()
        if not p:
            continue
        if not _SHA256.fullmatch(p):
            return None, err(spec, "photo.invalid")
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

"""Input normalisation before any check.

Field workers type on laptops with Chinese input methods: full-width digits and
letters (１３８…, ＡＢＣ), ideographic spaces, zero-width characters pasted from
chat apps, right-to-left marks, and lower-case x in ID numbers are all common.
"""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls (except tab/newline handled separately), soft hyphen, zero-width
# characters, bidi embeddings/overrides/isolates, word joiner, BOM, interlinear annotations.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_NEWLINES = re.compile(r"\r\n?|\u2028|\u2029")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_.·•/()（）]+")

#: Longest input we look at closely; longer inputs fail their length check without regex work.
MAX_INSPECT = 4096


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(s: str) -> bool:
    """A lone UTF-16 surrogate (a broken character from a bad paste or a bad file) cannot be stored or
    sent: text holding one is refused at entry (``text.surrogate``). A printable text holds none."""
    return not s.isprintable() and _SURROGATE.search(s) is not None


def strip_invisible(s: str) -> str:
    return _INVISIBLE.sub("", s)


def clean_text(s: str, multiline: bool = False) -> str:
    """Free text: drop invisible characters, unify spaces, trim. Keeps the writer's punctuation."""
    if s.isprintable() and "  " not in s and s == s.strip():
        return s  # the common case, without any regex work
    s = strip_invisible(_NEWLINES.sub("\n", s))
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in s.split("\n")]
        return "\n".join(lines).strip()
    return _SPACES.sub(" ", s.replace("\n", " ")).strip()


def fold(s: str) -> str:
    """Compatibility-fold (full-width → half-width) and drop invisible characters."""
    return strip_invisible(unicodedata.normalize("NFKC", s)).strip()


def compact_identifier(s: str) -> str:
    """An identifier the way it should be compared: folded, upper-case, without separators."""
    return _SEPARATORS.sub("", fold(s)).upper()


def search_text(s: str) -> str:
    """The form text is indexed and searched in: folded, lower-case, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", strip_invisible(s))).strip().lower()


ASCII_DIGITS = "0123456789"


def is_ascii_digits(s: str) -> bool:
    """Whether ``s`` is non-empty and made of 0–9 only (``str.isdigit`` is also true for ٣, ३, ²…)."""
    return s.isascii() and s.isdigit()


def foreign_digit(s: str) -> str | None:
    """The first digit of ``s`` that is not one of ASCII 0–9 once NFKC-folded (full-width １ folds to 1;
    Arabic-Indic ٣ or Devanagari ३ stay what they are), or None. Numbers are stored in ASCII digits
    only: a digit of another script is refused, never converted or stored as typed."""
    if s.isascii():
        return None
    for c in unicodedata.normalize("NFKC", s):
        if c.isdigit() and c not in ASCII_DIGITS:
            return c
    return None

"""gettext-style translations with English source strings; zh_CN is the default.

Catalogues are the standard gettext ``.po`` files under
``resources/locale/<lang>/LC_MESSAGES/fieldarchive.po``. They are read directly
(a few hundred entries parse in about a millisecond), so there is no compile step
and nothing to get out of date between a ``.po`` and a ``.mo``.

Rules (as in Electrum): named ``{fields}`` formatted *after* translating, no
f-strings or ``%`` inside ``_()``, ``ngettext`` for counts, no sentence fragments.
A translation whose ``{fields}`` differ from its msgid is ignored (falls back to
English) so a bad translation can never crash a ``.format()`` call.
"""

from __future__ import annotations

import ast
import re
import string
import threading
from pathlib import Path

from app.paths import resource_dir

DOMAIN = "fieldarchive"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")

_state = threading.local()
_default_lang = DEFAULT_LANGUAGE
_catalogues: dict[str, dict[str, str | list[str]]] = {}
_lock = threading.Lock()


def locale_dir() -> Path:

    return resource_dir() / "locale"


def normalise_language(lang: str | None) -> str:
    if not lang:
        return current_language()
    low = lang.replace("-", "_").lower()
    if low.startswith("zh"):
        return "zh_CN"
    if low.startswith("en"):
        return "en"
    raise ValueError(f"unsupported language: {lang}")


def set_language(lang: str) -> None:
    """Set the process-wide UI language (the command line and the GUI call this once)."""
    global _default_lang
    _default_lang = normalise_language(lang)


def current_language() -> str:
    return getattr(_state, "lang", None) or _default_lang


class language:
    """Context manager: translate in another language on this thread (server replies, exports)."""

    def __init__(self, lang: str) -> None:
        self.lang = normalise_language(lang)

    def __enter__(self) -> str:
        self.prev = getattr(_state, "lang", None)
        _state.lang = self.lang
        return self.lang

    def __exit__(self, *exc: object) -> None:
        _state.lang = self.prev


def _fields(s: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(s) if f is not None}
    except ValueError:
        return {"<malformed>"}


def parse_po(text: str) -> dict[str, str | list[str]]:
    """Parse a .po file; fuzzy and empty entries are skipped."""
    entries: dict[str, str | list[str]] = {}
    cur: dict[str, str] = {}
    last: str | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal cur, fuzzy, last
        msgid = cur.get("msgid")
        if isinstance(msgid, str) and msgid and not fuzzy:
            if "msgid_plural" in cur:
                forms = [cur[k] for k in sorted(k for k in cur if k.startswith("msgstr["))]
                if all(forms):
                    entries[msgid] = forms
            elif cur.get("msgstr"):
                entries[msgid] = cur["msgstr"]
        cur, fuzzy, last = {}, False, None

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'^(msgid_plural|msgid|msgstr\[\d+\]|msgstr|msgctxt)\s+(".*")$', line)
        if m:
            if m.group(1) == "msgid" and "msgid" in cur:
                flush()
            last = m.group(1)
            cur[last] = str(ast.literal_eval(m.group(2)))  # a quoted string literal
        elif line.startswith('"') and last:
            cur[last] = cur[last] + str(ast.literal_eval(line))
    flush()
    return entries


def catalogue(lang: str) -> dict[str, str | list[str]]:
    if lang == "en":
        return {}
    with _lock:
        if lang not in _catalogues:
            path = locale_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            _catalogues[lang] = parse_po(path.read_text(encoding="utf-8")) if path.exists() else {}
        return _catalogues[lang]


def translate(msgid: str, lang: str | None = None) -> str:
    lang = normalise_language(lang) if lang else current_language()
    found = catalogue(lang).get(msgid)
    if isinstance(found, str) and _fields(found) == _fields(msgid):
        return found
    return msgid


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    lang = normalise_language(lang) if lang else current_language()
    found = catalogue(lang).get(singular)
    if isinstance(found, list) and found:
        # Chinese has one plural form; other languages would need a plural rule here.
        text = found[0] if lang == "zh_CN" else found[0 if n == 1 else min(1, len(found) - 1)]
        if _fields(text) == _fields(singular if n == 1 else plural):
            return text
    return singular if n == 1 else plural


def _(msgid: str) -> str:
    return translate(msgid)


def N_(msgid: str) -> str:
    """Mark a string for translation without translating it now."""
    return msgid


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a count message (translated later with ``ngettext``) without translating it now."""
    return singular, plural

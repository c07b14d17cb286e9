"""Every user-visible string has a zh_CN translation with the same placeholders."""

from __future__ import annotations

import string

from app import i18n
from app.export import reading, sheetfile
from tests.i18n_extract import message_ids, plural_ids, po_path


def fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


def test_every_message_has_a_chinese_translation() -> None:
    catalogue = i18n.parse_po(po_path().read_text(encoding="utf-8"))
    ids = message_ids()
    assert len(ids) > 100
    missing = [f"{m!r} ({places[0]})" for m, places in ids.items() if m not in catalogue]
    assert not missing, "untranslated (run python -m tests.i18n_extract):\n" + "\n".join(missing)


def test_translations_keep_the_placeholders() -> None:
    catalogue = i18n.parse_po(po_path().read_text(encoding="utf-8"))
    bad = [m for m, t in catalogue.items() if isinstance(t, str) and fields(m) != fields(t)]
    bad += [m for m, t in catalogue.items() if isinstance(t, list) and any(fields(m) != fields(f) for f in t)]
    assert not bad, bad


def test_every_count_message_is_a_plural_entry() -> None:
    """An ngettext message has a msgid_plural entry (Chinese: one form), a _() message a plain one;
    singular and plural name the same fields."""
    catalogue = i18n.parse_po(po_path().read_text(encoding="utf-8"))
    plurals = plural_ids()
    assert len(plurals) > 40
    assert not [s for s in plurals if not isinstance(catalogue.get(s), list)]
    assert not [s for s, p in plurals.items() if fields(s) != fields(p)]
    plain = set(message_ids()) - set(plurals)
    assert not [m for m in plain if isinstance(catalogue.get(m), list)]


def test_ngettext_picks_the_english_form_by_count_and_the_one_chinese_form() -> None:
    one = i18n.ngettext("{n} change", "{n} changes", 1, "en").format(n=1)
    many = i18n.ngettext("{n} change", "{n} changes", 2, "en").format(n=2)
    assert (one, many) == ("1 change", "2 changes")
    zh = {n: i18n.ngettext("{n} change", "{n} changes", n, "zh_CN").format(n=n) for n in (1, 2)}
    assert zh == {1: "1 处修改", 2: "2 处修改"}


def test_a_validation_message_with_a_count_agrees_with_it() -> None:
    from app.validation import Issue, Severity

    def text(n: int, lang: str) -> str:
        return Issue.make("x", Severity.ERROR, "decimal.places", decimals=n).message("Area", lang)

    assert (text(1, "en"), text(2, "en")) == ("Area: at most 1 decimal place.", "Area: at most 2 decimal places.")
    assert text(1, "zh_CN") == "Area：最多保留 1 位小数。"


def test_no_count_message_reads_one_plural_in_english() -> None:
    """No plain message of the form "{n} <plural noun>" is left: a count goes through ngettext."""
    import re

    counted = re.compile(
        r"\{(n|count|total|rows|m|decimals|days|seconds|max)\} (changes|customers|rows|errors|warnings|fields|days|"
        r"working days|decisions|submissions|seconds|sheets|problems|required fields|decimal places|characters)\b"
    )
    constant = {sheetfile.MSG_NO_HEADER}  # its {rows} is HEADER_SCAN, never 1
    assert reading.HEADER_SCAN > 1
    left = [m for m in set(message_ids()) - set(plural_ids()) - constant if counted.search(m)]
    assert not left, left


def test_a_user_facing_error_with_a_count_agrees_with_it() -> None:
    """UserFacingError takes a count message (Nn_ + count=): ngettext by the count, one Chinese form."""
    import requests

    from app.errors import UserFacingError
    from app.i18n import Nn_
    from app.sync.password import too_many

    def refused(seconds: int) -> UserFacingError:
        resp = requests.Response()
        resp.status_code, resp.headers["Retry-After"] = 429, str(seconds)
        return too_many(resp)

    assert refused(1).message("en") == "Too many sign-in attempts; try again in 1 second."
    assert refused(30).message("en") == "Too many sign-in attempts; try again in 30 seconds."
    assert str(refused(1)) == "Too many sign-in attempts; try again in 1 second."  # the log's English text
    assert refused(1).message("zh_CN") == "登录尝试过于频繁，请 1 秒后再试。"
    one = UserFacingError(Nn_("{n} row is wrong.", "{n} rows are wrong."), count="n", n=1)
    assert (one.msgid, one.msgid_plural, one.message("en")) == (
        "{n} row is wrong.",
        "{n} rows are wrong.",
        "1 row is wrong.",
    )
    try:
        UserFacingError(Nn_("{n} row", "{n} rows"), n=2)  # which parameter is the count: not guessed
    except TypeError:
        pass
    else:
        raise AssertionError("a count message without count= was accepted")


def test_zh_is_the_default_and_en_is_selectable() -> None:
    assert i18n.DEFAULT_LANGUAGE == "zh_CN"
    assert i18n.translate("The passphrase is not correct.", "zh_CN") == "密码不正确。"
    assert i18n.translate("The passphrase is not correct.", "en") == "The passphrase is not correct."
    with i18n.language("en"):
        assert i18n._("Draft") == "Draft"
    assert i18n._("Draft") == "草稿"


def test_po_parser_handles_multiline_fuzzy_and_plurals() -> None:
    po = """
msgid "a"
msgstr ""
"第一"
"第二"

#, fuzzy
msgid "b"
msgstr "模糊"

msgid "{n} file"
msgid_plural "{n} files"
msgstr[0] "{n} 个文件"

msgid "empty"
msgstr ""
"""
    cat = i18n.parse_po(po)
    assert cat == {"a": "第一第二", "{n} file": ["{n} 个文件"]}


def test_a_translation_with_wrong_placeholders_falls_back_to_english(monkeypatch) -> None:
    monkeypatch.setitem(i18n.catalogue("zh_CN"), "Hello {name}", "你好 {nom}")
    assert i18n.translate("Hello {name}", "zh_CN").format(name="x") == "Hello x"

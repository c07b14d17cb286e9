"""Every user-visible string has a zh_CN translation with the same placeholders."""
from __future__ import annotations

import string

from app import i18n
from tests.i18n_extract import message_ids, po_path


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
    assert not bad, bad


def test_zh_is_the_default_and_en_is_selectable() -> None:
    assert i18n.DEFAULT_LANGUAGE == "zh_CN"
    assert i18n.translate("The passphrase is not correct.", "zh_CN") == "密码不正确。"
    assert i18n.translate("The passphrase is not correct.", "en") == "The passphrase is not correct."
    with i18n.language("en"):
        assert i18n._("Draft") == "Draft"
    assert i18n._("Draft") == "草稿"


def test_po_parser_handles_multiline_fuzzy_and_plurals() -> None:
    po = '''
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
'''
    cat = i18n.parse_po(po)
    assert cat == {"a": "第一第二", "{n} file": ["{n} 个文件"]}


def test_a_translation_with_wrong_placeholders_falls_back_to_english(monkeypatch) -> None:
    monkeypatch.setitem(i18n.catalogue("zh_CN"), "Hello {name}", "你好 {nom}")
    assert i18n.translate("Hello {name}", "zh_CN").format(name="x") == "Hello x"

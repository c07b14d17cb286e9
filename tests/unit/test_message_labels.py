"""A format message under an identifier field does not say the field's name twice: the label comes first
("烟草专卖零售许可证号：应为 12 位数字。"), so the message after it says only what is wrong; before, the
licence field read "烟草专卖零售许可证号：烟草专卖零售许可证号为 12 位数字。" (found by hand in a window)."""

from __future__ import annotations

import pytest

from app.i18n import translate
from app.models.catalogue import FieldType, load_form
from app.validation.messages import MESSAGES

FORMAT = {
    FieldType.ID_CARD: "id_card.length",
    FieldType.USCC: "uscc.length",
    FieldType.TOBACCO_LICENCE: "licence.format",
    FieldType.BANK_ACCOUNT: "bank.format",
    FieldType.REGION_CODE: "region.format",
    FieldType.POSTAL_CODE: "postal.format",
}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_an_identifier_fields_format_message_names_it_once(lang: str) -> None:
    fields = [f for f in load_form().fields if f.type in FORMAT]
    assert {f.type for f in fields} == set(FORMAT)  # every kind is on the form
    for f in fields:
        label = f.label(lang)
        text = translate(MESSAGES[FORMAT[f.type]], lang).format(label=label)
        assert text.startswith(label) and text.count(label) == 1, text

"""What the consent rule (app.validation.consent) and the secrecy rule (app.validation.secrecy) share: the
fields about a natural person, whose collection needs consent (F3 L211 第五条) and which the masked view hides
by default, and the placeholder the server sends in place of a value its reader may not see
(``⟦masked:<class>⟧``, in a one-item list for the list fields). A placeholder is no value: the server never
stores one, and a save that keeps one collects nothing. Pure data and functions: no I/O."""

from __future__ import annotations

import re
from typing import Any

#: Fields about a natural person (the owner or the contact), whose collection needs consent (PIPL art. 13–14).
PERSONAL_FIELDS: frozenset[str] = frozenset(
    {
        "legal_person",
        "id_card",
        "gender",
        "home_address",
        "contact_name",
        "contact_phone",
        "landline",
        "mailing_address",
        "email",
        "bank_account",
        "photo_owner",
    }
)

_MARK = re.compile(r"⟦masked:(secret|top_secret|personal)⟧")


def placeholder(reason: str) -> str:
    """The placeholder of a value hidden for ``reason`` (``secret``, ``top_secret``, ``personal``)."""
    return f"⟦masked:{reason}⟧"


def mask_reason(value: Any) -> str | None:
    """The reason a value is a placeholder (``secret``, ``top_secret``, ``personal``), else None."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str) and value.startswith("⟦"):
        m = _MARK.fullmatch(value)
        return m.group(1) if m else None
    return None


def is_masked(value: Any) -> bool:
    if type(value) is str and not value.startswith("⟦"):  # most values: no call, no regular expression
        return False
    return mask_reason(value) is not None

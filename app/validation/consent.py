"""The customer's consent and signature: pure rules shared by the client and the server.

Consent (F3 L211 第五条 "收集客户信息档案时，应取得客户的书面同意或授权"; F0 L87, L182; F2 L26, L102): a
customer whose personal fields hold a value must have a recorded consent (``consent_signed`` yes, its date
and its form, written or electronic) before the record is submitted for review. The form in force says
whether the deployment requires it (``meta.consent``: ``required``, the default, or ``optional``: then
only the older warning stays, app.validation.validator).

Where it is required, collecting is refused too (issue 18, "collecting or submitting … is refused"): a save
(the form, the sheet import, the server's ``customer.save``) that adds or changes a personal value while no
consent is recorded in the values saved is refused (``consent.required`` on each such field). A save that
adds or changes no personal value is allowed, so a record already in an archive without consent stays
readable and editable in its other fields, and a personal value can always be cleared (nothing is lost).

Signature (F3 L318–320: "以上信息应当真实、准确、完整和有效，并由客户签名确认，由销售人员核实并记录"): the
customer signs the basic information that paragraph names; a signature confirms those values, and a later
change to any of them makes it outdated (the same rule on both sides).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from app.i18n import N_
from app.models.catalogue import FormDefinition
from app.validation.personal import PERSONAL_FIELDS, is_masked
from app.validation.report import Issue, Severity

#: The basic information F3 L318–319 names, in this catalogue's fields: 个人客户 姓名 (legal_person), 性别
#: (gender), 年龄 (in the ID number), 身份证号码 (id_card), 联系电话 (contact_phone), 居住地址
#: (home_address); 企业客户 企业名称 (shop_name), 证件号码 (licence_no, uscc), 法定代表人姓名 (legal_person),
#: 经营地址 (address).
SIGNED_FIELDS: tuple[str, ...] = (
    "shop_name",
    "licence_no",
    "uscc",
    "legal_person",
    "gender",
    "id_card",
    "contact_phone",
    "home_address",
    "address",
)

CONSENT_FORMS = ("written", "electronic")  # 书面 (a signed paper), 电子 (signed on the device)


def consent_required(form: FormDefinition) -> bool:
    """Does the form in force require a recorded consent before submission (default yes)?"""
    return str(form.meta.get("consent", "required")) != "optional"


def _filled(v: Any) -> bool:
    return v not in (None, "", [])


def consent_recorded(values: Mapping[str, Any]) -> bool:
    """Consent signed, with its date and its form."""
    return (
        values.get("consent_signed") is True
        and _filled(values.get("consent_date"))
        and values.get("consent_form") in CONSENT_FORMS
    )


def consent_issues(form: FormDefinition, values: Mapping[str, Any]) -> list[Issue]:
    """``consent.missing`` (an error on ``consent_signed``) when personal fields hold values and no consent is
    recorded, where the form requires it; nothing otherwise."""
    if not consent_required(form) or "consent_signed" not in form or consent_recorded(values):
        return []
    personal = sorted(k for k in PERSONAL_FIELDS if k in form and _filled(values.get(k)))
    if not personal:
        return []
    return [Issue.make("consent_signed", Severity.ERROR, "consent.missing")]


def consent_save_issues(
    form: FormDefinition, before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> list[Issue]:
    """``consent.required`` (an error) on each personal field whose value a save adds or changes (``before``:
    the values stored, None or empty for a new customer; ``after``: the values the save stores, parsed) when
    the form requires consent and ``after`` records none; nothing otherwise (docs/domain.md). A secrecy
    placeholder (app.validation.personal) is no value collected: the server holds the value it stands for."""
    if not consent_required(form) or "consent_signed" not in form or consent_recorded(after):
        return []
    old = before or {}
    return [
        Issue.make(f.key, Severity.ERROR, "consent.required")
        for f in form.fields
        if f.key in PERSONAL_FIELDS
        and _filled(v := after.get(f.key))
        and not is_masked(v)  # a value this user may not see, kept as the server holds it: nothing collected
        and v != old.get(f.key)
    ]


def signed_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The signed fields' values (empty ones left out), as a signature confirms them."""
    return {k: values[k] for k in SIGNED_FIELDS if _filled(values.get(k))}


def digest(signed: Mapping[str, Any]) -> str:
    """SHA-256 of the signed values in canonical JSON (sorted keys, UTF-8): the version a signature confirms."""
    text = json.dumps(dict(signed), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def changed_fields(signed: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    """The signed fields whose value differs now from the one signed (in SIGNED_FIELDS order); empty: current."""
    now = signed_values(values)
    return [k for k in SIGNED_FIELDS if signed.get(k) != now.get(k)]


_SHA = re.compile(r"[0-9a-f]{64}")

#: The signature's codes (client and server) and their messages (English source, zh_CN in the catalogue).
MESSAGES: dict[str, str] = {
    "signature.empty": N_("The pad is empty: let the customer sign before pressing OK."),
    "signature.image": N_("The signature is not a picture that can be read; sign again."),
    "signature.nothing": N_("There is no basic information to confirm yet: enter and save it first."),
    "signature.unsaved": N_("Save the customer first: the signature confirms what is saved."),
    "signature.date": N_("The date of the signature must be a date (YYYY-MM-DD) that is not in the future."),
    "signature.fields": N_("A signature confirms the basic information only (name, ID, phone, addresses, licence)."),
    "signature.digest": N_("The signature's digest does not match the values it confirms."),
    "signature.stale": N_("The customer's basic information changed since it was signed; let the customer sign again."),
    "signature.duplicate": N_("This signature is on the server already."),
    "signature.verifier": N_("Sign in first: the signature is recorded with the person who verified it."),
}


def signature_problems(s: Mapping[str, Any], today: dt.date, slack_days: int = 0) -> list[tuple[str, str]]:
    """A signature's problems as ``(field, code)``: a past date, the image's hash, signed values of the signed
    fields only (at least one) and their digest."""
    out: list[tuple[str, str]] = []
    try:
        day = dt.date.fromisoformat(str(s.get("signed_on") or ""))
        if day > today + dt.timedelta(days=slack_days):
            out.append(("signed_on", "signature.date"))
    except ValueError:
        out.append(("signed_on", "signature.date"))
    if not isinstance(s.get("image"), str) or not _SHA.fullmatch(s["image"]):
        out.append(("image", "signature.image"))
    fields = s.get("fields")
    if not isinstance(fields, Mapping) or not fields:
        out.append(("fields", "signature.nothing"))
    elif not set(fields) <= set(SIGNED_FIELDS):
        out.append(("fields", "signature.fields"))
    elif s.get("digest") != digest(fields):
        out.append(("digest", "signature.digest"))
    return out

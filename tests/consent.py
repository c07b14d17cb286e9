"""A recorded consent (F3 L211; docs/domain.md "The customer's signature and consent"): what a test's customer
with personal values (owner, contact, phones, addresses…) needs before it can be saved, the form requiring it."""

from __future__ import annotations

from typing import Any

#: consent given, its date and its form (written): ``consent_recorded`` holds
CONSENT: dict[str, Any] = {"consent_signed": True, "consent_date": "2025-01-05", "consent_form": "written"}


def consented(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the recorded consent."""
    return {**values, **CONSENT}


#: the same consent as the cells of a sheet's row, by the form's Chinese headers
CONSENT_CELLS: dict[str, Any] = {"客户书面同意采集": "是", "同意日期": "2025-01-05", "同意形式": "书面同意书"}


def stored_without_consent(session: Any, values: dict[str, Any]) -> Any:
    """A customer with personal values and no consent, as archives hold them from before the rule (saved when
    only submitting needed the consent, or synced so): written to the archive directly, as those saves did."""
    from app.models.record import NewCustomer, Provenance, new_id
    from app.services import records
    from app.validation import validate_values

    report = validate_values(session.form, values, today=session.today())
    cid = new_id()
    session._archive.customers.insert(
        session.form, [NewCustomer(cid, records.clean_values(report), records.quality(report))], Provenance("tester")
    )
    return session._archive.customers.get(cid)

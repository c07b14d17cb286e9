"""Who owns a field (app/models/owners.py): the catalogue's deployment default names real fields and
department codes, follows the documents' duties (F3 L433–438), and a broken table is reported."""

from __future__ import annotations

from dataclasses import replace

from app.models.catalogue import load_form
from app.models.owners import default_owner, field_owner, owner_problems, owners_of

FORM = load_form()
SEEDED = {"monopoly", "county", "market", "delivery", "sales", "it"}  # migration 0018's departments


def test_the_default_owners_follow_the_documents():
    assert owner_problems(FORM) == []
    assert default_owner(FORM) == "county"
    # F3 L433: 专卖管理所 maintains the shop name and the person in charge
    assert field_owner(FORM, "shop_name") == field_owner(FORM, "legal_person") == "monopoly"
    # F3 L436: 市场部 the administrative division, position-free CRM attributes and the retail format
    assert field_owner(FORM, "region_code") == field_owner(FORM, "retail_format") == "market"
    # F3 L390-391, L437: 配送部 the GIS position; F3 L438: 销售部 visit batches and quotas
    assert field_owner(FORM, "location") == "delivery"
    assert field_owner(FORM, "visit_batch") == field_owner(FORM, "total_quota") == "sales"
    # a field the documents give nobody stays with the collectors' county department
    assert field_owner(FORM, "contact_name") == "county" and field_owner(FORM, "owner") == "county"
    every = owners_of(FORM)
    assert set(every) == {f.key for f in FORM.fields} and set(every.values()) <= SEEDED


def test_a_broken_owner_table_is_reported_and_falls_back():
    meta = {**FORM.meta, "owners": {"default": "Bad Code", "fields": {"no_such": "market", "shop_name": 7}}}
    form = replace(FORM, meta=meta)
    problems = owner_problems(form)
    assert len(problems) == 3 and any("'no_such' is not a field" in p for p in problems)
    assert default_owner(form) == "county" and field_owner(form, "shop_name") == "county"
    assert owner_problems(replace(FORM, meta={**FORM.meta, "owners": {"fields": []}})) == [
        "owners.fields must be a table of field key = department code"
    ]


def test_a_group_owner_applies_to_its_fields_unless_a_field_names_its_own():
    owners = {**FORM.meta["owners"], "groups": {"identification": "it", "nope": "market"}}
    form = replace(FORM, meta={**FORM.meta, "owners": owners})
    assert owner_problems(form) == ["owners.groups: 'nope' is not a group of the form"]
    assert field_owner(form, "uscc") == "it"  # identification, no owner of its own
    assert field_owner(form, "shop_name") == "monopoly"  # its own entry first
    assert field_owner(form, "contact_name") == "county"  # another group: the default

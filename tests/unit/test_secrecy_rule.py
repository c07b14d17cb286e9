"""The secrecy rule shared by the client and the server (app/validation/secrecy.py): field classes, a record's
mark, who reads each class, the masked view, the placeholder, and a province's override."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from app.models.catalogue import apply_override, load_form
from app.validation import secrecy as s

FORM = load_form()
VALUES = {
    "shop_name": "老王烟酒店",
    "address": "南大街1号",
    "id_card": "610103199001011007",
    "contact_name": "王小明",
    "photo_owner": ["a" * 64],
    "business_scope": ["cigarettes"],
}


def reader(role: str, *relations: str, name: str = "x") -> s.Reader:
    return s.Reader(name, role, frozenset(relations))


def test_the_default_reading_is_in_the_catalogue_and_sound() -> None:
    assert s.policy_problems(FORM) == []
    assert {k for k in ("id_card", "bank_account", "home_address") if s.field_class(FORM, k) == s.SECRET} == {
        "id_card",
        "bank_account",
        "home_address",
    }
    assert s.field_class(FORM, "shop_name") == s.NORMAL
    assert FORM["secrecy_mark"].editable_by.value == "supervisor"


def test_a_secret_field_is_read_by_the_owner_their_manager_and_admins() -> None:
    for who in (reader("collector", "owner"), reader("supervisor", "team_supervisor"), reader("admin")):
        assert s.masked(FORM, VALUES, who) == VALUES, who
    for who in (reader("collector", "creator"), reader("supervisor"), reader("integration")):
        shown = s.masked(FORM, VALUES, who)
        assert shown["id_card"] == s.placeholder("secret") and shown["contact_name"] == "王小明", who


def test_a_records_mark_raises_every_field_but_the_visible_ones() -> None:
    marked = {**VALUES, "secrecy_mark": "top_secret"}
    shown = s.masked(FORM, marked, reader("supervisor", "team_supervisor"))
    assert shown["shop_name"] == "老王烟酒店" and shown["secrecy_mark"] == "top_secret"
    assert shown["address"] == s.placeholder("top_secret")
    assert shown["photo_owner"] == [s.placeholder("top_secret")]  # a list field keeps a list
    assert shown["business_scope"] == [s.placeholder("top_secret")]
    assert s.masked(FORM, marked, reader("admin")) == marked
    # an empty value stays empty: that it is missing tells nothing
    assert s.masked(FORM, {**marked, "address": None}, reader("collector", "owner"))["address"] is None


def test_the_masked_view_hides_the_person_not_the_outlet() -> None:
    shown = s.masked(FORM, VALUES, reader("viewer"))
    assert shown["contact_name"] == s.placeholder("personal") and shown["photo_owner"] == [s.placeholder("personal")]
    assert shown["address"] == "南大街1号" and shown["business_scope"] == ["cigarettes"]
    assert shown["id_card"] == s.placeholder("secret")  # the class comes first


def test_placeholders_are_told_from_values() -> None:
    for reason in ("secret", "top_secret", "personal"):
        assert s.mask_reason(s.placeholder(reason)) == reason and s.is_masked([s.placeholder(reason)])
        assert s.label(s.placeholder(reason)) == s.LABELS[reason]
    for value in ("⟦masked:other⟧", "masked:secret", "王小明", ["a", "b"], 3, True, None, [], "⟦"):
        assert not s.is_masked(value), value


def test_a_province_names_its_own_classes_and_readers() -> None:
    form = apply_override(
        FORM,
        {"secrecy": {"fields": {"contact_phone": "top_secret"}, "readers": {"top_secret": ["admin", "user:zhang"]}}},
    )
    assert s.policy_problems(form) == []
    assert s.field_class(form, "id_card") == s.NORMAL  # the section replaces the default's
    phone = {"contact_phone": "13912345678"}
    assert s.masked(form, phone, reader("supervisor", "team_supervisor")) == {
        "contact_phone": s.placeholder("top_secret")
    }
    assert s.masked(form, phone, reader("supervisor", name="zhang")) == phone
    bad = apply_override(
        FORM, {"secrecy": {"fields": {"nope": "secret", "id_card": "very"}, "readers": {"secret": ["boss"]}}}
    )
    problems = s.policy_problems(bad)
    assert len(problems) == 3 and any("nope" in p for p in problems) and any("boss" in p for p in problems)


def test_validation_keeps_a_placeholder_on_the_client_and_refuses_it_for_a_write() -> None:
    from app.validation.validator import validate_values

    values = {"shop_name": "老王烟酒店", "id_card": s.placeholder("secret"), "photo_owner": [s.placeholder("personal")]}
    kept = validate_values(FORM, values, required=False)
    assert kept.errors == [] and kept.values["id_card"] == s.placeholder("secret")
    refused = validate_values(FORM, values, required=False, masked=False)
    assert sorted((i.field, i.code) for i in refused.errors) == [
        ("id_card", "secrecy.placeholder"),
        ("photo_owner", "secrecy.placeholder"),
    ]
    assert "id_card" not in refused.values


def test_an_integration_reads_secret_only_when_named_and_top_secret_only_by_its_name() -> None:
    bank, gis = reader("integration", name="integration:bank"), reader("integration", name="integration:gis")
    marked = {**VALUES, "secrecy_mark": "top_secret"}
    assert s.masked(FORM, VALUES, bank)["id_card"] == s.placeholder("secret")  # the default: none
    assert s.masked(FORM, VALUES, bank)["contact_name"] == "王小明"  # not in the masked view by default
    every = apply_override(
        FORM,
        {"secrecy": {"readers": {"secret": ["admin", "integration"], "top_secret": ["admin", "integration:bank"]}}},
    )
    assert s.policy_problems(every) == []
    assert s.masked(every, VALUES, gis)["id_card"] == "610103199001011007"
    assert s.masked(every, marked, bank) == marked and s.masked(every, marked, gis)["address"] == s.placeholder(
        "top_secret"
    )
    # 绝密 to every integration is refused, and never read so even if a rule said it
    loose = apply_override(FORM, {"secrecy": {"readers": {"top_secret": ["admin", "integration"]}}})
    assert any("integration:<name>" in p for p in s.policy_problems(loose))
    assert s.masked(loose, marked, gis)["address"] == s.placeholder("top_secret")
    # a person's account named like an integration reads nothing of it
    assert s.masked(every, marked, reader("collector", name="integration:bank"))["address"] == s.placeholder(
        "top_secret"
    )
    masked = apply_override(FORM, {"secrecy": {"masked_roles": ["viewer", "integration:gis"]}})
    assert s.policy_problems(masked) == []
    assert s.masked(masked, VALUES, gis)["contact_name"] == s.placeholder("personal")
    assert s.masked(masked, VALUES, bank)["contact_name"] == "王小明"
    bad = apply_override(FORM, {"secrecy": {"masked_roles": ["integration:", "integration:a b"]}})
    assert len(s.policy_problems(bad)) == 2


def test_a_masked_department_reads_the_personal_fields_it_owns_and_no_other() -> None:
    form = apply_override(FORM, {"secrecy": {"masked_roles": ["viewer", "department:market"]}})
    values = {**VALUES, "contact_phone": "13912345678", "bank_account": "6222020200112233445"}
    market = s.Reader("m", "collector", frozenset({"owner"}), "market")
    shown = s.masked(form, values, market)
    assert shown["contact_phone"] == "13912345678" and shown["bank_account"] == "6222020200112233445"
    assert shown["contact_name"] == s.placeholder("personal") and shown["id_card"] == s.placeholder("personal")
    # owning the field lifts the masked view only, not the class: 机密 still needs a reader
    stranger = s.Reader("m", "collector", frozenset(), "market")
    assert s.masked(form, values, stranger)["bank_account"] == s.placeholder("secret")
    # a department not in the masked view sees the person as before
    delivery = s.Reader("d", "collector", frozenset({"owner"}), "delivery")
    assert s.masked(form, values, delivery)["contact_name"] == "王小明"


def _hidden_field_by_field(form: Any, values: dict[str, Any], who: s.Reader) -> dict[str, str]:
    """The rule as its parts state it, one field at a time (what ``hidden`` computes in one pass)."""
    mark = s.record_mark(form, values)
    personal = s.personal_fields(form) if s.in_masked_view(form, who) else frozenset()
    out = {}
    for spec in form.fields:
        level = s.effective_class(form, spec.key, mark)
        if not s.may_read(form, level, who):
            out[spec.key] = level
        elif spec.key in personal and not s.owns(form, who, spec.key):
            out[spec.key] = s.PERSONAL
    return out


def test_hidden_in_one_pass_answers_as_the_rule_field_by_field() -> None:
    rng = random.Random(21)
    keys = [f.key for f in FORM.fields]
    tokens = ["owner", "creator", "team_supervisor", "admin", "supervisor", "collector", "viewer", "user:x"]
    checked = 0
    for _ in range(300):
        policy: dict[str, Any] = {
            "fields": {k: rng.choice(["normal", "secret", "top_secret", "bogus"]) for k in rng.sample(keys, 30)},
            "readers": {lvl: rng.sample(tokens, rng.randint(0, 4)) for lvl in ("secret", "top_secret")},
        }
        if rng.random() < 0.5:
            policy["always_visible"] = rng.sample(keys, 5)
        if rng.random() < 0.5:
            policy["masked_roles"] = rng.sample(["viewer", "collector", "department:delivery"], 2)
        form = dataclasses.replace(FORM, meta={**FORM.meta, "secrecy": policy})
        for mark in ("normal", "secret", "top_secret", None, "bogus"):
            values = {**VALUES, "secrecy_mark": mark}
            for who in (
                reader("collector", "owner"),
                reader("supervisor", *rng.sample(["team_supervisor", "creator"], 1)),
                reader("viewer"),
                reader("admin", name="x"),
                s.Reader("d", "collector", frozenset(), "delivery"),
            ):
                assert s.hidden(form, values, who) == _hidden_field_by_field(form, values, who)
                checked += 1
    assert checked == 300 * 5 * 5

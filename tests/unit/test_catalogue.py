"""The field catalogue: coverage of the requirements, declarative overrides."""

from __future__ import annotations

import json

import pytest

from app.models.catalogue import (
    CatalogueError,
    FieldType,
    RequiredLevel,
    apply_override,
    form_from_dict,
    load_override,
)


def test_default_form_covers_the_groups_and_types(form) -> None:
    assert len(form.fields) >= 60
    assert [g.key for g in form.groups] == [
        "identification",
        "basic",
        "network",
        "management",
        "sales",
        "image",
        "personal",
        "service",
    ]
    for g in form.groups:
        assert form.fields_in(g.key), g.key
    assert {f.type for f in form.fields} == set(FieldType)
    assert sum(f.required is RequiredLevel.NATIONAL for f in form.fields) >= 20
    assert sum(f.required is RequiredLevel.PROVINCIAL for f in form.fields) >= 20


def test_every_field_has_both_labels_unique_per_language(form) -> None:
    for lang in ("zh_CN", "en"):
        labels = [f.label(lang) for f in form.fields]
        assert all(labels) and len(set(labels)) == len(labels), lang


@pytest.mark.parametrize(
    "key,values",
    [
        ("order_method", {"online", "phone", "mobile_app", "wechat"}),
        ("settlement_method", {"electronic", "cash"}),
        ("credit_grade", {"A", "B", "C", "D"}),
        ("business_scale", {"1", "2", "3"}),
        ("market_type", {"urban", "rural"}),
    ],
)
def test_enumerations_from_the_documents(form, key, values) -> None:
    assert {c.value for c in form[key].choices} == values


def test_defaults_for_new_customers(form) -> None:
    assert form["order_method"].default == "online"
    assert form["settlement_method"].default == "electronic"
    assert form["order_frequency"].default == "weekly"


def test_system_and_supervisor_fields(form) -> None:
    assert not form["customer_code"].editable_by_role("collector")
    assert not form["credit_grade"].editable_by_role("supervisor")
    assert form["monitored"].editable_by_role("supervisor") and not form["monitored"].editable_by_role("collector")
    assert form["licence_no"].regulated and form["credit_grade"].regulated and form["customer_code"].regulated


def test_override_hides_and_requires(form, tmp_path) -> None:
    path = tmp_path / "o.toml"
    path.write_text('hide = ["pickup_point", "care_dates"]\n[require]\nemail = "provincial"\n', encoding="utf-8")
    changed = apply_override(form, load_override(path))
    assert changed["pickup_point"].hidden and "pickup_point" not in [f.key for f in changed.visible_fields]
    assert changed["email"].required is RequiredLevel.PROVINCIAL
    assert not form["email"].required.is_required  # the original is untouched


@pytest.mark.parametrize(
    "override,message",
    [
        ({"hide": ["shop_name"]}, "cannot be hidden"),
        ({"hide": ["no_such_field"]}, "unknown field"),
        ({"require": {"email": "sometimes"}}, "is not one of"),
        ({"require": {"shop_name": "optional"}}, "only add requirements"),
        ({"colours": {}}, "unknown section"),
    ],
)
def test_bad_overrides_are_refused_with_a_clear_message(form, override, message) -> None:
    with pytest.raises(CatalogueError, match=message):
        apply_override(form, override)


def test_override_file_is_picked_up_from_the_home_folder(home) -> None:
    from app.services.session import current_form

    (home / "forms").mkdir(parents=True)
    (home / "forms" / "retail_customer.override.json").write_text(json.dumps({"hide": ["email"]}))
    assert current_form()["email"].hidden


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: d["fields"].append(dict(d["fields"][0])), "duplicate field keys"),
        (lambda d: d["fields"][0].update(type="colour"), "is not one of"),
        (lambda d: d["fields"][0].update(group="nowhere"), "unknown group"),
        (lambda d: d["fields"][0].update(key="id"), "identifier other than 'id'"),
        (lambda d: d["fields"][0].update(colour="red"), "unknown attribute"),
    ],
)
def test_malformed_forms_are_refused(form, mutate, message) -> None:
    data = json.loads(json.dumps(form.to_dict()))
    mutate(data)
    with pytest.raises(CatalogueError, match=message):
        form_from_dict(data)


def test_form_round_trips_through_its_dict(form) -> None:
    again = form_from_dict(json.loads(json.dumps(form.to_dict())))
    assert again.fields == form.fields and again.groups == form.groups

"""The validators' derived data lives in ``app.validation.compiled`` per form object, never inside the frozen
catalogue: a newly published form (a new object) is validated by its own rules at once, and the data of a
form that is gone goes with it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc

from app.models.catalogue import FieldSpec, FormDefinition, RequiredLevel, load_form
from app.validation import validate_values
from app.validation.compiled import compiled
from app.validation.types import field_lookups

TODAY = dt.date(2026, 11, 22)


def republished(form: FormDefinition, key: str, **changes) -> FormDefinition:
    fields = tuple(dataclasses.replace(f, **changes) if f.key == key else f for f in form.fields)
    return dataclasses.replace(form, version=form.version + 1, fields=fields, _by_key={}, _by_role={})


def test_models_hold_no_cache() -> None:
    assert not any(f.name in ("cache", "memo") for f in dataclasses.fields(FormDefinition))
    assert not hasattr(FieldSpec, "memo")


def test_a_new_form_object_is_validated_by_its_own_rules() -> None:
    old = load_form()
    optional = next(
        f
        for f in old.fields
        if f.required is RequiredLevel.OPTIONAL
        and not f.hidden
        and f.required_if is None
        and f.editable_by.value == "collector"
    )
    values = {"shop_name": "老王烟酒"}
    assert "required" not in [i.code for i in validate_values(old, values, today=TODAY).for_field(optional.key)]
    new = republished(old, optional.key, required=RequiredLevel.PROVINCIAL)
    assert [i.code for i in validate_values(new, values, today=TODAY).for_field(optional.key)] == ["required"]
    # each form keeps its own data: the old one is still validated by the old rules
    assert "required" not in [i.code for i in validate_values(old, values, today=TODAY).for_field(optional.key)]
    assert compiled(new) is compiled(new) and compiled(new) is not compiled(old)


def test_a_new_choice_is_accepted_by_the_new_form_only() -> None:
    old = load_form()
    spec = next(f for f in old.fields if f.type.value == "choice" and not f.hidden)
    extra = dataclasses.replace(spec.choices[0], value="brand_new_choice", label_zh="新选项", label_en="Brand new")
    new = republished(old, spec.key, choices=spec.choices + (extra,))
    assert [i.code for i in validate_values(old, {spec.key: "新选项"}, today=TODAY, required=False).issues] == [
        "choice.invalid"
    ]
    report = validate_values(new, {spec.key: "新选项"}, today=TODAY, required=False)
    assert report.values[spec.key] == "brand_new_choice" and not report.issues


def test_the_data_of_a_form_goes_with_the_form() -> None:
    base = load_form()
    validate_values(base, {"shop_name": "老王烟酒"}, today=TODAY)
    form = republished(base, "shop_name", max_length=30)
    validate_values(form, {"shop_name": "老王烟酒"}, today=TODAY)
    gc.collect()  # forms other tests left behind go first, so the counts below move by this form alone
    forms, fields = len(compiled), len(field_lookups)
    del form
    gc.collect()
    assert len(compiled) == forms - 1
    assert len(field_lookups) == fields - 1  # only shop_name was a new field object

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

#: F3 L141: 识别 9, 基本 23, 业务模式 8, 经营水平 11, 守法 1, 服务 16 mandatory fields; optional ones after them.
DOCUMENT_GROUPS = {
    "identification": 9,
    "basic": 23,
    "business_model": 8,
    "operating_level": 11,
    "compliance": 1,
    "service": 16,
}


def test_default_form_covers_the_groups_and_types(form) -> None:
    assert len(form.fields) >= 60
    assert [g.key for g in form.groups] == [*DOCUMENT_GROUPS, "other"]
    assert [g.label_zh for g in form.groups][:6] == [
        "识别信息",
        "基本信息",
        "业务模式信息",
        "经营水平信息",
        "守法信息",
        "服务信息",
    ]
    for g in form.groups:
        assert form.fields_in(g.key), g.key
    # every type is used, but mobile_phone: 联系电话/订货电话 take a mobile or a landline (``phone``)
    assert {f.type for f in form.fields} == set(FieldType) - {FieldType.MOBILE_PHONE}


def test_the_mandatory_set_is_the_documents_68_in_their_six_groups(form) -> None:
    """F3 L141–143: 68 mandatory fields, 25 national (*) and 43 provincial, in the documents' six groups;
    every optional field is in the seventh group, and the assignment says it is this deployment's default."""
    required = [f for f in form.fields if f.required.is_required]
    assert len(required) == 68
    assert sum(f.required is RequiredLevel.NATIONAL for f in form.fields) == 25
    assert sum(f.required is RequiredLevel.PROVINCIAL for f in form.fields) == 43
    for group, n in DOCUMENT_GROUPS.items():
        fields = form.fields_in(group)
        assert len(fields) == n and all(f.required.is_required for f in fields), group
    assert not any(f.required.is_required for f in form.fields_in("other"))
    assert form.meta["required_levels"] == "deployment_default" and "F3 L141" in form.meta["basis"]
    assert form["consent_signed"].required is RequiredLevel.OPTIONAL  # a PIPL rule, not a bureau field (C6)
    assert form["law_abiding"].group == "compliance"


def test_fields_the_documents_name_are_in_the_catalogue(form) -> None:
    named = {
        "order_phone": "订货电话",
        "sales_visitor": "访销员",
        "call_route": "电访路线",
        "basic_type": "基本类型",
        "service_staff": "服务人员",
        "total_quota": "总限量",
        "item_quota": "单品限量",
        "photo_staff_manager": "客户经理照片",
        "photo_staff_phone_clerk": "电话订货员照片",
        "photo_staff_inspector": "专管员照片",
        "photo_staff_delivery": "送货员照片",
    }
    assert {k: form[k].label_zh for k in named} == named
    assert form["total_quota"].type is FieldType.INTEGER and form["total_quota"].min == 0


def test_fill_method_follows_the_editor_and_the_type(form) -> None:
    from app.models.catalogue import FillMethod

    assert form["purchase_qty"].fill_method is FillMethod.AUTO  # 自动导入
    assert form["retail_format"].fill_method is FillMethod.SELECTION  # 人工选择
    assert form["shop_name"].fill_method is FillMethod.ENTRY  # 人工录入


def test_the_bank_list_is_the_three_banks_the_documents_allow(form) -> None:
    assert [c.value for c in form["bank_name"].choices] == ["icbc", "abc", "psbc"]  # F3 L164


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
    path.write_text('hide = ["pickup_point", "service_notes"]\n[require]\nemail = "provincial"\n', encoding="utf-8")
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


def test_a_province_sets_its_own_table_with_the_override(form, tmp_path) -> None:
    """The national/provincial assignment is a default: a province's own 表1 lowers and raises levels
    and moves fields between the groups, and every count that reads the form follows."""
    from app.validation import validate_values

    path = tmp_path / "o.toml"
    path.write_text(
        '[levels]\nuscc = "national"\ngender = "optional"\nemail = "provincial"\n[groups]\ngender = "other"\n',
        encoding="utf-8",
    )
    changed = apply_override(form, load_override(path))
    assert changed["uscc"].required is RequiredLevel.NATIONAL and changed["gender"].required is RequiredLevel.OPTIONAL
    assert changed["gender"].group == "other" and changed["email"].required is RequiredLevel.PROVINCIAL
    assert sum(f.required is RequiredLevel.NATIONAL for f in changed.fields) == 26
    assert changed.meta["required_levels"] == "override"
    before, after = validate_values(form, {}), validate_values(changed, {})
    assert "gender" in {i.field for i in before.missing} and "gender" not in {i.field for i in after.missing}
    assert "email" in {i.field for i in after.missing} and after.required_total == before.required_total
    with pytest.raises(CatalogueError, match="unknown group"):
        apply_override(form, {"groups": {"gender": "nowhere"}})


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


def test_a_sheet_from_an_older_template_still_maps_the_renamed_phone_column(form) -> None:
    from app.validation.sheetmap import HeaderMap

    names = HeaderMap(form)
    assert names.key("联系电话（手机）") == names.key("Contact mobile") == names.key("联系电话") == "contact_phone"

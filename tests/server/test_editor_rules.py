"""The server refuses exactly what the client refuses at entry (app.validation.editing is shared):
for every field nobody but a supervisor or the system maintains, and every role."""

from __future__ import annotations

import uuid
from typing import Any

from app.models.catalogue import FieldSpec, FieldType, load_form
from app.validation.editing import entry_issues, may_edit
from tests.server.helpers import add_user, create, save


def valid_value(spec: FieldSpec) -> Any:
    if spec.choices:
        return spec.choices[0].value if spec.type is FieldType.CHOICE else [spec.choices[0].value]
    return {
        FieldType.BOOLEAN: True,
        FieldType.INTEGER: 10,
        FieldType.DECIMAL: "12.5",
        FieldType.TEXT: "610113000123" if spec.key == "customer_code" else "李四",
    }[spec.type]


def test_creates_and_saves_are_refused_as_the_client_refuses_them(api, world, db, settings):
    form = load_form()
    add_user(db, settings, "a2", "admin")
    tokens = {"collector": world["c1"], "supervisor": world["s1"], "admin": api.token("a2")}
    restricted = [s for s in form.fields if not may_edit(s, "collector")]
    assert {"customer_code", "avg_price", "quota_category", "monitored"} <= {s.key for s in restricted}
    for role, token in tokens.items():
        existing = create(api, token, {"shop_name": "老王烟酒店"})
        for spec in restricted:
            value = valid_value(spec)
            expected = {(i.field, i.code) for i in entry_issues(form, role, None, {"shop_name": "甲", spec.key: value})}
            res = api.push1(token, save(str(uuid.uuid4()), {"shop_name": "甲", spec.key: value}))
            assert {(e["field"], e["code"]) for e in res["errors"]} == expected, (role, spec.key)
            assert res["status"] == ("rejected" if expected else "applied"), (role, spec.key)
            old = existing["values"]
            expected = {(i.field, i.code) for i in entry_issues(form, role, old, {**old, spec.key: value})}
            res = api.push1(token, save(existing["id"], {spec.key: value}, base=existing["version"]))
            assert {(e["field"], e["code"]) for e in res["errors"]} == expected, (role, spec.key)
            if res["status"] != "rejected":
                existing = res["record"]
    assert existing["values"]["monitored"] is True  # the admin's saves went through where allowed

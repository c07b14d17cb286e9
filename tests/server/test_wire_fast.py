"""The push body's fast path (``PushRequest._fast``) against the models it stands in for.

The fast path may only *decline*: whatever it accepts, the models accept too and dump to the same
mutations; whatever the models refuse, it declines, so the 422 and its reasons stay the models'.
Checked on generated bodies that are mostly well-formed and often a little wrong.
"""

from __future__ import annotations

import math
import uuid

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.models.wire import MAX_BATCH, MutationKind, mutation_hash
from server.push import _digest
from server.wirecheck import REFUSED, plain_mutations, screen
from server.wiremodels import MutationIn, PushRequest


class Slow(BaseModel):
    """PushRequest without its fast path: the reference."""

    model_config = ConfigDict(extra="forbid")
    mutations: list[MutationIn] = Field(max_length=MAX_BATCH)


def slow(data):
    return Slow.model_validate(data).model_dump(mode="json", exclude_unset=True)["mutations"]


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)
odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2**32),
    st.floats(),
    st.text(max_size=70),
    st.lists(st.integers(), max_size=2),
    st.just("5"),
    st.just("true"),
)


def maybe(good):
    """Mostly a good value, one time in twelve an odd one."""
    return st.integers(0, 11).flatmap(lambda i: odd if i == 0 else good)


uuids = st.builds(lambda u, upper: str(u).upper() if upper else str(u), st.uuids(), st.booleans())
change = st.one_of(
    st.fixed_dictionaries({"old": json_value, "new": json_value}),
    st.fixed_dictionaries({}, optional={"old": json_value, "new": json_value}),
    st.fixed_dictionaries({"new": json_value, "other": json_value}),
)
provenance = st.fixed_dictionaries(
    {},
    optional={
        "source": st.sampled_from(["visit", "phone", "import", "manual", "fax", 3]),
        "source_ref": st.text(max_size=210),
        "info_date": st.one_of(st.none(), st.text(max_size=40)),
        "at": st.one_of(st.none(), st.text(max_size=70), st.integers()),
        "extra": st.integers(),
    },
)


@st.composite
def mutation(draw):
    m = {
        "mutation_id": draw(maybe(st.from_regex(r"[A-Za-z0-9_\-]{1,66}", fullmatch=True))),
        "kind": draw(maybe(st.sampled_from([k.value for k in MutationKind]))),
        "record_id": draw(maybe(uuids)),
        "base_version": draw(maybe(st.integers(0, 2**31 + 5))),
    }
    optional = {
        "form_version": maybe(st.one_of(st.none(), st.integers(-1, 2**31))),
        "changes": maybe(st.dictionaries(st.text(max_size=8), change, max_size=4)),
        "note": maybe(st.one_of(st.none(), st.text(max_size=20), st.just("x" * 2001))),
        "urgent": maybe(st.booleans()),
        "provenance": maybe(st.one_of(st.none(), provenance)),
        "decision": st.just({"action": "approve"}),
        "bogus": st.integers(),
    }
    for key, strategy in optional.items():
        if draw(st.integers(0, 9)) < (1 if key in ("decision", "bogus") else 4):
            m[key] = draw(strategy)
    for key in list(m):
        if key in ("mutation_id", "kind", "record_id", "base_version") and draw(st.integers(0, 40)) == 0:
            del m[key]
    return m


bodies = st.integers(0, 19).flatmap(
    lambda i: (
        odd
        if i == 0
        else st.builds(lambda ms: {"mutations": ms, "x": 1}, st.lists(mutation(), max_size=1))
        if i == 1
        else st.builds(lambda ms: {"mutations": ms}, st.lists(mutation(), max_size=4))
    )
)


def _nan_free(v):
    """NaN never equals itself: compare with NaN replaced."""
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if isinstance(v, list):
        return [_nan_free(x) for x in v]
    if isinstance(v, dict):
        return {k: _nan_free(x) for k, x in v.items()}
    return v


def effective(batch):
    """The batch as the push applies it: a mutation refused for its content (set aside by the models'
    path, or found by the push among what the fast path let through) stands as its refusal."""
    out = []
    for m in batch:
        _digest_hex, problems = _digest(m)
        out.append({"mutation_id": m["mutation_id"], REFUSED: problems} if problems is not None else m)
    return out


@settings(max_examples=600, deadline=None)
@given(bodies)
@example(
    {
        "mutations": [
            {
                "mutation_id": "0",
                "kind": "customer.save",
                "record_id": "e3e70682-c209-4cac-629f-6fbed82c07cd",
                "base_version": 0,
                "changes": {"\x00": {}},
            }
        ]
    }
)  # a NUL in a key: the fast path takes it
def test_fast_path_accepts_only_what_the_models_accept_and_dumps_the_same(body):
    fast = plain_mutations(body)
    screened, refused = screen(body)  # mutations refused for their content are answered one by one
    try:
        reference = slow(screened)
    except ValidationError:
        assert fast is None, "the fast path accepted a body the models refuse"
        with pytest.raises(ValidationError):
            PushRequest.model_validate(body)
        return
    for i, placeholder in refused.items():
        reference[i] = placeholder
    # as the push applies it: what the fast path let through with bad content (a NUL in a key, say) is
    # refused by the push's digest (server.push._digest), as the models' screen refuses it
    taken = effective(PushRequest.model_validate(body).batch())
    assert taken == effective(reference) or _nan_free(taken) == _nan_free(effective(reference))
    if fast is not None:
        assert effective(fast) == effective(reference)
        assert [mutation_hash(m) for m in effective(fast) if REFUSED not in m] == [
            mutation_hash(m) for m in effective(reference) if REFUSED not in m
        ]


def _good(n=3):
    return {
        "mutations": [
            {
                "mutation_id": uuid.uuid4().hex,
                "kind": "customer.save",
                "record_id": str(uuid.uuid4()).upper(),
                "base_version": 0,
                "form_version": 1,
                "changes": {"name": {"old": None, "new": "张三"}, "brand_count": {"old": 1, "new": 2.5}},
                "provenance": {"source": "visit", "info_date": None},
            }
            for _ in range(n)
        ]
    }


def test_a_typical_push_takes_the_fast_path_with_record_ids_in_lower_case():
    body = _good()
    fast = plain_mutations(body)
    assert fast is not None and fast == slow(body)
    assert all(m["record_id"] == m["record_id"].lower() for m in fast)
    assert PushRequest.model_validate(body)._plain == fast  # not the models: the fast path


@pytest.mark.parametrize(
    "spoil",
    [
        lambda m: m.update(base_version="0"),  # the models coerce it: their answer, not ours
        lambda m: m.update(base_version=True),
        lambda m: m.update(urgent=1),
        lambda m: m.update(changes={"name": {"new": float("nan")}}),
        lambda m: m.update(visit={"id": str(uuid.uuid4()), "visited_on": "2026-01-01"}),
        lambda m: m.update(kind=["customer.save"]),
    ],
)
def test_anything_the_models_would_coerce_or_check_further_goes_their_way(spoil):
    body = _good(2)
    spoil(body["mutations"][1])
    assert plain_mutations(body) is None
    try:
        expected = slow(body)
    except ValidationError:
        with pytest.raises(ValidationError):
            PushRequest.model_validate(body)
    else:
        assert _nan_free(PushRequest.model_validate(body).batch()) == _nan_free(expected)


def test_a_batch_too_long_is_refused_by_the_models():
    body = _good(MAX_BATCH + 1)
    assert plain_mutations(body) is None
    with pytest.raises(ValidationError):
        PushRequest.model_validate(body)

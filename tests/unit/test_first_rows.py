"""FirstRows, the compact index of the in-file duplicate checks, against the dict it replaced."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.first_rows import FirstRows


def _dict_add(d: dict[str, int], value: str, row: int) -> int:
    """What the import did with a dict: the earlier row, or 0 when new."""
    if value in d:
        return d[value]
    d[value] = row
    return 0


@given(st.lists(st.tuples(st.text(max_size=8), st.integers(1, 2**31 - 1))))
def test_same_answers_as_a_dict(pairs: list[tuple[str, int]]) -> None:
    index, d = FirstRows(), {}  # type: ignore[var-annotated]
    for value, row in pairs:
        assert index.add(value, row) == _dict_add(d, value, row)
    assert len(index) == len(d)


def test_many_values_through_growth() -> None:
    rnd = random.Random(14)
    index, d = FirstRows(), {}  # type: ignore[var-annotated]
    values = [f"1101{rnd.randrange(10**14):014d}" for _ in range(60_000)]
    for row, value in enumerate(values + values[:5_000] + [v + "X" for v in values[:5_000]], start=2):
        assert index.add(value, row) == _dict_add(d, value, row)
    assert len(index) == len(d) == len(set(values)) + 5_000
    assert index.add(values[0], 10**6) == 2


def test_compact() -> None:
    index = FirstRows()
    for row in range(1, 100_001):
        index.add(f"91110000{row:010d}", row)
    size = index._hashes.buffer_info()[1] * 8 + index._rows.buffer_info()[1] * 4  # noqa: SLF001
    assert size <= 100_000 * 36


@pytest.mark.parametrize("row", [0, -1, 2**31])
def test_row_out_of_range(row: int) -> None:
    with pytest.raises(ValueError):
        FirstRows().add("x", row)

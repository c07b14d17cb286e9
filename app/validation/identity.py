"""Derived data kept per live object, keyed by its identity: how the validators cache what they compute
from a frozen form or field without storing it inside the model (``app/models`` keeps no mutable state).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ByIdentity(Generic[K, V]):
    """``make(obj)`` once per live ``obj``, dropped when ``obj`` goes. A frozen form or field never
    changes, so its data never goes stale; a newly published form is a new object with new data.
    ``make``'s result must not refer to ``obj`` (it would then never go). Two threads meeting a new
    object at once may both make its data; one is kept, both are equal."""

    def __init__(self, make: Callable[[K], V]) -> None:
        self._make = make
        self._held: dict[int, tuple[weakref.ref[Any], V]] = {}

    def __call__(self, obj: K) -> V:
        key = id(obj)
        held = self._held.get(key)
        if held is not None and held[0]() is obj:
            return held[1]
        value = self._make(obj)
        self._held[key] = (weakref.ref(obj, functools.partial(self._forget, key)), value)
        return value

    def _forget(self, key: int, ref: weakref.ref[Any]) -> None:
        held = self._held.get(key)
        if held is not None and held[0] is ref:
            del self._held[key]

    def __len__(self) -> int:
        return len(self._held)

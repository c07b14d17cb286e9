"""Helpers shared by the benchmarks."""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


def percentile(samples: list[float], p: float) -> float:
    s = sorted(samples)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def median(samples: list[float]) -> float:
    return statistics.median(samples)


@contextmanager
def timer() -> Iterator[list[float]]:
    box: list[float] = []
    t = time.perf_counter()
    yield box
    box.append(time.perf_counter() - t)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def temp_home() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="fieldarchive-bench-") as d:
        os.environ["FIELDARCHIVE_HOME"] = d
        yield d


def header(title: str) -> None:
    print(f"\n== {title} ==")
